"""Reads of the registry shared by the staff pages, the directory and the API."""

from __future__ import annotations

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)

from places.geo import haversine_km, in_bounding_box
from places.models import (
    ChangeRecord,
    Membership,
    Network,
    Organisation,
    Place,
    Role,
    Suggestion,
    Typology,
    normalize_text,
)


def roles_of(user) -> dict[int, str]:
    """{organisation id: role} for a signed-in person (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    cached = getattr(user, "_lp_roles", None)
    if cached is None:
        rows = Membership.objects.filter(user=user).values_list(
            "organisation_id", "role", "organisation__slug", "organisation__name"
        )
        cached = {org: role for org, role, _slug, _name in rows}
        user._lp_roles = cached
        # Read by the staff menu, so that it costs no query of its own.
        user._lp_organisations = {org: (slug, name) for org, _role, slug, name in rows}
    return cached


def administered_organisations(user) -> list[tuple[str, str]]:
    """(slug, name) of the organisations the person is registry admin of, by name; from
    the roles_of cache (a superuser's list is read from the table)."""
    if getattr(user, "is_superuser", False):
        return list(Organisation.objects.order_by("name").values_list("slug", "name"))
    roles = roles_of(user)
    names = getattr(user, "_lp_organisations", {})
    return sorted(
        (names[org] for org, role in roles.items() if role == Role.REGISTRY_ADMIN and org in names),
        key=lambda item: normalize_text(item[1]),
    )


def is_staff_member(user) -> bool:
    """Anyone with a role in at least one organisation (or a superuser) may use /manage/."""
    return bool(getattr(user, "is_superuser", False) or roles_of(user))


def admin_organisations(user) -> QuerySet[Organisation]:
    if getattr(user, "is_superuser", False):
        return Organisation.objects.all()
    ids = [org for org, role in roles_of(user).items() if role == Role.REGISTRY_ADMIN]
    return Organisation.objects.filter(pk__in=ids)


def editable_organisations(user) -> QuerySet[Organisation]:
    """Organisations in which the person may create places (registry admins)."""
    return admin_organisations(user)


def visible_places(user) -> QuerySet[Place]:
    """Places a staff member may read: all of their organisations' places."""
    if getattr(user, "is_superuser", False):
        return Place.objects.all()
    return Place.objects.filter(organisation_id__in=list(roles_of(user)))


def search_places(
    queryset: QuerySet[Place],
    *,
    q: str = "",
    statuses=(),
    typologies=(),
    profiles=(),
    communes=(),
    networks=(),
) -> QuerySet[Place]:
    """Filter places; values of one filter combine with OR, filters with AND."""
    if q:
        for word in normalize_text(q).split():
            queryset = queryset.filter(search_text__contains=word)
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    if typologies:
        queryset = queryset.filter(
            pk__in=Place.typologies.through.objects.filter(typology__code__in=typologies).values(
                "place_id"
            )
        )
    if profiles:
        condition = Q()
        for profile in profiles:
            if profile in ("mediation", "work", "creation"):
                condition |= Q(**{f"{profile}__isnull": False})
        queryset = queryset.filter(condition)
    if communes:
        queryset = queryset.filter(insee_code__in=communes)
    if networks:
        queryset = queryset.filter(
            pk__in=Place.networks.through.objects.filter(network__slug__in=networks).values(
                "place_id"
            )
        )
    return queryset


def place_list(queryset: QuerySet[Place]) -> QuerySet[Place]:
    """Everything a list of places shows, in a fixed number of queries."""
    return queryset.select_related(
        "organisation", "mediation", "work", "creation"
    ).prefetch_related(
        Prefetch("typologies", queryset=Typology.objects.order_by("position")),
        Prefetch("networks", queryset=Network.objects.order_by("name")),
    )


def place_detail(queryset: QuerySet[Place]) -> QuerySet[Place]:
    return place_list(queryset).prefetch_related("managers", "external_ids")


def place_history(place: Place) -> QuerySet[ChangeRecord]:
    return place.changes.select_related("user").order_by("-created_at", "-id")


def last_writer(place: Place, *, target: str, field: str | None = None) -> str | None:
    """The source ("import:lmn", "staff"...) of the last recorded write of `target` (and,
    given `field`, of that field) on a place; None when the history has none."""
    changes = ChangeRecord.objects.filter(place=place, target=target)
    if field is not None:
        changes = changes.filter(changes__has_key=field)
    return changes.order_by("-created_at", "-id").values_list("source", flat=True).first()


def communes_in_registry(queryset: QuerySet[Place] | None = None) -> list[tuple[str, str]]:
    """(INSEE code, name) of the communes that have places, sorted by name."""
    queryset = Place.objects.all() if queryset is None else queryset
    rows = (
        queryset.exclude(insee_code="")
        .values_list("insee_code", "commune")
        .order_by("commune", "insee_code")
        .distinct()
    )
    seen: dict[str, str] = {}
    for code, name in rows:
        seen.setdefault(code, name)
    return sorted(((c, n) for c, n in seen.items()), key=lambda item: normalize_text(item[1]))


def with_edit_right(queryset: QuerySet[Place], user) -> QuerySet[Place]:
    """Annotate `user_can_edit` (the rule of access.can_edit_place), no query per place."""
    if getattr(user, "is_superuser", False):
        return queryset.annotate(user_can_edit=Value(True, output_field=BooleanField()))
    roles = roles_of(user)
    admin_of = [org for org, role in roles.items() if role == Role.REGISTRY_ADMIN]
    manager_of = [org for org, role in roles.items() if role == Role.PLACE_MANAGER]
    manages = Place.managers.through.objects.filter(place_id=OuterRef("pk"), user_id=user.pk)
    return queryset.annotate(
        user_can_edit=Case(
            When(organisation_id__in=admin_of, then=Value(True)),
            When(Q(organisation_id__in=manager_of) & Q(Exists(manages)), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def organisation_members(organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user").order_by("user__username")


def organisation_activity(organisation: Organisation, *, kind: str = ""):
    """The organisation's activity log, newest first, with who did each thing (one query)."""
    events = organisation.events.select_related("user").order_by("-created_at", "-id")
    return events.filter(kind=kind) if kind else events


# -------------------------------------------------------------------------- suggestions


def published_place(slug: str) -> Place | None:
    """The published place a resident reaches by its slug (current or earlier), or None."""
    place = Place.objects.filter(slug=slug, status=Place.Status.PUBLISHED).first()
    if place is None:
        place = Place.objects.filter(slug_aliases__slug=slug, status=Place.Status.PUBLISHED).first()
    return place


def visible_suggestions(user) -> QuerySet[Suggestion]:
    """Suggestions a staff member may read.

    Corrections: those about their organisations' places. Proposed new places belong to
    no organisation yet: every staff member reads them, registry admins decide.
    """
    queryset = Suggestion.objects.select_related("place", "place__organisation", "reviewer")
    if getattr(user, "is_superuser", False):
        return queryset
    if not is_staff_member(user):
        return queryset.none()
    return queryset.filter(
        Q(kind=Suggestion.Kind.NEW_PLACE, place__isnull=True)
        | Q(place__organisation_id__in=list(roles_of(user)))
    )


def pending_suggestion_count(user) -> int:
    return visible_suggestions(user).filter(status=Suggestion.Status.PENDING).count()


# -- distance -----------------------------------------------------------------------------


def nearest_first(places, latitude: float, longitude: float, radius_km: float) -> list[Place]:
    """The places (any iterable, e.g. a queryset) within `radius_km`, nearest first.

    Each returned place gets a `distance_km` attribute (float, great-circle distance).
    Places without coordinates are left out.
    """
    latitude, longitude, radius_km = float(latitude), float(longitude), float(radius_km)
    if isinstance(places, QuerySet):
        places = places.order_by()  # sorted here by distance: no ordering asked of the database
    found = []
    for place in places:
        if place.latitude is None or place.longitude is None:
            continue
        distance = haversine_km(latitude, longitude, float(place.latitude), float(place.longitude))
        if distance <= radius_km:
            place.distance_km = distance
            found.append(place)
    found.sort(key=lambda p: (p.distance_km, p.pk))
    return found


def places_near(
    queryset: QuerySet[Place], latitude: float, longitude: float, radius_km: float
) -> list[Place]:
    """Places of `queryset` within `radius_km` of a point, nearest first.

    The bounding box is filtered in SQL on the indexed latitude/longitude columns
    (`in_bounding_box`), so only the few places in the box are fetched; the exact
    great-circle distance is then computed in Python on those (`nearest_first`). Each
    returned place has a `distance_km` attribute (float). Places without coordinates are
    never returned. Other filters already on `queryset` stay in the same query; to add a
    costly one (a subquery), apply `in_bounding_box` first, then the filter, then
    `nearest_first`.
    """
    return nearest_first(
        in_bounding_box(queryset, latitude, longitude, radius_km), latitude, longitude, radius_km
    )
