"""Every write to the registry. Pages, the API and imports call these, never .save().

Each action validates everything first (full_clean on every record it will write), writes
in one transaction, and records who changed what in the place's history.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from places import emails
from places.filter_choices import forget_filter_choices
from places.history import _plain, change, diff, record, record_many, snapshot, store
from places.inserts import insert_many
from places.models import (
    PROFILE_MODELS,
    BouncedAddress,
    ChangeRecord,
    ExternalId,
    Membership,
    Network,
    Organisation,
    OrganisationEvent,
    Place,
    PlaceSlugAlias,
    Role,
    Suggestion,
    Typology,
)
from places.signals import CLOCK_FIELDS, place_clock_changed
from places.versioning import StaleRecord, check_version

logger = logging.getLogger(__name__)

User = get_user_model()

PLACE_FIELDS = (
    "name",
    "slug",
    "short_description",
    "description",
    "origin",
    "address",
    "postcode",
    "commune",
    "insee_code",
    "latitude",
    "longitude",
    "itinerant",
    "time_zone",
    "phone",
    "email",
    "website",
    "wheelchair",
    "accessibility_notes",
    "acceslibre_url",
    "legal_id",
)


# The one conflict error of every versioned record (places.versioning); the old name stays.
StaleVersion = StaleRecord


def _unique_slug(base: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(base)[:110] or "lieu"
    candidate, n = base, 2
    while (
        Place.objects.filter(slug=candidate).exclude(pk=exclude_pk).exists()
        or PlaceSlugAlias.objects.filter(slug=candidate).exclude(place_id=exclude_pk).exists()
    ):
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _relations_snapshot(place: Place) -> dict[str, Any]:
    return _relations_values(place.typologies.all(), place.networks.all(), place.managers.all())


def _relations_values(typologies, networks, managers) -> dict[str, Any]:
    """The place's links as its history shows them (read from the database or in hand)."""
    return {
        "typologies": sorted({t.code for t in typologies}),
        "networks": sorted({n.slug for n in networks}),
        "managers": sorted({u.username for u in managers}),
    }


def _check_slug(slug: str, place: Place) -> None:
    taken = Place.objects.filter(slug=slug).exclude(pk=place.pk).exists()
    aliased = PlaceSlugAlias.objects.filter(slug=slug).exclude(place_id=place.pk).exists()
    if taken or aliased:
        raise ValidationError({"slug": _("This slug is already used by another place.")})


def _resolve_typologies(
    codes: Iterable[str], known: Mapping[str, Typology] | None = None
) -> list[Typology]:
    """The typologies of these codes; `known` (every typology by code) saves the query."""
    codes = list(dict.fromkeys(codes))
    if known is None:
        found = {t.code: t for t in Typology.objects.filter(code__in=codes)}
    else:
        found = {c: known[c] for c in codes if c in known}
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError(
            {"typologies": _("Unknown typology: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    if not codes:
        raise ValidationError({"typologies": _("Choose at least one typology.")})
    return [found[c] for c in codes]


def _validate_profiles(
    place: Place, profiles: Mapping[str, Mapping | None], *, check_unique: bool = True
) -> dict:
    """Build (unsaved) profile records and validate them all; errors are prefixed by profile.

    `check_unique=False` (a new place, created in bulk) skips the uniqueness queries: a
    profile's only unique field is its place."""
    built: dict[str, Any] = {}
    errors: dict[str, list] = {}
    for name, values in profiles.items():
        if name not in PROFILE_MODELS:
            raise ValidationError({"profiles": _("Unknown profile: %(name)s.") % {"name": name}})
        if values is None:
            built[name] = None
            continue
        model = PROFILE_MODELS[name]
        instance = getattr(place, name, None) if place.pk else None
        if instance is None:
            instance = model(place=place)
        for key, value in values.items():
            if key in ("id", "place"):
                continue
            setattr(instance, key, value)
        try:
            instance.full_clean(exclude=["place"], validate_unique=check_unique)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(f"{name}.{key}", []).extend(messages)
        built[name] = instance
    if errors:
        raise ValidationError(errors)
    return built


def _profile_entry(
    place: Place, name: str, before: dict | None, instance, *, user, source: str, version: int
) -> ChangeRecord | None:
    """The history of a profile written (created when `before` is None)."""
    return change(
        place=place,
        target=name,
        action=ChangeRecord.Action.UPDATE if before is not None else ChangeRecord.Action.CREATE,
        changes=diff(before, snapshot(instance, exclude=("place",))),
        user=user,
        source=source,
        version=version,
    )


def _write_profiles(place: Place, built: dict, *, user, source: str, version: int) -> None:
    for name, instance in built.items():
        model = PROFILE_MODELS[name]
        existing = model.objects.filter(place=place).first()
        before = snapshot(existing, exclude=("place",)) if existing else None
        if instance is None:
            if existing:
                existing.delete()
                record(
                    place=place,
                    target=name,
                    action=ChangeRecord.Action.DELETE,
                    changes=diff(before, None),
                    user=user,
                    source=source,
                    version=version,
                )
            continue
        if existing:
            instance.pk = existing.pk
        instance.place = place
        instance.save()
        store(
            _profile_entry(place, name, before, instance, user=user, source=source, version=version)
        )


def _full_clean_place(
    place: Place, extra_errors: dict | None = None, *, in_bulk: bool = False
) -> None:
    errors: dict[str, list] = dict(extra_errors or {})
    try:
        place.full_clean(
            exclude=["organisation"] if place.organisation_id is None or in_bulk else None,
            validate_unique=not in_bulk,
            # The one constraint that needs no query (latitude with longitude) is also
            # Place.clean()'s own check.
            validate_constraints=not in_bulk,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@dataclass
class NewPlace:
    """A place validated by `place_prepare`, not saved yet, with what it will be linked to."""

    place: Place
    typologies: list[Typology]
    networks: list[Network] = field(default_factory=list)
    managers: list = field(default_factory=list)
    profiles: dict[str, Any] = field(default_factory=dict)


def place_prepare(
    *,
    organisation: Organisation,
    data: Mapping[str, Any],
    typologies: Iterable[str],
    networks: Iterable[Network] = (),
    managers: Iterable = (),
    profiles: Mapping[str, Mapping | None] | None = None,
    status: str = Place.Status.DRAFT,
    known_typologies: Mapping[str, Typology] | None = None,
    in_bulk: bool = False,
) -> NewPlace:
    """Every check place_create makes before writing; ValidationError keyed by field.

    `in_bulk=True` (a place for `places_create_many`) leaves out the checks that cost a
    query per place: the slug's uniqueness, made by places_create_many for the whole
    batch in one query; the other unique fields, which a new place's defaults satisfy;
    the organisation's existence, which a saved instance proves.
    """
    if in_bulk and organisation.pk is None:
        raise ValidationError({"organisation": _("Save the organisation first.")})
    unknown = set(data) - set(PLACE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    place = Place(organisation=organisation, status=status, **data)
    errors: dict[str, list] = {}
    if not place.slug:
        place.slug = _unique_slug(place.name or "lieu")
    elif not in_bulk:
        try:
            _check_slug(place.slug, place)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        typology_objs = _resolve_typologies(typologies, known_typologies)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        typology_objs = []
    _full_clean_place(place, errors, in_bulk=in_bulk)
    built = _validate_profiles(place, profiles or {}, check_unique=not in_bulk)
    return NewPlace(
        place=place,
        typologies=typology_objs,
        networks=list({n.pk: n for n in networks}.values()),
        managers=list({u.pk: u for u in managers}.values()),
        profiles={name: p for name, p in built.items() if p is not None},
    )


def _creation_entries(new: NewPlace, *, user, source: str) -> list[ChangeRecord]:
    """The history of a place created: the place with its links, then each profile."""
    place = new.place
    entries = [
        change(
            place=place,
            target="place",
            action=ChangeRecord.Action.CREATE,
            changes=diff(
                None,
                {
                    **snapshot(place, exclude=("organisation",)),
                    **_relations_values(new.typologies, new.networks, new.managers),
                },
            ),
            user=user,
            source=source,
            version=place.version,
        )
    ]
    for name, profile in new.profiles.items():
        entries.append(
            _profile_entry(
                place, name, None, profile, user=user, source=source, version=place.version
            )
        )
    return entries


@transaction.atomic
def place_create(
    *,
    user,
    organisation: Organisation,
    data: Mapping[str, Any],
    typologies: Iterable[str],
    networks: Iterable[Network] = (),
    managers: Iterable = (),
    profiles: Mapping[str, Mapping | None] | None = None,
    status: str = Place.Status.DRAFT,
    update_every_days: int | None = None,
    source: str = "staff",
) -> Place:
    """Create a place with its typologies, networks and profiles, and record it.

    `update_every_days`, the expected update frequency, defaults to the model's."""
    try:
        new = place_prepare(
            organisation=organisation,
            data=data,
            typologies=typologies,
            networks=networks,
            managers=managers,
            profiles=profiles,
            status=status,
        )
    except ValidationError as exc:
        errors = dict(exc.message_dict) if hasattr(exc, "error_dict") else {}
        if not errors:
            raise
        _check_update_every_days(update_every_days, errors)
        raise ValidationError(errors) from None
    _check_update_every_days(update_every_days, {}, raise_now=True)
    place = new.place
    if update_every_days is not None:
        place.update_every_days = update_every_days
    try:
        place.save()
    except IntegrityError:
        # Another request took the slug between our check and the insert.
        raise ValidationError({"slug": _("This slug is already used by another place.")}) from None
    place.typologies.set(new.typologies)
    place.networks.set(new.networks)
    place.managers.set(new.managers)
    for profile in new.profiles.values():
        profile.place = place
        profile.save()
    entries = _creation_entries(new, user=user, source=source)
    if update_every_days is not None and entries and entries[0] is not None:
        entries[0].changes["update_every_days"] = [None, update_every_days]
    for entry in entries:
        store(entry)
    return place


def _check_update_every_days(days: int | None, errors: dict, *, raise_now: bool = False) -> None:
    """The expected update frequency, in days, within the model's bounds (7 to 730)."""
    if days is None:
        return
    try:
        Place._meta.get_field("update_every_days").clean(days, None)
    except ValidationError as exc:
        errors.setdefault("update_every_days", []).extend(exc.messages)
        if raise_now:
            raise ValidationError(errors) from None


@transaction.atomic
def places_create_many(*, user, items: Sequence[NewPlace], source: str = "staff") -> list[Place]:
    """place_create for many places prepared by `place_prepare` (imports): the same rows,
    links, profiles and history, in a few statements for the whole batch.

    The slugs are checked here for the batch at once (a slug taken by a place, an old
    link or another item refuses the whole call, naming them).
    """
    places = [new.place for new in items]
    slugs = Counter(p.slug for p in places)
    taken = {s for s, n in slugs.items() if n > 1}
    taken |= set(Place.objects.filter(slug__in=list(slugs)).values_list("slug", flat=True))
    taken |= set(PlaceSlugAlias.objects.filter(slug__in=list(slugs)).values_list("slug", flat=True))
    if taken:
        raise ValidationError(
            {
                "slug": _("These slugs are already used by another place: %(slugs)s.")
                % {"slugs": ", ".join(sorted(taken))}
            }
        )
    for place in places:
        place.refresh_derived_fields()  # what save() does; bulk_create skips save()
    insert_many(Place, places)
    for through, attribute, key in (
        (Place.typologies.through, "typologies", "typology_id"),
        (Place.networks.through, "networks", "network_id"),
        (Place.managers.through, "managers", "user_id"),
    ):
        insert_many(
            through,
            [
                through(place_id=new.place.pk, **{key: other.pk})
                for new in items
                for other in getattr(new, attribute)
            ],
        )
    for name, model in PROFILE_MODELS.items():
        profiles = []
        for new in items:
            if name in new.profiles:
                new.profiles[name].place = new.place
                profiles.append(new.profiles[name])
        insert_many(model, profiles)
    record_many(
        entry for new in items for entry in _creation_entries(new, user=user, source=source)
    )
    # Bulk writes send no model signal: the search's filter choices are told here.
    forget_filter_choices()
    return places


def _external_id_entry(external: ExternalId, *, user, source: str) -> ChangeRecord:
    return change(
        place=external.place,
        target="external_id",
        action=ChangeRecord.Action.CREATE,
        changes={"external_id": [None, f"{external.source}:{external.external_id}"]},
        user=user,
        source=source,
        version=external.place.version,
    )


def _new_external_id(place: Place, system: str, identifier: str) -> ExternalId:
    external = ExternalId(place=place, source=system, external_id=identifier)
    external.full_clean(exclude=["place"], validate_unique=False, validate_constraints=False)
    return external


@transaction.atomic
def external_id_add(
    *, place: Place, system: str, identifier: str, user, source: str = "staff"
) -> ExternalId:
    """Remember `place`'s identifier in another system (an imported file), in its history.

    An identifier already given to a place is refused.
    """
    external = _new_external_id(place, system, identifier)
    try:
        with transaction.atomic():
            external.save()
    except IntegrityError:
        raise ValidationError(
            {"external_id": _("%(id)s already names a place.") % {"id": str(external)}}
        ) from None
    store(_external_id_entry(external, user=user, source=source))
    return external


@transaction.atomic
def external_ids_add_many(
    *, items: Sequence[tuple[Place, str, str]], user, source: str = "staff"
) -> list[ExternalId]:
    """external_id_add for (place, system, identifier) items, in two statements."""
    externals = [_new_external_id(*item) for item in items]
    try:
        with transaction.atomic():
            insert_many(ExternalId, externals)
    except IntegrityError:
        raise ValidationError(
            {"external_id": _("One of these identifiers already names a place.")}
        ) from None
    record_many(_external_id_entry(e, user=user, source=source) for e in externals)
    return externals


def _lock_and_check(place: Place, expected_version: int | None) -> Place:
    current = Place.objects.select_for_update().get(pk=place.pk)
    check_version(
        kind="place",
        current=current,
        version=current.version,
        expected=expected_version,
        since=lambda: (
            ChangeRecord.objects.filter(place=current, version__gt=expected_version)
            .exclude(target__startswith="schedule:")
            .select_related("user")
            .order_by("created_at", "id")
        ),
    )
    return current


@transaction.atomic
def place_update(
    *,
    place: Place,
    user,
    expected_version: int | None,
    data: Mapping[str, Any],
    typologies: Iterable[str] | None = None,
    networks: Iterable[Network] | None = None,
    managers: Iterable | None = None,
    profiles: Mapping[str, Mapping | None] | None = None,
    update_every_days: int | None = None,
    source: str = "staff",
) -> Place:
    """Change a place and its profiles if nobody saved it since `expected_version`.

    `expected_version=None` skips the check (imports that own the record).
    Raises StaleVersion (a ValidationError) on a conflict, with the changes made since.
    `update_every_days` (staff only) changes the expected update frequency; None keeps it.
    """
    unknown = set(data) - set(PLACE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    current = _lock_and_check(place, expected_version)
    before = {
        **snapshot(current, exclude=("organisation",)),
        **_relations_snapshot(current),
        "update_every_days": current.update_every_days,
    }
    old_slug = current.slug
    for key, value in data.items():
        setattr(current, key, value)
    errors: dict[str, list] = {}
    _check_update_every_days(update_every_days, errors)
    if update_every_days is not None and not errors.get("update_every_days"):
        current.update_every_days = update_every_days
    if "slug" in data and not current.slug:
        current.slug = _unique_slug(current.name, exclude_pk=current.pk)
    try:
        _check_slug(current.slug, current)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    typology_objs = None
    if typologies is not None:
        try:
            typology_objs = _resolve_typologies(typologies)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    _full_clean_place(current, errors)
    built = _validate_profiles(current, profiles or {})

    current.version += 1
    current.save()
    if current.slug != old_slug:
        PlaceSlugAlias.objects.filter(slug=current.slug).delete()
        PlaceSlugAlias.objects.get_or_create(slug=old_slug, defaults={"place": current})
    if typology_objs is not None:
        current.typologies.set(typology_objs)
    if networks is not None:
        current.networks.set(list(networks))
    if managers is not None:
        current.managers.set(list(managers))
    after = {
        **snapshot(current, exclude=("organisation",)),
        **_relations_snapshot(current),
        "update_every_days": current.update_every_days,
    }
    changes = diff(before, after)
    changes.pop("version", None)
    record(
        place=current,
        target="place",
        action=ChangeRecord.Action.UPDATE,
        changes=changes,
        user=user,
        source=source,
        version=current.version,
    )
    _write_profiles(current, built, user=user, source=source, version=current.version)
    clock_changes = {k: v for k, v in changes.items() if k in CLOCK_FIELDS}
    if clock_changes:
        # Its hours are read in another zone or with other holidays: the calendar follows.
        place_clock_changed.send(sender=Place, place=current, changes=clock_changes)
    place.__dict__.update(current.__dict__)
    return current


def _check_transition(
    current: Place, *, status: str, allowed_from: set[str], has_typology: bool
) -> None:
    if current.status not in allowed_from:
        raise ValidationError(
            _("A %(status)s place cannot be changed this way.")
            % {"status": current.get_status_display().lower()},
            code="bad_transition",
        )
    if status == Place.Status.PUBLISHED and not has_typology:
        raise ValidationError(_("Choose a typology before publishing."), code="incomplete")


def _status_entry(current: Place, old: str, *, user, source: str) -> ChangeRecord:
    return change(
        place=current,
        target="place",
        action=ChangeRecord.Action.STATUS,
        changes={"status": [old, current.status]},
        user=user,
        source=source,
        version=current.version,
    )


def _set_status(
    place: Place,
    *,
    user,
    status: str,
    allowed_from: set[str],
    source: str,
    expected_version: int | None,
) -> Place:
    current = _lock_and_check(place, expected_version)
    _check_transition(
        current,
        status=status,
        allowed_from=allowed_from,
        has_typology=status != Place.Status.PUBLISHED or current.typologies.exists(),
    )
    old = current.status
    current.status = status
    current.version += 1
    current.save(update_fields=["status", "version", "updated_at", "search_text"])
    store(_status_entry(current, old, user=user, source=source))
    place.__dict__.update(current.__dict__)
    return current


@transaction.atomic
def places_publish_many(*, places: Sequence[Place], user, source: str = "staff") -> list[Place]:
    """place_publish for many draft places (imports): the same checks and history, one
    update; a place that place_publish would refuse refuses the call, naming it."""
    ids = [p.pk for p in places]
    current = {p.pk: p for p in Place.objects.select_for_update().filter(pk__in=ids)}
    typed = set(
        Place.typologies.through.objects.filter(place_id__in=ids).values_list("place_id", flat=True)
    )
    for place in places:
        try:
            _check_transition(
                current[place.pk],
                status=Place.Status.PUBLISHED,
                allowed_from={Place.Status.DRAFT},
                has_typology=place.pk in typed,
            )
        except ValidationError as exc:
            raise ValidationError(
                _("%(place)s: %(error)s") % {"place": place.slug, "error": " ".join(exc.messages)},
                code=exc.code,
            ) from None
    now = timezone.now()
    Place.objects.filter(pk__in=ids).update(
        status=Place.Status.PUBLISHED, version=F("version") + 1, updated_at=now
    )
    entries = []
    for place in places:
        old = current[place.pk].status
        place.status, place.version, place.updated_at = (
            Place.Status.PUBLISHED,
            current[place.pk].version + 1,
            now,
        )
        entries.append(_status_entry(place, old, user=user, source=source))
    record_many(entries)
    forget_filter_choices()  # a queryset update sends no model signal
    return list(places)


@transaction.atomic
def place_publish(
    *, place: Place, user, source: str = "staff", expected_version: int | None = None
) -> Place:
    """Make a draft place visible to residents and partners."""
    return _set_status(
        place,
        user=user,
        status=Place.Status.PUBLISHED,
        allowed_from={Place.Status.DRAFT},
        source=source,
        expected_version=expected_version,
    )


@transaction.atomic
def place_archive(
    *, place: Place, user, source: str = "staff", expected_version: int | None = None
) -> Place:
    """Withdraw a place from the public registry; its data and history are kept."""
    return _set_status(
        place,
        user=user,
        status=Place.Status.ARCHIVED,
        allowed_from={Place.Status.DRAFT, Place.Status.PUBLISHED},
        source=source,
        expected_version=expected_version,
    )


@transaction.atomic
def place_restore(
    *, place: Place, user, source: str = "staff", expected_version: int | None = None
) -> Place:
    """Bring an archived place back as a draft, for review before publishing again."""
    return _set_status(
        place,
        user=user,
        status=Place.Status.DRAFT,
        allowed_from={Place.Status.ARCHIVED},
        source=source,
        expected_version=expected_version,
    )


@transaction.atomic
def place_manager_add(
    *,
    place: Place,
    user,
    person,
    source: str = "staff",
    expected_version: int | None = None,
) -> Place:
    """Make `person` (a member of the place's organisation) one of the place's managers;
    through place_update, so the history records it and the version moves."""
    if not place.organisation.memberships.filter(user=person).exists():
        raise ValidationError(
            _("%(person)s is not a member of %(org)s.")
            % {"person": person.get_username(), "org": place.organisation},
            code="not_member",
        )
    managers = list(place.managers.all())
    if any(m.pk == person.pk for m in managers):
        raise ValidationError(
            _("%(person)s already manages this place.") % {"person": person.get_username()},
            code="already_manager",
        )
    return place_update(
        place=place,
        user=user,
        expected_version=expected_version,
        data={},
        managers=[*managers, person],
        source=source,
    )


def organisation_event_record(
    *, organisation: Organisation, user, kind: str, action: str, target: str, summary: str = ""
) -> OrganisationEvent:
    """Note on the organisation's activity log who did what, and when.

    Called by the actions that change its members, partner tokens and webhooks, and by
    imports and bulk actions; interface code never writes the log itself.
    """
    return OrganisationEvent.objects.create(
        organisation=organisation,
        user=user if getattr(user, "pk", None) else None,
        kind=kind,
        action=action,
        target=str(target)[:200],
        summary=str(summary)[:500],
    )


@transaction.atomic
def bounce_clear(*, user, email: str, organisation: Organisation) -> bool:
    """Staff say a refused address is fixed: mail goes to it again.

    Noted on the activity log of the organisation whose page it was cleared from (the
    refusal record itself is global: one address, whoever writes to it). False when the
    address was not recorded as refused.
    """
    email = (email or "").strip().lower()
    bounce = BouncedAddress.objects.select_for_update().filter(email=email).first()
    if bounce is None:
        return False
    summary = _("%(n)s refusals, last %(status)s on %(day)s") % {
        "n": bounce.count,
        "status": bounce.status or "?",
        "day": timezone.localdate(bounce.last_bounced_at).isoformat(),
    }
    bounce.delete()
    organisation_event_record(
        organisation=organisation,
        user=user,
        kind=OrganisationEvent.Kind.EMAIL,
        action=OrganisationEvent.Action.CLEARED,
        target=email,
        summary=summary,
    )
    return True


@transaction.atomic
def membership_set(*, organisation: Organisation, user, person, role: str) -> Membership:
    """Give `person` a role in the organisation (creating or changing the membership)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s.") % {"role": role}})
    membership, created = Membership.objects.get_or_create(
        organisation=organisation, user=person, defaults={"role": role}
    )
    old_role = None if created else membership.role
    if not created and membership.role != role:
        _refuse_last_admin_removal(membership, new_role=role)
        membership.role = role
        membership.save(update_fields=["role"])
    if old_role != role:
        record(
            place=None,
            target=f"membership:{organisation.slug}:{person.username}",
            action=ChangeRecord.Action.CREATE if created else ChangeRecord.Action.UPDATE,
            changes={"role": [old_role, role]},
            user=user,
            source="staff",
        )
        organisation_event_record(
            organisation=organisation,
            user=user,
            kind=OrganisationEvent.Kind.MEMBERSHIP,
            action=OrganisationEvent.Action.ADDED if created else OrganisationEvent.Action.CHANGED,
            target=person.get_username(),
            summary=role if created else f"{old_role} → {role}",
        )
    return membership


def _refuse_last_admin_removal(membership: Membership, *, new_role: str | None) -> None:
    if membership.role != Role.REGISTRY_ADMIN or new_role == Role.REGISTRY_ADMIN:
        return
    admins = Membership.objects.filter(
        organisation=membership.organisation, role=Role.REGISTRY_ADMIN
    ).count()
    if admins <= 1:
        raise ValidationError(
            _("An organisation keeps at least one registry admin: name another one first."),
            code="last_admin",
        )


@transaction.atomic
def membership_remove(*, membership: Membership, user) -> None:
    """Remove a person from an organisation (never its last registry admin)."""
    _refuse_last_admin_removal(membership, new_role=None)
    record(
        place=None,
        target=f"membership:{membership.organisation.slug}:{membership.user.username}",
        action=ChangeRecord.Action.DELETE,
        changes={"role": [membership.role, None]},
        user=user,
        source="staff",
    )
    organisation_event_record(
        organisation=membership.organisation,
        user=user,
        kind=OrganisationEvent.Kind.MEMBERSHIP,
        action=OrganisationEvent.Action.REMOVED,
        target=membership.user.get_username(),
        summary=membership.role,
    )
    membership.delete()


@transaction.atomic
def organisation_create(*, user, slug: str, name: str, kind: str) -> Organisation:
    """Create an organisation (a city, an intercommunality...) that catalogues places."""
    organisation = Organisation(slug=slug, name=name, kind=kind)
    try:
        organisation.full_clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    organisation.save()
    record(
        place=None,
        target=f"organisation:{organisation.slug}",
        action=ChangeRecord.Action.CREATE,
        changes={"name": [None, name], "kind": [None, kind]},
        user=user,
        source="staff",
    )
    return organisation


@transaction.atomic
def person_invite(
    *,
    organisation: Organisation,
    user,
    username: str,
    email: str,
    role: str,
    send_invitation: bool = True,
) -> Membership:
    """Add a person to an organisation, creating their account if it does not exist.

    A person without a usable password (a new account) is emailed an invitation, once
    the membership is saved, with a single-use link to choose one; the returned
    membership's `invitation_sent` says whether it was.
    """
    person = User.objects.filter(username=username).first()
    if person is None:
        person = User(username=username, email=email)
        person.set_unusable_password()
        try:
            person.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        person.save()
    membership = membership_set(organisation=organisation, user=user, person=person, role=role)
    membership.invitation_sent = (
        send_invitation and bool(person.email) and not person.has_usable_password()
    )
    if membership.invitation_sent:
        transaction.on_commit(lambda: emails.send_invitation(membership, inviter=user))
    return membership


# -------------------------------------------------------------------------- suggestions

# What a suggestion may propose: the place's own fields and its typologies.
SUGGESTION_FIELDS = (*PLACE_FIELDS, "typologies")


def hash_ip(ip: str) -> str:
    """A keyed hash of an IP address: the same address gives the same hash, nothing more."""
    if not ip:
        return ""
    return salted_hmac("places.suggestion.ip", ip).hexdigest()


def _suggestion_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """Proposed values parsed and checked field by field, and the errors found."""
    unknown = set(data) - set(SUGGESTION_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    values: dict[str, Any] = {}
    errors: dict[str, list] = {}
    probe = Place()
    for name, raw in data.items():
        if name == "typologies":
            try:
                values[name] = sorted(t.code for t in _resolve_typologies(raw or ()))
            except ValidationError as exc:
                errors.update(exc.message_dict)
            continue
        field = Place._meta.get_field(name)
        try:
            value = field.clean(raw if raw is not None else field.get_default(), probe)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
            continue
        values[name] = _plain(value)
    return values, errors


def _current_values(place: Place, names: Iterable[str]) -> dict[str, Any]:
    current = {**snapshot(place, exclude=("organisation",)), **_relations_snapshot(place)}
    return {name: current.get(name) for name in names}


@transaction.atomic
def suggestion_submit(
    *,
    kind: str,
    data: Mapping[str, Any],
    place: Place | None = None,
    message: str = "",
    email: str = "",
    ip: str = "",
    language: str = "",
) -> Suggestion:
    """Record a resident's correction to a published place, or a place to add.

    A correction keeps only the values that differ from the place; it must change
    something or carry a message. A new place needs at least a name. The submitter's
    IP address is stored as a keyed hash only.
    """
    if kind not in Suggestion.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of suggestion.")})
    values, errors = _suggestion_values(data)
    if kind == Suggestion.Kind.CORRECTION:
        if place is None or place.status != Place.Status.PUBLISHED:
            raise ValidationError(_("This place cannot receive corrections."), code="no_place")
        current = _current_values(place, values)
        values = {k: v for k, v in values.items() if k in errors or v != current[k]}
        if not errors and not values and not message.strip():
            errors["__all__"] = [
                _("Change at least one value, or tell us what is wrong in the message.")
            ]
    else:
        place = None
        if not str(values.get("name") or "").strip() and "name" not in errors:
            errors["name"] = [_("Give the name of the place.")]
    suggestion = Suggestion(
        kind=kind,
        place=place,
        data=values,
        message=message.strip(),
        email=email.strip(),
        language=language or translation.get_language() or "",
        submitter_hash=hash_ip(ip),
    )
    try:
        suggestion.full_clean(exclude=["data", "place"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    suggestion.save()
    transaction.on_commit(lambda: emails.notify_new_suggestion(suggestion))
    return suggestion


def _pending(suggestion: Suggestion) -> Suggestion:
    current = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if current.status != Suggestion.Status.PENDING:
        raise ValidationError(
            _("This suggestion was already %(status)s.")
            % {"status": current.get_status_display().lower()},
            code="already_reviewed",
        )
    return current


def _place_arguments(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str] | None]:
    """Stored (JSON) values back to what place_create and place_update take."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        if name == "typologies":
            continue
        field = Place._meta.get_field(name)
        try:
            data[name] = field.to_python(value)
        except ValidationError as exc:
            raise ValidationError({name: exc.messages}) from None
    typologies = values.get("typologies")
    return data, (list(typologies) if typologies is not None else None)


@transaction.atomic
def suggestion_accept(
    *,
    suggestion: Suggestion,
    user,
    data: Mapping[str, Any] | None = None,
    organisation: Organisation | None = None,
    expected_version: int | None = None,
) -> Suggestion:
    """Apply a pending suggestion, with `data` replacing the proposed values if given.

    A correction goes through place_update (StaleVersion if the place moved on since
    `expected_version`); a new place through place_create, as a draft of `organisation`.
    The history records the source "suggestion:<id>". The submitter is told by email.
    """
    current = _pending(suggestion)
    if data is None:
        values = dict(current.data)
    else:
        values, errors = _suggestion_values(data)
        if errors:
            raise ValidationError(errors)
    place_data, typologies = _place_arguments(values)
    source = f"suggestion:{current.pk}"
    if current.kind == Suggestion.Kind.CORRECTION:
        if place_data or typologies is not None:
            place_update(
                place=current.place,
                user=user,
                expected_version=expected_version,
                data=place_data,
                typologies=typologies,
                source=source,
            )
    else:
        if organisation is None:
            raise ValidationError({"organisation": _("Choose the organisation of the place.")})
        current.place = place_create(
            user=user,
            organisation=organisation,
            data=place_data,
            typologies=typologies or (),
            source=source,
        )
    current.data = values
    current.status = Suggestion.Status.ACCEPTED
    current.reviewer = user
    current.reviewed_at = timezone.now()
    current.save()
    _notify_submitter(current)
    suggestion.__dict__.update(current.__dict__)
    return current


@transaction.atomic
def suggestion_reject(*, suggestion: Suggestion, user, reason: str) -> Suggestion:
    """Turn a pending suggestion down, with a reason the submitter will read."""
    current = _pending(suggestion)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason: the person who wrote will read it.")})
    current.status = Suggestion.Status.REJECTED
    current.reason = reason
    current.reviewer = user
    current.reviewed_at = timezone.now()
    current.save()
    _notify_submitter(current)
    suggestion.__dict__.update(current.__dict__)
    return current


def _notify_submitter(suggestion: Suggestion) -> None:
    """Email the outcome once the decision is committed (never for an anonymous one)."""
    if suggestion.email:
        transaction.on_commit(lambda: _send_outcome(suggestion))


def _send_outcome(suggestion: Suggestion) -> None:
    language = suggestion.language or settings.LANGUAGE_CODE
    with translation.override(language):
        subject, body = _outcome_message(suggestion)
        # The decision is saved; a mail server failure must not turn it into an error
        # (emails.send logs it, and records an address the server refuses).
        emails.send(to=suggestion.email, subject=subject, body=body)


def _outcome_message(suggestion: Suggestion) -> tuple[str, str]:
    name = (suggestion.place.name if suggestion.place else suggestion.data.get("name")) or ""
    if suggestion.status == Suggestion.Status.ACCEPTED:
        subject = _("Your suggestion about “%(name)s” was accepted") % {"name": name}
        if suggestion.kind == Suggestion.Kind.NEW_PLACE:
            body = _(
                "Thank you: the place “%(name)s” was added to the registry. Staff will "
                "check it before it is published."
            ) % {"name": name}
        else:
            body = _("Thank you: your correction to “%(name)s” was applied.") % {"name": name}
    else:
        subject = _("Your suggestion about “%(name)s” was not accepted") % {"name": name}
        body = _(
            "Thank you for your suggestion about “%(name)s”. It was not accepted, for this "
            "reason:\n\n%(reason)s"
        ) % {"name": name, "reason": suggestion.reason}
    return subject, body
