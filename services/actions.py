"""Every write to the catalogue and to service offers. Pages, the API and imports call these.

Each action validates first (full_clean), writes in one transaction and records the change
in the history of the place (offers) or of the registry (catalogue, providers). Writes to
an offer send `services.signals.offer_changed` inside the transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from places.history import change, diff, record, record_many, snapshot, store
from places.inserts import insert_many
from places.models import ChangeRecord, Organisation, Place
from places.versioning import StaleRecord, check_version, last_records
from services.models import NeedWord, Provider, ServiceCategory, ServiceKind, ServiceOffer
from services.selectors import provider_for_organisation
from services.signals import offer_changed

OFFER_FIELDS = (
    "kind",
    "provider",
    "level",
    "mediator_kind",
    "audiences",
    "fees",
    "fees_details",
    "access_modes",
    "appointment_url",
    "description",
)
PROVIDER_FIELDS = ("slug", "name", "sector", "website", "organisation")
SERVICE_KIND_FIELDS = (
    "slug",
    "name",
    "name_en",
    "category",
    "data_inclusion_thematiques",
    "profile",
    "position",
    "active",
)
SERVICE_CATEGORY_FIELDS = ("slug", "name", "name_en", "position")
NEED_WORD_FIELDS = ("phrase", "language", "kinds", "typologies")


# The one conflict error of every versioned record (places.versioning); the old name stays.
StaleOffer = StaleRecord


def _check_fields(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})


def _resolve(model, value, *, field: str, message: str):
    """Accept an instance, a primary key or a slug, so imports and the API can pass either."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        if value.pk is None:
            raise ValidationError({field: message % {"value": value}})
        return value
    lookup = {"pk": value} if isinstance(value, int) else {"slug": str(value)}
    found = model.objects.filter(**lookup).first()
    if found is None:
        raise ValidationError({field: message % {"value": value}})
    return found


def _resolve_offer_refs(data: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(data)
    errors: dict[str, list] = {}
    for field, model, message in (
        ("kind", ServiceKind, _("Unknown service kind: %(value)s.")),
        ("provider", Provider, _("Unknown provider: %(value)s.")),
    ):
        if field in values:
            try:
                values[field] = _resolve(model, values[field], field=field, message=message)
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return values


def _offer_snapshot(offer: ServiceOffer) -> dict[str, Any]:
    data = snapshot(offer, exclude=("place",))
    data.pop("version", None)
    return data


def _full_clean_offer(offer: ServiceOffer) -> None:
    # The place is kept in the check: the "one live offer per place, kind and provider"
    # constraint is only validated when none of its fields is excluded.
    offer.full_clean()


def _save_offer(offer: ServiceOffer) -> None:
    try:
        with transaction.atomic():
            offer.save()
    except IntegrityError:
        # A concurrent request created the same live offer between validation and insert.
        raise ValidationError(
            _("This provider already offers this service at this place."), code="duplicate"
        ) from None


def _offer_entry(offer: ServiceOffer, *, action: str, changes: dict, user, source: str):
    return change(
        place=offer.place,
        target=f"offer:{offer.pk}",
        action=action,
        changes=changes,
        user=user,
        source=source,
    )


def _record_offer(
    offer: ServiceOffer, *, action: str, changes: dict, user, source: str, signal_action: str
) -> None:
    store(_offer_entry(offer, action=action, changes=changes, user=user, source=source))
    offer_changed.send(sender=ServiceOffer, offer=offer, action=signal_action, changes=changes)


def _lock_and_check(offer: ServiceOffer, expected_version: int | None) -> ServiceOffer:
    current = (
        ServiceOffer.objects.select_for_update()
        .select_related("place", "kind", "provider")
        .get(pk=offer.pk)
    )
    # Every write that changes an offer bumps its version by one and leaves one record.
    check_version(
        kind="offer",
        current=current,
        version=current.version,
        expected=expected_version,
        since=lambda: last_records(
            ChangeRecord.objects.filter(target=f"offer:{current.pk}"),
            current.version - expected_version,
        ),
    )
    return current


def _check_place_takes_offers(place: Place) -> None:
    if place.status == Place.Status.ARCHIVED:
        raise ValidationError(
            _("An archived place cannot receive new offers."), code="archived_place"
        )


@transaction.atomic
def offer_create(
    *, place: Place, user, data: Mapping[str, Any], source: str = "staff"
) -> ServiceOffer:
    """Offer a service kind at a place. `kind` and `provider` may be instances, ids or slugs.

    Refuses an archived place, an inactive kind and a second live offer of the same kind by
    the same provider at the place.
    """
    _check_fields(data, OFFER_FIELDS)
    _check_place_takes_offers(place)
    values = _resolve_offer_refs(data)
    offer = ServiceOffer(place=place, **values)
    _full_clean_offer(offer)
    _save_offer(offer)
    _record_offer(
        offer,
        action=ChangeRecord.Action.CREATE,
        changes=diff(None, _offer_snapshot(offer)),
        user=user,
        source=source,
        signal_action="create",
    )
    return offer


def _check_offer_refs(data: Mapping[str, Any]) -> None:
    for field, model, message in (
        ("kind", ServiceKind, _("Unknown service kind: %(value)s.")),
        ("provider", Provider, _("Unknown provider: %(value)s.")),
    ):
        # Instances only: resolving slugs one by one would cost a query per offer.
        if not isinstance(data.get(field), model) or data[field].pk is None:
            raise ValidationError({field: message % {"value": data.get(field)}})


def _check_new_offer(place: Place, data: Mapping[str, Any]) -> ServiceOffer:
    """The checks offer_create makes before writing, for one offer of offers_create_many."""
    _check_fields(data, OFFER_FIELDS)
    _check_place_takes_offers(place)
    return _check_offer_terms(place, data)


def _check_offer_terms(place: Place, data: Mapping[str, Any]) -> ServiceOffer:
    """The checks of a new offer that do not depend on its place."""
    _check_offer_refs(data)
    offer = ServiceOffer(place=place, **data)
    # The foreign keys are saved instances (checked above) and the uniqueness constraint
    # is checked for the whole batch at once by the caller: a query per offer otherwise.
    offer.full_clean(
        exclude=["place", "kind", "provider"], validate_unique=False, validate_constraints=False
    )
    return offer


# The fields of a new offer that full_clean may set (everything but the place and keys).
_TERMS = [
    f.attname
    for f in ServiceOffer._meta.concrete_fields
    if not f.primary_key and f.name not in ("place", "kind", "provider")
]


def _terms_key(data: Mapping[str, Any]) -> tuple | None:
    """What the checks of a new offer depend on besides its place: its kind, provider and
    terms (None when a value cannot be compared, and the offer is checked alone)."""
    try:
        key = tuple(
            sorted(
                (k, v.pk if k in ("kind", "provider") else tuple(v) if isinstance(v, list) else v)
                for k, v in data.items()
            )
        )
        hash(key)
    except (AttributeError, TypeError):
        return None
    return key


class _CheckedTerms:
    """One kind, provider and terms checked once for a batch: the cleaned offer they give
    (a template for the others) and its history entry, or why they were refused."""

    def __init__(self, place: Place, data: Mapping[str, Any]):
        self.error: ValidationError | None = None
        try:
            self.template = _check_offer_terms(place, data)
        except ValidationError as exc:
            self.error = exc
            return
        self.values = {name: getattr(self.template, name) for name in _TERMS}
        self.changes = diff(None, _offer_snapshot(self.template))

    def offer(self, place: Place) -> ServiceOffer:
        """The offer of these terms at `place`, as full_clean left the template."""
        values = {k: list(v) if isinstance(v, list) else v for k, v in self.values.items()}
        return ServiceOffer(
            place=place, kind=self.template.kind, provider=self.template.provider, **values
        )


@transaction.atomic
def offers_create_many(
    *, items: list[tuple[Place, Mapping[str, Any]]], user, source: str = "staff"
) -> tuple[list[ServiceOffer], list[ChangeRecord], dict[int, list[str]]]:
    """offer_create for many offers at once (imports): the same checks, history and signal.

    `items` are (place, data) pairs whose `kind` and `provider` are saved instances. An
    item that offer_create would refuse (archived place, inactive kind, invalid terms, a
    live offer of the same kind by the same provider at the place, in the registry or
    earlier in `items`) is skipped; the others are inserted in one statement with one
    history record each. Returns (the offers created, their history records, {index in
    `items`: why it was refused}). History is written with bulk_create, which sends no
    post_save: `places.history.record_many` sends `changes_recorded` in its stead, which
    the api app's webhooks hear as they hear each offer_create.

    The checks and the history of one kind, provider and terms do not depend on the
    place (but for an archived one): items that repeat them (the same services at every
    place of a file) are checked and snapshotted once.
    """
    refused: dict[int, list[str]] = {}
    checked: list[tuple[ServiceOffer, dict] | None] = []
    terms: dict[tuple, _CheckedTerms] = {}
    for index, (place, data) in enumerate(items):
        key = _terms_key(data)
        try:
            if key is None or set(data) - set(OFFER_FIELDS):
                offer = _check_new_offer(place, data)
                checked.append((offer, diff(None, _offer_snapshot(offer))))
                continue
            # In _check_new_offer's order: the place's check, then the terms'.
            _check_place_takes_offers(place)
            found = terms.get(key)
            if found is None:
                found = terms[key] = _CheckedTerms(place, data)
                if found.error is None:
                    checked.append((found.template, found.changes))
                    continue
            if found.error is not None:
                raise found.error
            checked.append((found.offer(place), found.changes))
        except ValidationError as exc:
            refused[index] = exc.messages
            checked.append(None)
    place_ids = {item[0].place_id for item in checked if item is not None}
    live = set(
        ServiceOffer.objects.filter(place_id__in=place_ids)
        .exclude(status=ServiceOffer.Status.ENDED)
        .values_list("place_id", "kind_id", "provider_id")
    )
    offers, snapshots = [], []
    for index, item in enumerate(checked):
        if item is None:
            continue
        offer, changes = item
        key = (offer.place_id, offer.kind_id, offer.provider_id)
        if key in live:
            refused[index] = [_("This provider already offers this service at this place.")]
            continue
        live.add(key)
        offers.append(offer)
        snapshots.append(changes)
    insert_many(ServiceOffer, offers)
    changes = record_many(
        _offer_entry(
            offer,
            action=ChangeRecord.Action.CREATE,
            # Each record its own copy: receivers may add to theirs.
            changes={k: list(v) for k, v in made.items()},
            user=user,
            source=source,
        )
        for offer, made in zip(offers, snapshots, strict=True)
    )
    for offer, entry in zip(offers, changes, strict=True):
        offer_changed.send(sender=ServiceOffer, offer=offer, action="create", changes=entry.changes)
    return offers, changes, refused


@transaction.atomic
def offer_update(
    *,
    offer: ServiceOffer,
    user,
    expected_version: int | None,
    data: Mapping[str, Any],
    source: str = "staff",
) -> ServiceOffer:
    """Change an offer's terms if nobody saved it since `expected_version`.

    `expected_version=None` skips the check (imports that own the record). The status is
    changed by offer_suspend, offer_end and offer_reactivate, never here. Raises StaleOffer
    (a ValidationError) on a conflict.
    """
    _check_fields(data, OFFER_FIELDS)
    values = _resolve_offer_refs(data)
    current = _lock_and_check(offer, expected_version)
    before = _offer_snapshot(current)
    for key, value in values.items():
        setattr(current, key, value)
    _full_clean_offer(current)
    changes = diff(before, _offer_snapshot(current))
    if changes:
        current.version += 1
        _save_offer(current)
        _record_offer(
            current,
            action=ChangeRecord.Action.UPDATE,
            changes=changes,
            user=user,
            source=source,
            signal_action="update",
        )
    offer.__dict__.update(current.__dict__)
    return current


def _set_status(
    offer: ServiceOffer,
    *,
    user,
    status: str,
    until: datetime.date | None,
    allowed_from: set[str],
    source: str,
    expected_version: int | None,
    signal_action: str,
) -> ServiceOffer:
    current = _lock_and_check(offer, expected_version)
    if current.status not in allowed_from:
        raise ValidationError(
            _("An offer that is %(status)s cannot be changed this way.")
            % {"status": current.get_status_display().lower()},
            code="bad_transition",
        )
    before = {"status": current.status, "suspended_until": _iso(current.suspended_until)}
    current.status = status
    current.suspended_until = until
    _full_clean_offer(current)
    current.version += 1
    _save_offer(current)
    after = {"status": current.status, "suspended_until": _iso(current.suspended_until)}
    _record_offer(
        current,
        action=ChangeRecord.Action.STATUS,
        changes=diff(before, after),
        user=user,
        source=source,
        signal_action=signal_action,
    )
    offer.__dict__.update(current.__dict__)
    return current


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


@transaction.atomic
def offer_suspend(
    *,
    offer: ServiceOffer,
    user,
    until: datetime.date | None,
    source: str = "staff",
    expected_version: int | None = None,
) -> ServiceOffer:
    """Suspend a live offer until a date (inclusive); suspending again moves the date."""
    if until is None:
        raise ValidationError(
            {"suspended_until": _("Give the date until which the offer is suspended.")}
        )
    if until < timezone.localdate():
        raise ValidationError(
            {"suspended_until": _("The end of a suspension cannot be in the past.")}
        )
    return _set_status(
        offer,
        user=user,
        status=ServiceOffer.Status.SUSPENDED,
        until=until,
        allowed_from={ServiceOffer.Status.ACTIVE, ServiceOffer.Status.SUSPENDED},
        source=source,
        expected_version=expected_version,
        signal_action="suspend",
    )


@transaction.atomic
def offer_end(
    *, offer: ServiceOffer, user, source: str = "staff", expected_version: int | None = None
) -> ServiceOffer:
    """Stop an offer for good; it stays in the history and may be reactivated later."""
    return _set_status(
        offer,
        user=user,
        status=ServiceOffer.Status.ENDED,
        until=None,
        allowed_from={ServiceOffer.Status.ACTIVE, ServiceOffer.Status.SUSPENDED},
        source=source,
        expected_version=expected_version,
        signal_action="end",
    )


@transaction.atomic
def offer_reactivate(
    *, offer: ServiceOffer, user, source: str = "staff", expected_version: int | None = None
) -> ServiceOffer:
    """Make a suspended or ended offer active again (unless an equal live offer exists)."""
    return _set_status(
        offer,
        user=user,
        status=ServiceOffer.Status.ACTIVE,
        until=None,
        allowed_from={ServiceOffer.Status.SUSPENDED, ServiceOffer.Status.ENDED},
        source=source,
        expected_version=expected_version,
        signal_action="reactivate",
    )


def _catalogue_since(prefix: str, current, expected: int) -> list[ChangeRecord]:
    """The records written after version `expected` of a provider or a service kind.

    Their history is keyed by slug (`provider:<slug>`), and a change may rename the slug:
    walk back from the current slug, one record per version, following each rename.
    """
    rows = ChangeRecord.objects.filter(
        place=None,
        target__startswith=f"{prefix}:",
        version__gt=expected,
        version__lte=current.version,
    ).select_related("user")
    by_key = {(r.target, r.version): r for r in rows}
    found, slug = [], current.slug
    for version in range(current.version, expected, -1):
        row = by_key.get((f"{prefix}:{slug}", version))
        if row is None:
            break
        found.append(row)
        renamed = row.changes.get("slug")
        if isinstance(renamed, list | tuple) and len(renamed) == 2 and renamed[0]:
            slug = renamed[0]
    return found[::-1]


def _lock_catalogue(model, instance, *, kind: str, prefix: str, expected_version: int | None):
    """The record under a row lock; StaleRecord if it moved past `expected_version`."""
    current = model.objects.select_for_update().get(pk=instance.pk)
    check_version(
        kind=kind,
        current=current,
        version=current.version,
        expected=expected_version,
        since=lambda: _catalogue_since(prefix, current, expected_version),
    )
    return current


def _save_catalogue_record(instance, *, target: str, before, user, source: str) -> None:
    versioned = hasattr(instance, "version")  # categories have no staff page nor version
    changes = diff(before, snapshot(instance, exclude=("version",)))
    if before is not None and changes and versioned:
        instance.version += 1
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        raise ValidationError({"slug": _("This slug is already used.")}) from None
    record(
        place=None,
        target=target,
        action=ChangeRecord.Action.UPDATE if before is not None else ChangeRecord.Action.CREATE,
        changes=changes,
        user=user,
        source=source,
        version=instance.version if versioned else None,
    )


def _write_catalogue(
    instance, *, data: Mapping[str, Any], allowed: tuple[str, ...], prefix: str, user, source
):
    _check_fields(data, allowed)
    before = snapshot(instance, exclude=("version",)) if instance.pk else None
    for key, value in data.items():
        setattr(instance, key, value)
    instance.full_clean()
    _save_catalogue_record(
        instance, target=f"{prefix}:{instance.slug}", before=before, user=user, source=source
    )
    return instance


@transaction.atomic
def provider_create(*, user, data: Mapping[str, Any], source: str = "staff") -> Provider:
    """Add a provider (a public body, a firm, an association, or a place delivering itself)."""
    return _write_catalogue(
        Provider(), data=data, allowed=PROVIDER_FIELDS, prefix="provider", user=user, source=source
    )


# The sector of the provider standing for an organisation that runs its places' services.
ORGANISATION_SECTORS = {
    Organisation.Kind.CITY: Provider.Sector.PUBLIC,
    Organisation.Kind.INTERCOMMUNALITY: Provider.Sector.PUBLIC,
    Organisation.Kind.OPERATOR: Provider.Sector.ASSOCIATIVE,
    Organisation.Kind.NETWORK: Provider.Sector.ASSOCIATIVE,
}


@transaction.atomic
def organisation_provider(*, user, organisation: Organisation, source: str = "staff") -> Provider:
    """The provider standing for an organisation that runs its places' services itself:
    the one it manages, else a new one named after it (decision 0011)."""
    found = provider_for_organisation(organisation)
    if found is not None:
        return found
    slug, n = organisation.slug[:70], 2
    while Provider.objects.filter(slug=slug).exists():
        slug, n = f"{organisation.slug[:70]}-{n}", n + 1
    return provider_create(
        user=user,
        data={
            "slug": slug,
            "name": organisation.name,
            "sector": ORGANISATION_SECTORS.get(organisation.kind, Provider.Sector.PUBLIC),
            "organisation": organisation,
        },
        source=source,
    )


@transaction.atomic
def provider_update(
    *,
    provider: Provider,
    user,
    data: Mapping[str, Any],
    expected_version: int | None,
    source: str = "staff",
) -> Provider:
    """Change a provider's name, sector, website or managing organisation.

    `expected_version` is the version the editor started from: another one raises
    StaleRecord (places.versioning); `None` skips the check (imports that own the row).
    """
    current = _lock_catalogue(
        Provider, provider, kind="provider", prefix="provider", expected_version=expected_version
    )
    _write_catalogue(
        current, data=data, allowed=PROVIDER_FIELDS, prefix="provider", user=user, source=source
    )
    provider.__dict__.update(current.__dict__)
    return current


@transaction.atomic
def service_category_create(
    *, user, data: Mapping[str, Any], source: str = "staff"
) -> ServiceCategory:
    """Add a first-level category to the catalogue."""
    return _write_catalogue(
        ServiceCategory(),
        data=data,
        allowed=SERVICE_CATEGORY_FIELDS,
        prefix="service_category",
        user=user,
        source=source,
    )


@transaction.atomic
def service_category_update(
    *, category: ServiceCategory, user, data: Mapping[str, Any], source: str = "staff"
) -> ServiceCategory:
    """Rename or reorder a category of the catalogue (no staff page edits categories)."""
    current = ServiceCategory.objects.select_for_update().get(pk=category.pk)
    _write_catalogue(
        current,
        data=data,
        allowed=SERVICE_CATEGORY_FIELDS,
        prefix="service_category",
        user=user,
        source=source,
    )
    category.__dict__.update(current.__dict__)
    return current


@transaction.atomic
def service_kind_create(*, user, data: Mapping[str, Any], source: str = "staff") -> ServiceKind:
    """Add a kind of service to the catalogue (its category may be given by slug)."""
    values = dict(data)
    if "category" in values:
        values["category"] = _resolve(
            ServiceCategory,
            values["category"],
            field="category",
            message=_("Unknown category: %(value)s."),
        )
    return _write_catalogue(
        ServiceKind(),
        data=values,
        allowed=SERVICE_KIND_FIELDS,
        prefix="service_kind",
        user=user,
        source=source,
    )


@transaction.atomic
def service_kind_update(
    *,
    kind: ServiceKind,
    user,
    data: Mapping[str, Any],
    expected_version: int | None,
    source: str = "staff",
) -> ServiceKind:
    """Change a kind of service; deactivating it keeps its offers but refuses new ones.

    `expected_version` as for provider_update.
    """
    values = dict(data)
    if "category" in values:
        values["category"] = _resolve(
            ServiceCategory,
            values["category"],
            field="category",
            message=_("Unknown category: %(value)s."),
        )
    current = _lock_catalogue(
        ServiceKind,
        kind,
        kind="service_kind",
        prefix="service_kind",
        expected_version=expected_version,
    )
    _write_catalogue(
        current,
        data=values,
        allowed=SERVICE_KIND_FIELDS,
        prefix="service_kind",
        user=user,
        source=source,
    )
    kind.__dict__.update(current.__dict__)
    return current


def _lock_need_word(word: NeedWord, *, kind: str, expected_version: int | None) -> NeedWord | None:
    """The word under a row lock (None once removed); StaleRecord if it moved on."""
    current = NeedWord.objects.select_for_update().filter(pk=word.pk).first()
    if current is not None:
        check_version(
            kind=kind,
            current=current,
            version=current.version,
            expected=expected_version,
            since=lambda: (
                ChangeRecord.objects.filter(
                    target=f"need_word:{current.pk}", version__gt=expected_version
                )
                .select_related("user")
                .order_by("created_at", "id")
            ),
        )
    return current


def _write_need_word(word: NeedWord, *, data: Mapping[str, Any], user, source: str) -> NeedWord:
    _check_fields(data, NEED_WORD_FIELDS)
    before = snapshot(word, exclude=("version",)) if word.pk else None
    for key, value in data.items():
        setattr(word, key, list(value) if key in ("kinds", "typologies") else value)
    word.full_clean()
    changes = diff(before, snapshot(word, exclude=("version",)))
    if before is not None and changes:
        word.version += 1
    try:
        with transaction.atomic():
            word.save()
    except IntegrityError:
        # Another admin added the same word between validation and insert.
        raise ValidationError(
            {"phrase": _("This word is already in the vocabulary.")}, code="duplicate"
        ) from None
    record(
        place=None,
        target=f"need_word:{word.pk}",
        action=ChangeRecord.Action.UPDATE if before is not None else ChangeRecord.Action.CREATE,
        changes=changes,
        user=user,
        source=source,
        version=word.version,
    )
    return word


@transaction.atomic
def need_word_create(*, user, data: Mapping[str, Any], source: str = "staff") -> NeedWord:
    """Add a word or phrase of the search vocabulary and the kinds or typologies it means."""
    return _write_need_word(NeedWord(), data=data, user=user, source=source)


@transaction.atomic
def need_word_update(
    *,
    word: NeedWord,
    user,
    data: Mapping[str, Any],
    expected_version: int | None,
    source: str = "staff",
) -> NeedWord:
    """Change a word of the search vocabulary or what it points to.

    `expected_version` as for provider_update.
    """
    current = _lock_need_word(word, kind="need_word", expected_version=expected_version)
    if current is None:
        raise NeedWord.DoesNotExist
    _write_need_word(current, data=data, user=user, source=source)
    word.__dict__.update(current.__dict__)
    return current


@transaction.atomic
def need_word_delete(
    *, word: NeedWord, user, expected_version: int | None, source: str = "staff"
) -> None:
    """Remove a word from the search vocabulary; the history keeps what it meant.

    A word changed since `expected_version` is kept (StaleRecord): the person removing it
    decided on what it meant then.
    """
    current = _lock_need_word(word, kind="need_word_removal", expected_version=expected_version)
    if current is None:
        return
    before = snapshot(current, exclude=("version",))
    target = f"need_word:{current.pk}"
    current.delete()
    record(
        place=None,
        target=target,
        action=ChangeRecord.Action.DELETE,
        changes=diff(before, None),
        user=user,
        source=source,
    )
