"""Access to calls and submissions, built from places.access's rules (decision 0026).

A call belongs to an organisation: its staff read the call and its submissions, its
registry admins change them (other organisations get a 404, other members a 403), exactly
as for the organisation's places. Guides are shared by the whole site: every staff member
reads them in /manage/, registry admins edit them (as the service catalogue).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from initiatives.models import Call, Submission
from places.access import (
    AccessDenied,
    of_my_organisations,
    require_organisation_admin,
    require_registry_admin,
)


def access_call(user, pk: int, *, write: bool = False) -> Call:
    """The call `pk` of one of the person's organisations (404 otherwise); with `write`,
    only its registry admins (403 for the other members)."""
    calls = of_my_organisations(Call.objects.select_related("organisation"), user)
    call = get_object_or_404(calls, pk=pk)
    if write:
        require_organisation_admin(
            user,
            call.organisation,
            message=_("Only the organisation's registry admins may change its calls."),
        )
    return call


def access_submission(user, pk: int, *, write: bool = False) -> Submission:
    """A project sent to a call the person may read (404 otherwise); with `write`, review."""
    submission = get_object_or_404(
        of_my_organisations(
            Submission.objects.select_related("call", "call__organisation", "place"),
            user,
            field="call__organisation",
        ),
        pk=pk,
    )
    if write:
        require_organisation_admin(
            user,
            submission.call.organisation,
            message=_("Only the organisation's registry admins may review its projects."),
        )
    return submission


def require_guide_editor(user) -> None:
    require_registry_admin(user, message=_("Only registry admins edit the guides."))


__all__ = ["AccessDenied", "access_call", "access_submission", "require_guide_editor"]
