"""Who may do what: the one home of the permission checks (decision 0026).

Every page and API endpoint asks this module, never a copy of its rules:

- the predicates `can_view_place`, `can_edit_place`, `can_admin_organisation`,
  `can_edit_catalogue`, `can_moderate_suggestion` answer yes or no (menus, buttons);
- `staff_required` is the one decorator of staff pages: anonymous people go to the login
  page, signed-in people without a role in any organisation get a 403;
- the `access_*` helpers fetch the object a request names and either return it or refuse,
  always the same way: **404** when the person may not even read it (other organisations
  learn nothing), **403** (`AccessDenied`) when they may read it but not do what they ask.

A partner token (the API's `request.user` is then an `api.auth.PartnerUser`, recognised
here by its `token` attribute, since this app may not import `api`) writes the places of
its own organisation: `access_place(..., write=True)` answers it with a 403 whose `code`
the API shows (`not_your_place`). Which scope a token needs for a write is declared by
each API view (`write_scope`) and checked by `api.auth.HasScope`, which refuses writes on a
view that declares none.
"""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from places import selectors
from places.models import Organisation, Place, Role, Suggestion

# The scope a partner token needs to write its organisation's places (api.models'
# PartnerToken.Scope.WRITE_PLACES; this app may not import api).
WRITE_PLACES_SCOPE = "write:places"


class AccessDenied(PermissionDenied):
    """A 403 with a machine-readable `code`, which the API's error format shows."""

    def __init__(self, message: str, code: str = "permission_denied"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


def is_superuser(user) -> bool:
    return bool(getattr(user, "is_superuser", False))


def partner_token(user):
    """The partner token behind an API request's user, or None for a person."""
    return getattr(user, "token", None)


is_staff_member = selectors.is_staff_member


# ---------------------------------------------------------------------------- predicates


def can_view_place(user, place: Place) -> bool:
    """Staff of the place's organisation (any role) and superusers read it."""
    return is_superuser(user) or place.organisation_id in selectors.roles_of(user)


def can_edit_place(user, place: Place) -> bool:
    """Registry admins edit every place of their organisation; managers their own places;
    a partner token with `write:places` the places of its organisation."""
    token = partner_token(user)
    if token is not None:
        return token.has_scope(WRITE_PLACES_SCOPE) and token.organisation_id == (
            place.organisation_id
        )
    if is_superuser(user):
        return True
    role = selectors.roles_of(user).get(place.organisation_id)
    if role == Role.REGISTRY_ADMIN:
        return True
    if role == Role.PLACE_MANAGER:
        return place.managers.filter(pk=user.pk).exists()
    return False


def can_admin_organisation(user, organisation: Organisation) -> bool:
    return is_superuser(user) or (
        selectors.roles_of(user).get(organisation.pk) == Role.REGISTRY_ADMIN
    )


def is_registry_admin(user) -> bool:
    """Registry admin of at least one organisation (or a superuser); from the role cache."""
    return is_superuser(user) or Role.REGISTRY_ADMIN in selectors.roles_of(user).values()


def can_edit_catalogue(user) -> bool:
    """The catalogue (service kinds, providers, need words) is shared by the whole
    registry: any registry admin changes it."""
    return is_registry_admin(user)


def can_moderate_suggestion(user, suggestion: Suggestion) -> bool:
    """Corrections: whoever may edit the place. New places: registry admins."""
    if suggestion.kind == Suggestion.Kind.CORRECTION or suggestion.place_id:
        return suggestion.place is not None and can_edit_place(user, suggestion.place)
    return is_registry_admin(user)


# ----------------------------------------------------------------------------- decorator


def staff_required(view):
    """Signed-in members of an organisation only; anonymous people go to the login page."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.is_staff_member(request.user):
            raise PermissionDenied(_("You have no role in any organisation."))
        return view(request, *args, **kwargs)

    return wrapper


# ------------------------------------------------------------------ access_* helpers


def access_place(
    user,
    public_id,
    *,
    write: bool = False,
    queryset: QuerySet[Place] | None = None,
    message: str | None = None,
) -> Place:
    """The place `public_id` if `user` may read it (and, with `write`, change it).

    A person who may not read it gets a 404; one who may read but not change it a 403
    (`message`). A partner token reads through the API's own public querysets; here it
    is asked only for writes, and gets a 403 `not_your_place` on another organisation's
    place. `queryset` adds the caller's select_related / prefetch.
    """
    queryset = Place.objects.all() if queryset is None else queryset
    token = partner_token(user)
    if token is not None:
        place = get_object_or_404(queryset, public_id=public_id)
        if write and not can_edit_place(user, place):
            raise AccessDenied(
                _("This token may only write the places of %(org)s.") % {"org": token.organisation},
                code="not_your_place",
            )
        return place
    if not is_superuser(user):  # the rule of selectors.visible_places
        queryset = queryset.filter(organisation_id__in=list(selectors.roles_of(user)))
    place = get_object_or_404(queryset, public_id=public_id)
    if write and not can_edit_place(user, place):
        raise AccessDenied(message or _("You may read this place but not change it."))
    return place


def access_organisation(
    user, slug: str, *, message: str | None = None, hide_from_others: bool = True
) -> Organisation:
    """The organisation `slug` if `user` is one of its registry admins.

    People of other organisations get a 404 (`hide_from_others`), its other members a 403.
    """
    organisation = get_object_or_404(Organisation, slug=slug)
    require_organisation_admin(
        user, organisation, message=message, hide_from_others=hide_from_others
    )
    return organisation


def require_organisation_admin(
    user,
    organisation: Organisation,
    *,
    message: str | None = None,
    hide_from_others: bool = False,
) -> None:
    if can_admin_organisation(user, organisation):
        return
    if hide_from_others and organisation.pk not in selectors.roles_of(user):
        raise Http404
    raise AccessDenied(message or _("Only the organisation's registry admins may do this."))


def require_registry_admin(user, message: str | None = None) -> None:
    """Registry admin of some organisation (tokens, webhooks, imports, the catalogue)."""
    if not is_registry_admin(user):
        raise AccessDenied(message or _("Only registry admins may do this."))


def require_catalogue_editor(user) -> None:
    if not can_edit_catalogue(user):
        raise AccessDenied(_("Only registry admins change the catalogue."))


def access_suggestion(user, pk: int, *, moderate: bool = False) -> Suggestion:
    """A suggestion the person may read (404 otherwise); with `moderate`, decide on (403)."""
    suggestion = get_object_or_404(selectors.visible_suggestions(user), pk=pk)
    if moderate and not can_moderate_suggestion(user, suggestion):
        raise AccessDenied(_("You may read this suggestion but not decide on it."))
    return suggestion


def of_my_organisations(queryset: QuerySet, user, field: str = "organisation") -> QuerySet:
    """The rows of `queryset` whose `field` is one of the person's organisations; every
    row for a superuser, as everywhere else."""
    if is_superuser(user):
        return queryset
    return queryset.filter(**{f"{field}_id__in": list(selectors.roles_of(user))})
