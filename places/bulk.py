"""Bulk actions on places: one domain action per place, with its own history and its own
outcome (done, or refused and why).

The selection is checked as a whole first (`selected_places`): an empty selection, an id
the person may not read, or a place changed since the person confirmed refuse the whole
request and nothing changes. Then `bulk_apply` runs each place through the same action as
the place's own page (places.actions, places.freshness), checking the person's right on
that place; a refusal on one place does not stop the others.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from places import access, actions, freshness, selectors
from places.models import OrganisationEvent, Place

PUBLISH, ARCHIVE, ASSIGN_MANAGER, VERIFY, REMIND = (
    "publish",
    "archive",
    "assign_manager",
    "verify",
    "remind",
)
ACTION_LABELS = {
    PUBLISH: gettext_lazy("Publish"),
    ARCHIVE: gettext_lazy("Archive"),
    ASSIGN_MANAGER: gettext_lazy("Assign a manager"),
    VERIFY: gettext_lazy("Mark as verified today"),
    REMIND: gettext_lazy("Send a reminder to the managers"),
}
# Actions that change who does what, or write to people: registry admins only.
ADMIN_ACTIONS = {ASSIGN_MANAGER, REMIND}
SOURCE = "staff:bulk"


@dataclasses.dataclass
class RowResult:
    place: Place
    done: bool
    message: str = ""
    reminders: list = dataclasses.field(default_factory=list)


def parse_ids(values: Iterable[str]) -> list[uuid.UUID]:
    """Public ids in the order given, without repeats; anything else refuses the request."""
    found: dict[uuid.UUID, None] = {}
    for value in values:
        try:
            found[uuid.UUID(str(value))] = None
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not a place identifier.") % {"value": value}, code="bad_id"
            ) from None
    return list(found)


def selected_places(
    *, user, ids: Sequence[uuid.UUID], versions: Mapping[uuid.UUID, int] | None = None
) -> list[Place]:
    """The places behind `ids`, in list order, with `user_can_edit` annotated (one query).

    Refuses (ValidationError, nothing done) an empty selection, ids the person may not read
    (unknown, or of another organisation) and, given `versions`, places changed since.
    """
    if not ids:
        raise ValidationError(_("Select at least one place."), code="empty")
    places = list(
        selectors.with_edit_right(
            selectors.visible_places(user).filter(public_id__in=ids), user
        ).select_related("organisation")
    )
    by_id = {p.public_id: p for p in places}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ValidationError(
            ngettext(
                "%(count)s selected place is not in your organisations' registry or no "
                "longer exists; nothing was changed. Reload the list and select again.",
                "%(count)s selected places are not in your organisations' registry or no "
                "longer exist; nothing was changed. Reload the list and select again.",
                len(missing),
            )
            % {"count": len(missing)},
            code="unknown",
        )
    if versions is not None:
        changed = [by_id[i].name for i in ids if versions.get(i) != by_id[i].version]
        if changed:
            raise ValidationError(
                _(
                    "Changed by someone else since you selected them: %(names)s. Nothing was "
                    "changed; check the list below and confirm again."
                )
                % {"names": ", ".join(changed)},
                code="stale",
            )
    return [by_id[i] for i in ids]


def refusal(user, action: str, place: Place) -> str:
    """Why `user` may not apply `action` to `place` ("" if they may). Reads the roles cache
    and the `user_can_edit` annotation of selected_places, so no query per place."""
    if action in ADMIN_ACTIONS:
        if not access.can_admin_organisation(user, place.organisation):
            return _("Only a registry admin of %(org)s may do this.") % {"org": place.organisation}
        return ""
    can_edit = getattr(place, "user_can_edit", None)
    if can_edit is None:
        can_edit = access.can_edit_place(user, place)
    if not can_edit:
        return _("You may read this place but not change it.")
    return ""


def bulk_apply(
    *,
    user,
    action: str,
    places: Sequence[Place],
    versions: Mapping[uuid.UUID, int] | None = None,
    person=None,
    method: str | None = None,
) -> list[RowResult]:
    """Apply `action` to each place in turn (each in its own transaction, through the
    domain action), returning one result per place."""
    if action not in ACTION_LABELS:
        raise ValidationError(_("Choose an action from the list."), code="unknown_action")
    if action == ASSIGN_MANAGER and person is None:
        raise ValidationError({"person": _("Choose the person who will manage the places.")})
    if action == VERIFY and method not in Place.VerificationMethod.values:
        raise ValidationError({"method": _("Choose how the information was checked.")})
    versions = versions or {}
    results = []
    for place in places:
        reason = refusal(user, action, place)
        if reason:
            results.append(RowResult(place, False, reason))
            continue
        expected = versions.get(place.public_id, place.version)
        try:
            if action == PUBLISH:
                actions.place_publish(
                    place=place, user=user, source=SOURCE, expected_version=expected
                )
            elif action == ARCHIVE:
                actions.place_archive(
                    place=place, user=user, source=SOURCE, expected_version=expected
                )
            elif action == ASSIGN_MANAGER:
                actions.place_manager_add(
                    place=place, user=user, person=person, source=SOURCE, expected_version=expected
                )
            elif action == VERIFY:
                freshness.place_verify(place=place, user=user, method=method, source=SOURCE)
            else:
                sent = freshness.reminders_send(places=[place], user=user)
                done = any(r.outcome == "sent" for r in sent)
                results.append(RowResult(place, done, reminders=sent))
                continue
        except ValidationError as exc:
            results.append(RowResult(place, False, " ".join(exc.messages)))
        else:
            results.append(RowResult(place, True))
    _record_runs(user, action, results)
    return results


def _record_runs(user, action: str, results: Sequence[RowResult]) -> None:
    """One activity entry per organisation whose places the run touched or tried to."""
    by_organisation: dict[int, list[RowResult]] = {}
    for result in results:
        by_organisation.setdefault(result.place.organisation_id, []).append(result)
    for rows in by_organisation.values():
        done = sum(1 for r in rows if r.done)
        actions.organisation_event_record(
            organisation=rows[0].place.organisation,
            user=user,
            kind=OrganisationEvent.Kind.BULK,
            action=OrganisationEvent.Action.RUN,
            target=action,
            summary=f"{done}/{len(rows)}",
        )
