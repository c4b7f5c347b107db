"""The import run: normalise each row, reconcile it with the registry, write through the
places actions, and report.

Reconciliation rules are explained in docs/decisions/0005-import-reconciliation.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from difflib import SequenceMatcher
from itertools import islice
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Min, Q
from django.utils.text import slugify
from django.utils.translation import gettext as _

from api.imports.formats import FRANCE_SERVICES_NETWORK, open_source
from api.imports.hours import (
    _apply_hours,
    current_hours,
    keep_hours_text,
    same_hours,
    schedule_new_places,
)
from api.imports.records import Issue, Record, Report, RowRejected
from api.imports.vocabulary import LABELS, OWN_PROVIDER
from api.models import ImportedHoursText, ImportedValue, PossibleDuplicate, SourceConflict
from places.actions import (
    NewPlace,
    external_id_add,
    external_ids_add_many,
    place_create,
    place_prepare,
    place_publish,
    place_update,
    places_create_many,
    places_publish_many,
)
from places.geo import bounding_box, haversine_km, in_bounding_box
from places.models import (
    PROFILE_MODELS,
    ExternalId,
    Network,
    Organisation,
    Place,
    PlaceSlugAlias,
    Typology,
    normalize_text,
)
from places.planner import refresh_planner_statistics
from places.selectors import last_writer
from services.actions import offer_create, offers_create_many, organisation_provider
from services.models import Provider, ServiceKind, ServiceOffer

SAME_PLACE_METRES = 100
NEARBY_METRES = 1000
NAME_SIMILARITY = 0.6
BATCH_SIZE = 500
# The place fields whose merge (a second file matching a place) the report explains.
MERGE_REPORTED = ("address", "postcode", "commune", "phone", "email", "website")
NETWORK_NAMES = dict([FRANCE_SERVICES_NETWORK, *LABELS.values()])


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres."""
    return 1000 * haversine_km(float(lat1), float(lon1), float(lat2), float(lon2))


def names_similar(a: str, b: str) -> bool:
    """Normalised names that plausibly name the same place ("Mairie de X" vs "Mairie X")."""
    if not a or not b:
        return False
    return a == b or a in b or b in a or SequenceMatcher(None, a, b).ratio() >= NAME_SIMILARITY


def _same_value(key: str, a, b) -> bool:
    """Equal as people read them: phone numbers by their digits, text without case,
    accents or spacing."""
    if key == "phone":
        return _phone_digits(a) == _phone_digits(b)
    return normalize_text(str(a)) == normalize_text(str(b))


def _phone_digits(value) -> str:
    """ "+33 2 41..." and "02 41..." are one French number."""
    digits = "".join(c for c in str(value) if c.isdigit())
    if str(value).strip().startswith("+33") and len(digits) == 11:
        return "0" + digits[2:]
    return digits


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _issue_from(exc: ValidationError, record: Record) -> Issue:
    if hasattr(exc, "error_dict"):
        parts = [f"{f}: {' '.join(m)}" for f, m in exc.message_dict.items()]
    else:
        parts = exc.messages
    return Issue(
        record.row,
        record.external_id,
        "invalid",
        "",
        _("%(errors)s: row rejected") % {"errors": "; ".join(parts)},
    )


class Importer:
    """One run over one file for one organisation."""

    def __init__(
        self,
        *,
        fmt: str,
        organisation: Organisation,
        status: str = Place.Status.PUBLISHED,
        user=None,
        batch_size: int = BATCH_SIZE,
        one_by_one: bool = False,
    ):
        self.fmt = fmt
        # Each new place, its offers and hours written by the single-row actions as soon
        # as its row is read: the reference the bulk path is tested against.
        self.one_by_one = one_by_one
        self.organisation = organisation
        self.status = status
        self.user = user
        self.batch_size = batch_size
        self.history_source = f"import:{fmt}"
        self._networks: dict[str, Network] = {}
        self._typologies: dict[str, Typology] = {}
        self._seen: dict[tuple[str, str], int] = {}  # (source, id) -> first row
        # New places wait here and are inserted in bulk at the end of each batch.
        self._pending: list[tuple[NewPlace, Record]] = []
        self._pending_names: dict[str, list[Record]] = {}
        self._pending_sirets: set[str] = set()
        self._pending_slugs: set[str] = set()
        self._kinds: dict[str, ServiceKind] | None = None
        self._providers: dict[str, Provider] | None = None
        self._own_provider: Provider | None = None
        self._report: Report | None = None
        self._lookups: _Lookups | None = None

    # --- the run --------------------------------------------------------------------

    def run(self, rows: Iterable[Any], convert, report: Report) -> None:
        self._report = report
        for batch in _batches(enumerate(rows, start=1), self.batch_size):
            # One transaction per batch: a crash loses at most one batch, never half a row.
            with transaction.atomic():
                # Rows are read first, so that what reconciling them reads from the
                # registry is read for the whole batch at once (_Lookups).
                read = [(number, _read(convert, raw, number)) for number, raw in batch]
                self._lookups = _Lookups(self, [r for _n, r in read if isinstance(r, Record)])
                try:
                    for number, record in read:
                        self.process(number, record, None, report)
                    self.flush(report)
                finally:
                    self._lookups = None

    def process(self, number: int, raw: Any, convert, report: Report) -> None:
        """One row: `raw` as the file gives it, or already read (`convert` None)."""
        record = raw if convert is None else _read(convert, raw, number)
        if isinstance(record, RowRejected):
            exc = record
            report.rejected += 1
            report.rejections.append(
                Issue(number, exc.external_id, exc.code, exc.field, exc.message, exc.line)
            )
            return
        key = (record.source, record.external_id)
        if key in self._seen:
            report.rejected += 1
            report.rejections.append(
                Issue(
                    number,
                    record.external_id,
                    "id_repeated",
                    "",
                    _("this identifier already appears in row %(row)s: row rejected")
                    % {"row": self._seen[key]},
                )
            )
            return
        self._seen[key] = number
        networks = self.networks(record.networks)
        if self.pending_conflict(record):
            # It may match a place not inserted yet: insert those first (outside the row's
            # savepoint, so that refusing this row cannot undo them).
            self.flush(report)
        try:
            with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                outcome = self.apply(record, networks)
        except RowRejected as exc:
            outcome = "rejected"
            report.rejections.append(
                Issue(number, record.external_id, exc.code, exc.field, exc.message)
            )
        except ValidationError as exc:
            outcome = "rejected"
            report.rejections.append(_issue_from(exc, record))
        report.warnings.extend(record.warnings)
        setattr(report, outcome, getattr(report, outcome) + 1)

    def networks(self, slugs: list[str]) -> list[Network]:
        found = []
        for slug in slugs:
            if slug not in self._networks:
                name = NETWORK_NAMES.get(slug, slug)
                self._networks[slug], _created = Network.objects.get_or_create(
                    slug=slug, defaults={"name": name}
                )
            found.append(self._networks[slug])
        return found

    # --- one record -----------------------------------------------------------------

    def apply(self, record: Record, networks: list[Network]) -> str:
        """Write one record; returns the report counter to increase."""
        lookups = self._lookups
        if lookups is not None:
            known = lookups.known.get((record.source, record.external_id))
        else:
            known = (
                ExternalId.objects.select_related("place")
                .filter(source=record.source, external_id=record.external_id)
                .first()
            )
        if known:
            place = known.place
            if place.organisation_id != self.organisation.pk:
                raise RowRejected(
                    "other_organisation",
                    "",
                    _("already imported as %(place)s by another organisation: row rejected")
                    % {"place": place.slug},
                )
            # The source whose row created the place owns its values; later sources that
            # matched it only fill blanks, so two files never undo each other on re-import.
            if lookups is not None:
                owner = lookups.first_external_id.get(place.pk) == known.pk
            else:
                owner = not ExternalId.objects.filter(place_id=place.pk, pk__lt=known.pk).exists()
            changed = self.update(place, record, networks, owner=owner)
            if owner and (record.hours or record.hours_text):
                self.apply_hours(place, record)
            elif not owner:
                changed |= self.merge_hours(place, record)
            changed |= self.complete(place, record)
            return "updated" if changed else "unchanged"

        if lookups is not None:
            queued = lookups.queued.get((record.source, record.external_id))
        else:
            queued = PossibleDuplicate.objects.filter(
                source=record.source,
                external_id=record.external_id,
                status=PossibleDuplicate.Status.OPEN,
            ).first()
        if queued:
            candidate = self.candidate(record)
            if queued.candidate == candidate:
                return "unchanged"
            queued.candidate = candidate
            queued.save(update_fields=["candidate"])
            return "queued"

        match = self.match(record)
        if match is None:
            if self.one_by_one:
                self.create(record, networks)
            else:
                self.defer_create(record, networks)
            return "created"
        place, reason, detail = match
        if reason is None:
            self.update(place, record, networks, owner=False)
            self.attach(place, record)
            self.merge_hours(place, record)
            self.complete(place, record)
            return "updated"
        PossibleDuplicate.objects.create(
            place=place,
            organisation=self.organisation,
            candidate=self.candidate(record),
            source=record.source,
            external_id=record.external_id,
            reason=reason,
            detail=detail[:255],
        )
        return "queued"

    def candidate(self, record: Record) -> dict:
        return {**record.as_candidate(), "format": self.fmt, "status": self.status}

    def match(self, record: Record) -> tuple[Place, str | None, str] | None:
        """(place, None, "") for a sure match, (place, reason, detail) for one to review."""
        name = normalize_text(record.data["name"])
        lat, lon = record.data.get("latitude"), record.data.get("longitude")

        def away(place: Place) -> float | None:
            if lat is None or not place.has_location:
                return None
            return distance_m(lat, lon, place.latitude, place.longitude)

        siret = record.data.get("legal_id")
        lookups = self._lookups
        if lookups is not None:
            lookups.refresh(record)
        if siret:
            sure, doubtful = [], []
            same_siret = lookups.siret.get(siret) if lookups is not None else None
            if same_siret is None:
                same_siret = Place.objects.filter(organisation=self.organisation, legal_id=siret)[
                    :200
                ]
            for place in same_siret:
                metres = away(place)
                if metres is not None and metres > NEARBY_METRES:
                    # An organisation's SIRET reused for its sites in other towns.
                    continue
                bucket = sure if names_similar(name, normalize_text(place.name)) else doubtful
                bucket.append((metres or 0.0, place.pk, place))
            if sure:
                place = min(sure)[2]
                if self.same_source(place, record):
                    return (
                        place,
                        PossibleDuplicate.Reason.SAME_SOURCE,
                        _("same SIRET %(s)s") % {"s": siret},
                    )
                return place, None, ""
            if doubtful:
                place = min(doubtful)[2]
                return (
                    place,
                    PossibleDuplicate.Reason.SIRET_NAME_DIFFERS,
                    _("same SIRET %(siret)s, names %(a)r and %(b)r")
                    % {"siret": siret, "a": record.data["name"], "b": place.name},
                )

        if lat is None:
            return None
        nearby = []
        if lookups is not None:
            named = lookups.named.get(lookups.position.get(id(record)), [])
        else:
            named = in_bounding_box(
                Place.objects.filter(organisation=self.organisation),
                lat,
                lon,
                NEARBY_METRES / 1000,
            ).filter(search_text__startswith=name)
        for place in named:
            if normalize_text(place.name) == name:
                nearby.append((away(place), place.pk, place))
        if not nearby:
            return None
        metres, _pk, place = min(nearby)
        if metres > NEARBY_METRES:
            return None
        if metres <= SAME_PLACE_METRES and not self.same_source(place, record):
            return place, None, ""
        reason = (
            PossibleDuplicate.Reason.SAME_SOURCE
            if metres <= SAME_PLACE_METRES
            else PossibleDuplicate.Reason.NAME_NEARBY
        )
        return place, reason, _("same name, %(m)s m away") % {"m": round(metres)}

    def same_source(self, place: Place, record: Record) -> bool:
        return ExternalId.objects.filter(place=place, source=record.source).exists()

    # --- writes ---------------------------------------------------------------------

    def create(self, record: Record, networks: list[Network]) -> Place:
        slug = self.free_slug(record.data["name"])
        place = place_create(
            user=self.user,
            organisation=self.organisation,
            data={**record.data, "slug": slug},
            typologies=record.typologies,
            networks=networks,
            profiles=record.profiles or None,
            status=Place.Status.DRAFT,
            source=self.history_source,
        )
        self.slug_taken(slug)
        if self._lookups is not None:
            self._lookups.written.add(place.pk)  # a later row of the batch may match it
        self.attach(place, record)
        if self.status == Place.Status.PUBLISHED:
            place_publish(
                place=place, user=self.user, source=self.history_source, expected_version=None
            )
        if record.hours or record.hours_text:
            self.apply_hours(place, record)
        self.complete(place, record)
        return place

    def take(self, kind: str, pk: int):
        """What the batch's lookups read of place `pk` (`kind`: places, hours, offers,
        kept_values), once: the first row to use it reads what the registry held when
        the batch began, which no row had written yet; any later use reads it again
        (_MISSING), since that row may have written it."""
        if self._lookups is None:
            return _MISSING
        return getattr(self._lookups, kind).pop(pk, _MISSING)

    def current_hours(self, place: Place) -> tuple[str | None, str | None, str | None]:
        cached = self.take("hours", place.pk)
        return current_hours(place) if cached is _MISSING else cached

    def free_slug(self, name: str) -> str:
        """free_slug, from the slugs the batch's lookups read when they cover this name."""
        base = slug_base(name)
        lookups = self._lookups
        if lookups is None or base not in lookups.slug_bases:
            return free_slug(name, also_taken=self._pending_slugs)
        candidate, n = base, 2
        while candidate in lookups.slugs_taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def slug_taken(self, slug: str) -> None:
        if self._lookups is not None:
            self._lookups.slugs_taken.add(slug)

    def pending_conflict(self, record: Record) -> bool:
        if record.data.get("legal_id") in self._pending_sirets:
            return True
        return bool(self._pending_names.get(normalize_text(record.data["name"])))

    def defer_create(self, record: Record, networks: list[Network]) -> None:
        """Validate a new place now (so a bad row is refused alone) and insert it later,
        with the batch, through places.actions.places_create_many."""
        if not self._typologies:
            self._typologies = {t.code: t for t in Typology.objects.all()}
        new = place_prepare(
            organisation=self.organisation,
            data={**record.data, "slug": self.free_slug(record.data["name"])},
            typologies=record.typologies,
            networks=networks,
            profiles=record.profiles or None,
            status=Place.Status.DRAFT,
            known_typologies=self._typologies,
            in_bulk=True,
        )
        self._pending_slugs.add(new.place.slug)
        self.slug_taken(new.place.slug)
        self._pending.append((new, record))
        self._pending_names.setdefault(normalize_text(record.data["name"]), []).append(record)
        if record.data.get("legal_id"):
            self._pending_sirets.add(record.data["legal_id"])

    def flush(self, report: Report | None) -> None:
        """Write the pending new places as `create` does one, through the bulk actions:
        places_create_many, external_ids_add_many, places_publish_many, then their offers
        (offers_create_many) and hours (schedules_set_osm_many)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self._pending_names.clear()
        self._pending_sirets.clear()
        self._pending_slugs.clear()
        entry = {"user": self.user, "source": self.history_source}
        places = places_create_many(items=[new for new, _r in pending], **entry)
        if self._lookups is not None:
            # New places a later row of the batch may match.
            self._lookups.written.update(p.pk for p in places)
        external_ids_add_many(
            items=[
                (p, r.source, r.external_id) for p, (_n, r) in zip(places, pending, strict=True)
            ],
            **entry,
        )
        if self.status == Place.Status.PUBLISHED:
            places_publish_many(places=places, **entry)
        records = [r for _n, r in pending]
        # Warnings found from here on were not reported with the row: remember where
        # each record's list stood.
        reported = [len(r.warnings) for r in records]
        pairs = list(zip(places, records, strict=True))
        self.add_offers(pairs, report)
        self.keep_unmapped(pairs, report)
        # Hours of the new places: one calendar rebuild for the whole batch.
        refused = schedule_new_places(
            [(p, r.hours, r.source) for p, r in pairs if r.hours],
            user=self.user,
            source=self.history_source,
        )
        for (place, record), before in zip(pairs, reported, strict=True):
            if place.pk in refused:
                self.hours_refused(record, refused[place.pk])
            elif record.hours_text and not record.hours:
                self.apply_hours(place, record)
            if report is not None:
                report.warnings.extend(record.warnings[before:])

    def update(self, place: Place, record: Record, networks: list[Network], *, owner: bool) -> bool:
        """Bring `place` in line with the record; False (and no write) when it already is."""
        cached = self.take("places", place.pk)
        place = (
            cached
            if cached is not _MISSING
            else Place.objects.select_related("mediation")
            .prefetch_related("typologies", "networks")
            .get(pk=place.pk)
        )
        data = {}
        for key, value in record.data.items():
            current = getattr(place, key)
            if owner:
                if current != value:
                    data[key] = value
            elif current in ("", None, False) and value not in ("", None, False):
                data[key] = value
        if not owner:
            self.note_merge(place, record, data)
        codes = {t.code for t in place.typologies.all()}
        # Kinds accumulate: a second source saying "fab lab" adds to "coworking".
        typologies = sorted(codes | set(record.typologies))
        slugs = {n.slug for n in place.networks.all()}
        all_networks = {n.slug: n for n in [*place.networks.all(), *networks]}
        profiles = {}
        for name, values in record.profiles.items():
            existing = getattr(place, name, None) if hasattr(place, name) else None
            wanted = {
                k: v
                for k, v in values.items()
                if existing is None
                or (owner and getattr(existing, k) != v)
                or (not owner and not getattr(existing, k))
            }
            if wanted:
                profiles[name] = wanted
        if not (data or set(typologies) != codes or set(all_networks) != slugs or profiles):
            return False
        if self._lookups is not None:
            self._lookups.written.add(place.pk)  # its name, place or SIRET may change
        place_update(
            place=place,
            user=self.user,
            expected_version=None,
            data=data,
            typologies=typologies if set(typologies) != codes else None,
            networks=list(all_networks.values()) if set(all_networks) != slugs else None,
            profiles=profiles or None,
            source=self.history_source,
        )
        return True

    # --- offers, values kept as provenance, hours from a second source ----------------

    def complete(self, place: Place, record: Record, report: Report | None = None) -> bool:
        """The record's offers and unmapped values on an existing place; True if any
        was added (a place matched again by an unchanged file gets nothing new)."""
        report = report or self._report
        return bool(
            self.add_offers([(place, record)], report)
            + self.keep_unmapped([(place, record)], report)
        )

    def own_provider(self) -> Provider:
        """The provider standing for the importing organisation, which runs the services
        its places offer themselves (docs/decisions/0011-imported-offers.md)."""
        if self._own_provider is None:
            self._own_provider = organisation_provider(
                user=self.user, organisation=self.organisation, source=self.history_source
            )
        return self._own_provider

    def add_offers(self, pairs: list[tuple[Place, Record]], report: Report | None) -> int:
        """Create, through services.actions.offers_create_many, the offers the records
        give that their places do not have live yet; returns how many were created."""
        pairs = [(p, r) for p, r in pairs if r.offers]
        if not pairs:
            return 0
        if self._kinds is None:
            self._kinds = {k.slug: k for k in ServiceKind.objects.all()}
            self._providers = {p.slug: p for p in Provider.objects.all()}
        live: set[tuple[int, int, int]] = set()
        unread = []
        for place, _r in pairs:
            cached = self.take("offers", place.pk)
            if cached is _MISSING:
                unread.append(place.pk)
            else:
                live |= cached
        if unread:
            live |= set(
                ServiceOffer.objects.filter(place_id__in=unread)
                .exclude(status=ServiceOffer.Status.ENDED)
                .values_list("place_id", "kind_id", "provider_id")
            )
        items: list[tuple[Place, dict]] = []
        owners: list[tuple[Record, dict]] = []
        for place, record in pairs:
            for spec in record.offers:
                data = dict(spec)
                kind = self._kinds.get(data.pop("kind"))
                slug = data.pop("provider")
                provider = (
                    self.own_provider() if slug == OWN_PROVIDER else self._providers.get(slug)
                )
                if kind is None or provider is None:
                    self.offer_refused(
                        record,
                        spec,
                        _("the catalogue has no such service kind or provider"),
                    )
                    continue
                if (place.pk, kind.pk, provider.pk) in live:
                    continue  # already offered: an earlier run or another source
                items.append((place, {"kind": kind, "provider": provider, **data}))
                owners.append((record, spec))
        if not items:
            return 0  # all offered already: a place matched again by an unchanged file
        if self.one_by_one:
            offers, refused = [], {}
            for index, (place, data) in enumerate(items):
                try:
                    with transaction.atomic():
                        offers.append(
                            offer_create(
                                place=place, data=data, user=self.user, source=self.history_source
                            )
                        )
                except ValidationError as exc:
                    refused[index] = exc.messages
        else:
            offers, _changes, refused = offers_create_many(
                items=items, user=self.user, source=self.history_source
            )
        for index, messages in refused.items():
            self.offer_refused(*owners[index], " ".join(messages))
        if report is not None:
            report.offers_created += len(offers)
        return len(offers)

    def offer_refused(self, record: Record, spec: dict, error: str) -> None:
        record.warnings.append(
            Issue(
                record.row,
                record.external_id,
                "offer_refused",
                "",
                _("offer %(kind)s by %(provider)s not created (%(error)s)")
                % {"kind": spec.get("kind"), "provider": spec.get("provider"), "error": error},
            )
        )

    def keep_unmapped(self, pairs: list[tuple[Place, Record]], report: Report | None) -> int:
        """Keep the values no registry field or code matches, once per place and source."""
        pairs = [(p, r) for p, r in pairs if r.unmapped]
        if not pairs:
            return 0
        kept: set[tuple[int, str, str, str]] = set()
        unread = []
        for place, _r in pairs:
            cached = self.take("kept_values", place.pk)
            if cached is _MISSING:
                unread.append(place.pk)
            else:
                kept |= cached
        if unread:
            kept |= set(
                ImportedValue.objects.filter(place_id__in=unread).values_list(
                    "place_id", "source", "field", "value"
                )
            )
        rows = []
        for place, record in pairs:
            for field_name, value in record.unmapped:
                key = (place.pk, record.source, field_name, value[:500])
                if key not in kept:
                    kept.add(key)
                    rows.append(
                        ImportedValue(
                            place=place, source=record.source, field=field_name, value=key[3]
                        )
                    )
        ImportedValue.objects.bulk_create(rows)
        if report is not None:
            report.unmapped_kept += len(rows)
        return len(rows)

    def note_merge(self, place: Place, record: Record, taken: dict) -> None:
        """Say, for the values a second file gives a place another source made, which
        one the place keeps and why: the row's fills a blank, the place's own wins."""
        for key in MERGE_REPORTED:
            value = record.data.get(key)
            if value in ("", None):
                continue
            label = key
            if key in taken:
                record.warnings.append(
                    Issue(
                        record.row,
                        record.external_id,
                        "value_taken",
                        label,
                        _("%(field)s: %(place)s had none: %(value)r from this file is used")
                        % {"field": label, "place": place.slug, "value": value},
                    )
                )
                continue
            current = getattr(place, key)
            if _same_value(key, current, value):
                continue
            writer = last_writer(place, target="place", field=key) or _("an earlier import")
            record.warnings.append(
                Issue(
                    record.row,
                    record.external_id,
                    "value_kept",
                    label,
                    _(
                        "%(field)s: %(value)r differs from %(current)r, given by %(writer)s, "
                        "which is kept (a second file only fills blanks)"
                    )
                    % {
                        "field": label,
                        "value": value,
                        "current": current,
                        "writer": writer,
                    },
                )
            )

    def merge_hours(self, place: Place, record: Record) -> bool:
        """Hours from a source that does not own the place: taken when the place has none
        (said in the report), listed for staff when they differ from the place's."""
        mine = record.hours or record.hours_text
        if not mine:
            return False
        scheduled, kept, _problem = self.current_hours(place)
        if scheduled is None and kept is None:
            self.apply_hours(place, record)
            record.warnings.append(
                Issue(
                    record.row,
                    record.external_id,
                    "hours_taken",
                    record.hours_field,
                    _("%(field)s: the place %(place)s had no opening hours: these are used")
                    % {"field": record.hours_field, "place": place.slug},
                )
            )
            return True
        if not (same_hours(mine, scheduled) or same_hours(mine, kept)):
            # Hours written otherwise but open at the same times are no conflict.
            current = scheduled or kept
            writer = (
                last_writer(place, target="schedule:place")
                if scheduled is not None
                else "import:"
                + (
                    ImportedHoursText.objects.filter(place_id=place.pk)
                    .values_list("source", flat=True)
                    .first()
                    or ""
                )
            ) or _("an earlier import")
            self.list_conflict(place, record, mine, current, writer)
            record.warnings.append(
                Issue(
                    record.row,
                    record.external_id,
                    "hours_conflict",
                    record.hours_field,
                    _(
                        "%(field)s: %(value)r differs from the hours of %(place)s "
                        "(%(current)r, given by %(writer)s), which are kept: check which "
                        "are right (listed in the conflicts to review)"
                    )
                    % {
                        "field": record.hours_field,
                        "value": mine,
                        "place": place.slug,
                        "current": current,
                        "writer": writer,
                    },
                )
            )
        return False

    def list_conflict(
        self, place: Place, record: Record, mine: str, current: str, writer: str
    ) -> bool:
        """Queue the disagreement for staff, once per place, file and value; True if new."""
        conflict, created = SourceConflict.objects.get_or_create(
            place=place,
            field="opening_hours",
            other_source=record.source,
            other_value=mine,
            defaults={
                "organisation": self.organisation,
                "kept_value": current,
                "kept_source": writer,
                "other_external_id": record.external_id,
                "other_column": record.hours_field,
            },
        )
        if created and self._report is not None:
            self._report.conflicts_listed += 1
        return created

    def attach(self, place: Place, record: Record) -> None:
        """Remember where the row came from, in the identifiers and in the history."""
        external_id_add(
            place=place,
            system=record.source,
            identifier=record.external_id,
            user=self.user,
            source=self.history_source,
        )

    def apply_hours(self, place: Place, record: Record) -> None:
        """Schedule the record's hours, or keep them as text when no calendar can be built."""
        if not record.hours:
            # Unreadable: formats.py already warned (hours_unreadable) with the detail.
            problem = next(
                (w.message for w in record.warnings if w.code == "hours_unreadable"),
                _("cannot be read"),
            )
            keep_hours_text(place, record.hours_text, source=record.source, problem=problem)
            return
        try:
            _apply_hours(
                place,
                record.hours,
                user=self.user,
                source=self.history_source,
                origin=record.source,
                current=self.current_hours(place),
            )
        except ValidationError as exc:
            self.hours_refused(record, " ".join(exc.messages))

    def hours_refused(self, record: Record, error: str) -> None:
        record.warnings.append(
            Issue(
                record.row,
                record.external_id,
                "hours_refused",
                record.hours_field,
                _("%(field)s: %(value)r cannot be used (%(error)s): kept as text, no calendar")
                % {"field": record.hours_field, "value": record.hours, "error": error},
            )
        )


def _slugs_from(model, base: str) -> set[str]:
    """The slugs of `model` that start with `base`, through the slug's unique index.

    On SQLite a LIKE prefix cannot use the index (LIKE ignores case there) and scanned
    every place for each imported row; slugs are ASCII, so the prefix is the range
    [base, base + DEL) in SQLite's byte order. PostgreSQL serves LIKE 'base%' from the
    pattern index Django creates beside a unique slug, and its ranges follow the
    collation, so it keeps LIKE.
    """
    rows = model.objects.all()
    if connection.vendor == "sqlite":
        rows = rows.filter(slug__gte=base, slug__lt=base + "\x7f")
    else:
        rows = rows.filter(slug__startswith=base)
    return set(rows.values_list("slug", flat=True))


def slug_base(name: str) -> str:
    return slugify(name)[:110] or "lieu"


def _slugs_from_many(model, bases: list[str]) -> set[str]:
    """_slugs_from for many bases: the slugs starting with any of them, a query per 100."""
    found: set[str] = set()
    for index in range(0, len(bases), 100):
        if connection.vendor == "sqlite":
            terms = [Q(slug__gte=b, slug__lt=b + "\x7f") for b in bases[index : index + 100]]
        else:
            terms = [Q(slug__startswith=b) for b in bases[index : index + 100]]
        rows = model.objects.filter(Q(*terms, _connector=Q.OR)).order_by()
        found.update(rows.values_list("slug", flat=True))
    return found


def free_slug(name: str, also_taken: set[str] = frozenset()) -> str:
    """A slug no place or old link uses, found in two queries even for common names."""
    base = slug_base(name)
    taken = {s for s in also_taken if s.startswith(base)}
    taken |= _slugs_from(Place, base) | _slugs_from(PlaceSlugAlias, base)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


_MISSING = object()  # not read by the batch's lookups (Importer.take)


def _read(convert, raw: Any, number: int) -> Record | RowRejected:
    try:
        return convert(raw, number)
    except RowRejected as exc:
        return exc


# Each record's candidates for a match by name: the places of the organisation in the
# 1 km box around it whose search text starts with its normalised name (what
# Importer.match asks row by row), for many records in one statement through the
# coordinates' index. substr(), not LIKE: names may hold % or _. SQLite runs the join
# as a loop over the rows probing the index; PostgreSQL flattens such a join into a scan
# of all the organisation's places filtered against every row (13 ms at 7,500 places
# for two rows), so it gets a LATERAL subquery that it cannot flatten (OFFSET 0), which
# probes `place_lat_lon` per row (0.5 ms). On both, `+p.organisation_id` (a unary plus)
# keeps the planner off the organisation's index: without statistics (a first import into
# an empty registry, SQLite or PostgreSQL without autovacuum) both took that index, read
# every place of the organisation for each record, and a batch's reconciliation grew with
# the registry (SQLite: 0.55 s per statement of 200 records at 3,000 places, against
# 0.02 s through the coordinates' index; PostgreSQL: a BitmapAnd reading the organisation's
# 9,600 index entries per record).
_NAMED_NEARBY_SQL = {
    "sqlite": """
WITH v(n, prefix, lat0, lat1, lon0, lon1) AS (VALUES {values})
SELECT v.n, p.id FROM v JOIN {place} p
  ON p.latitude >= v.lat0 AND p.latitude <= v.lat1
 AND (v.lon0 IS NULL OR (p.longitude >= v.lon0 AND p.longitude <= v.lon1))
WHERE +p.organisation_id = %s AND substr(p.search_text, 1, length(v.prefix)) = v.prefix
""",
    "postgresql": """
SELECT v.n, p.id FROM (VALUES {values}) AS v(n, prefix, lat0, lat1, lon0, lon1)
CROSS JOIN LATERAL (
  SELECT p.id FROM {place} p
  WHERE p.latitude >= v.lat0 AND p.latitude <= v.lat1
    AND (v.lon0 IS NULL OR (p.longitude >= v.lon0 AND p.longitude <= v.lon1))
    AND +p.organisation_id = %s AND substr(p.search_text, 1, length(v.prefix)) = v.prefix
  OFFSET 0
) p
""",
}
_NAMED_NEARBY_ROW = (
    "(CAST(%s AS INTEGER), CAST(%s AS TEXT), CAST(%s AS NUMERIC), CAST(%s AS NUMERIC), "
    "CAST(%s AS NUMERIC), CAST(%s AS NUMERIC))"
)


class _Lookups:
    """What reconciling a batch of records reads from the registry, read for the whole
    batch in a few queries instead of several per row (Importer.apply and match).

    Identifiers and queued duplicates change during the batch only for the row that
    owns them. The places a record may match by SIRET or by name can change when the
    batch writes places (a flush in mid-batch, a matched place updated): their ids are
    noted in `written`, and the next match reads those places again (one query) and
    puts them where they now belong. The slugs taken
    by places whose slug starts like one of the batch's names are read too; the slugs
    the batch gives are added as it goes.
    """

    def __init__(self, importer: Importer, records: list[Record]):
        self.importer = importer
        self.records = records
        self.position = {id(r): i for i, r in enumerate(records)}
        ids: dict[str, list[str]] = {}
        for record in records:
            ids.setdefault(record.source, []).append(record.external_id)
        self.known: dict[tuple[str, str], ExternalId] = {}
        self.queued: dict[tuple[str, str], PossibleDuplicate] = {}
        for source, external_ids in ids.items():
            for external in ExternalId.objects.select_related("place").filter(
                source=source, external_id__in=external_ids
            ):
                self.known[(external.source, external.external_id)] = external
            queued = PossibleDuplicate.objects.filter(
                source=source,
                external_id__in=external_ids,
                status=PossibleDuplicate.Status.OPEN,
            )
            # The first by the order .first() would take.
            for duplicate in queued if queued.ordered else queued.order_by("pk"):
                self.queued.setdefault((duplicate.source, duplicate.external_id), duplicate)
        self.read_known_places([e.place_id for e in self.known.values()])
        self.first_external_id = dict(
            ExternalId.objects.filter(place_id__in={e.place_id for e in self.known.values()})
            .values("place_id")
            .annotate(first=Min("pk"))
            .values_list("place_id", "first")
        )
        self.slug_bases = {slug_base(r.data["name"]) for r in records}
        bases = sorted(self.slug_bases)
        self.slugs_taken = _slugs_from_many(Place, bases) | _slugs_from_many(PlaceSlugAlias, bases)
        self.written: set[int] = set()
        self.siret: dict[str, list[Place]] = {}
        self.named: dict[int, list[Place]] = {}
        # What a place must have to be a candidate of each located record: its position,
        # normalised name and box.
        self.boxes = []
        for record in records:
            if record.data.get("latitude") is not None:
                min_lat, max_lat, min_lon, max_lon = bounding_box(
                    float(record.data["latitude"]),
                    float(record.data["longitude"]),
                    NEARBY_METRES / 1000,
                )
                self.boxes.append(
                    (
                        self.position[id(record)],
                        normalize_text(record.data["name"]),
                        min_lat,
                        max_lat,
                        min_lon,
                        max_lon,
                    )
                )
        self.read_places(records)

    def read_known_places(self, ids: list[int]) -> None:
        """What the rows of already imported places read of them (Importer.update,
        current_hours, add_offers, keep_unmapped), for all of them at once."""
        self.places: dict[int, Place] = {}
        self.hours: dict[int, tuple[str | None, str | None, str | None]] = {}
        self.offers: dict[int, set[tuple[int, int, int]]] = {}
        self.kept_values: dict[int, set[tuple[int, str, str, str]]] = {}
        if not ids:
            return
        self.places = (
            Place.objects.select_related(*PROFILE_MODELS)
            .prefetch_related("typologies", "networks")
            .in_bulk(ids)
        )
        hours = (
            "schedule__osm_source",
            "imported_hours_text__text",
            "imported_hours_text__problem",
        )
        for pk, *values in Place.objects.filter(pk__in=ids).values_list("pk", *hours):
            self.hours.setdefault(pk, tuple(values))
        self.offers = {pk: set() for pk in self.places}
        for key in (
            ServiceOffer.objects.filter(place_id__in=ids)
            .exclude(status=ServiceOffer.Status.ENDED)
            .values_list("place_id", "kind_id", "provider_id")
        ):
            self.offers[key[0]].add(key)
        self.kept_values = {pk: set() for pk in self.places}
        for key in ImportedValue.objects.filter(place_id__in=ids).values_list(
            "place_id", "source", "field", "value"
        ):
            self.kept_values[key[0]].add(key)

    def refresh(self, record: Record) -> None:
        """Read again the places the batch wrote since the candidates were read, and
        put each where the SQL of read_places would find it now (or nowhere: a place
        whose row was refused after writing it is gone)."""
        if not self.written:
            return
        written, self.written = self.written, set()
        for siret, places in self.siret.items():
            self.siret[siret] = [p for p in places if p.pk not in written]
        for key, places in self.named.items():
            self.named[key] = [p for p in places if p.pk not in written]
        for place in Place.objects.filter(organisation=self.importer.organisation, pk__in=written):
            if place.legal_id in self.siret:
                self.siret[place.legal_id].append(place)
                if len(self.siret[place.legal_id]) >= 200:
                    del self.siret[place.legal_id]  # Importer.match reads its first 200
            if place.latitude is None:
                continue
            latitude, longitude = float(place.latitude), float(place.longitude)
            text = place.search_text
            for key, prefix, min_lat, max_lat, min_lon, max_lon in self.boxes:
                if (
                    min_lat <= latitude <= max_lat
                    and (min_lon is None or min_lon <= longitude <= max_lon)
                    and text.startswith(prefix)
                ):
                    self.named.setdefault(key, []).append(place)

    def read_places(self, records: list[Record]) -> None:
        organisation = self.importer.organisation
        sirets = {r.data["legal_id"] for r in records if r.data.get("legal_id")}
        self.siret = {}
        for place in Place.objects.filter(organisation=organisation, legal_id__in=sirets):
            self.siret.setdefault(place.legal_id, []).append(place)
        for siret, places in list(self.siret.items()):
            if len(places) >= 200:
                del self.siret[siret]  # Importer.match reads its first 200 itself
        for siret in sirets:
            self.siret.setdefault(siret, [])
        matches: dict[int, list[int]] = {}
        for index in range(0, len(self.boxes), 200):
            chunk = self.boxes[index : index + 200]
            params = [value for box in chunk for value in box]
            sql = _NAMED_NEARBY_SQL.get(connection.vendor, _NAMED_NEARBY_SQL["sqlite"]).format(
                values=", ".join([_NAMED_NEARBY_ROW] * len(chunk)),
                place=connection.ops.quote_name(Place._meta.db_table),
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [*params, organisation.pk])
                for key, place_id in cursor.fetchall():
                    matches.setdefault(key, []).append(place_id)
        found = Place.objects.in_bulk({pk for ids in matches.values() for pk in ids})
        self.named = {key: [found[pk] for pk in ids if pk in found] for key, ids in matches.items()}


def run_import(
    *,
    fmt: str,
    path: Path | str,
    organisation: Organisation,
    status: str = Place.Status.PUBLISHED,
    dry_run: bool = False,
    mapping_path: Path | str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    batch_size: int = BATCH_SIZE,
    user=None,
    one_by_one: bool = False,
    atomic: bool = False,
) -> Report:
    """Import one file into `organisation`'s registry and report what happened.

    Raises ImportFileError, before writing anything, when the file cannot be read as a
    whole (encoding, malformed CSV or JSON, missing column). A dry run does all the work
    inside a transaction that is rolled back, so its report matches the real run.
    `one_by_one=True` writes each new place through the single-row actions instead of
    the bulk ones: slower, and the same rows, history and webhook events.
    Rows that cannot be read are rejected one by one (api/imports/readers.py); with
    `atomic`, one rejected row rolls the whole run back (report.rolled_back).
    """
    source = open_source(
        fmt,
        Path(path),
        mapping_path=Path(mapping_path) if mapping_path else None,
        encoding=encoding,
        delimiter=delimiter,
    )
    # Read the whole file once first: a syntax error on the last line must stop the run
    # before the first batch is committed. Streaming keeps this pass cheap in memory.
    for _row in source.rows():
        pass
    report = Report(format=fmt, path=str(path), dry_run=dry_run, atomic=atomic)
    report.warnings.extend(Issue(0, "", "encoding_guessed", "", note) for note in source.notes)
    importer = Importer(
        fmt=fmt,
        organisation=organisation,
        status=status,
        user=user,
        batch_size=batch_size,
        one_by_one=one_by_one,
    )
    if dry_run or atomic:
        with transaction.atomic():
            importer.run(source.rows(), source.convert, report)
            report.rolled_back = atomic and not dry_run and report.rejected > 0
            if dry_run or report.rolled_back:
                transaction.set_rollback(True)
        if report.stored and report.created + report.updated >= batch_size:
            refresh_planner_statistics()
    else:
        importer.run(source.rows(), source.convert, report)
        if report.created + report.updated >= batch_size:
            refresh_planner_statistics()
    return report
