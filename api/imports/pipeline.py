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
from places.geo import haversine_km, in_bounding_box
from places.models import (
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
from services.actions import offer_create, offers_create_many, provider_create
from services.models import Provider, ServiceKind, ServiceOffer
from services.selectors import provider_for_organisation

SAME_PLACE_METRES = 100
NEARBY_METRES = 1000
NAME_SIMILARITY = 0.6
BATCH_SIZE = 500
# The place fields whose merge (a second file matching a place) the report explains.
MERGE_REPORTED = ("address", "postcode", "commune", "phone", "email", "website")
NETWORK_NAMES = dict([FRANCE_SERVICES_NETWORK, *LABELS.values()])
# The sector of the provider standing for an organisation that runs its places' services.
ORGANISATION_SECTORS = {
    Organisation.Kind.CITY: Provider.Sector.PUBLIC,
    Organisation.Kind.INTERCOMMUNALITY: Provider.Sector.PUBLIC,
    Organisation.Kind.OPERATOR: Provider.Sector.ASSOCIATIVE,
    Organisation.Kind.NETWORK: Provider.Sector.ASSOCIATIVE,
}


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

    # --- the run --------------------------------------------------------------------

    def run(self, rows: Iterable[Any], convert, report: Report) -> None:
        self._report = report
        for batch in _batches(enumerate(rows, start=1), self.batch_size):
            # One transaction per batch: a crash loses at most one batch, never half a row.
            with transaction.atomic():
                for number, raw in batch:
                    self.process(number, raw, convert, report)
                self.flush(report)

    def process(self, number: int, raw: Any, convert, report: Report) -> None:
        try:
            record = convert(raw, number)
        except RowRejected as exc:
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
            owner = not ExternalId.objects.filter(place_id=place.pk, pk__lt=known.pk).exists()
            changed = self.update(place, record, networks, owner=owner)
            if owner and (record.hours or record.hours_text):
                self.apply_hours(place, record)
            elif not owner:
                changed |= self.merge_hours(place, record)
            changed |= self.complete(place, record)
            return "updated" if changed else "unchanged"

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
        if siret:
            sure, doubtful = [], []
            for place in Place.objects.filter(organisation=self.organisation, legal_id=siret)[:200]:
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
        candidates = Place.objects.filter(organisation=self.organisation)
        for place in in_bounding_box(candidates, lat, lon, NEARBY_METRES / 1000).filter(
            search_text__startswith=name
        ):
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
        place = place_create(
            user=self.user,
            organisation=self.organisation,
            data={**record.data, "slug": free_slug(record.data["name"])},
            typologies=record.typologies,
            networks=networks,
            profiles=record.profiles or None,
            status=Place.Status.DRAFT,
            source=self.history_source,
        )
        self.attach(place, record)
        if self.status == Place.Status.PUBLISHED:
            place_publish(
                place=place, user=self.user, source=self.history_source, expected_version=None
            )
        if record.hours or record.hours_text:
            self.apply_hours(place, record)
        self.complete(place, record)
        return place

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
            data={
                **record.data,
                "slug": free_slug(record.data["name"], also_taken=self._pending_slugs),
            },
            typologies=record.typologies,
            networks=networks,
            profiles=record.profiles or None,
            status=Place.Status.DRAFT,
            known_typologies=self._typologies,
            in_bulk=True,
        )
        self._pending_slugs.add(new.place.slug)
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
        place = (
            Place.objects.select_related("mediation")
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
            found = provider_for_organisation(self.organisation)
            if found is None:
                slug, n = self.organisation.slug[:70], 2
                while Provider.objects.filter(slug=slug).exists():
                    slug, n = f"{self.organisation.slug[:70]}-{n}", n + 1
                found = provider_create(
                    user=self.user,
                    data={
                        "slug": slug,
                        "name": self.organisation.name,
                        "sector": ORGANISATION_SECTORS.get(
                            self.organisation.kind, Provider.Sector.PUBLIC
                        ),
                        "organisation": self.organisation,
                    },
                    source=self.history_source,
                )
            self._own_provider = found
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
        live = set(
            ServiceOffer.objects.filter(place_id__in=[p.pk for p, _r in pairs])
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
        kept = set(
            ImportedValue.objects.filter(place_id__in=[p.pk for p, _r in pairs]).values_list(
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
        scheduled, kept, _problem = current_hours(place)
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


def free_slug(name: str, also_taken: set[str] = frozenset()) -> str:
    """A slug no place or old link uses, found in two queries even for common names."""
    base = slugify(name)[:110] or "lieu"
    taken = {s for s in also_taken if s.startswith(base)}
    taken |= _slugs_from(Place, base) | _slugs_from(PlaceSlugAlias, base)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


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
