"""What every export reads: published places with their offers and schedules, streamed.

Places are read with `.iterator(chunk_size=...)`; Django runs the prefetches once per
chunk, so a national export holds one chunk of places (and their offers, schedules and
exceptions) in memory at a time, whatever the size of the registry.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Max, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from places.models import Network, Organisation, Place, Typology
from scheduling.models import Schedule, ScheduleException
from scheduling.osm import NotRepresentable, export_osm
from scheduling.rules import parse_time_range, rules_from_data
from services.models import Provider, ServiceCategory, ServiceKind, ServiceOffer
from services.selectors import available_offers

SOURCE = "lieux-partages"
CHUNK_SIZE = 500


@dataclass
class PlaceBundle:
    """One place and what its exports need, all loaded by the chunk's prefetches."""

    place: Place
    typologies: list[Typology]
    networks: list[Network]
    offers: list[ServiceOffer]
    schedule: Schedule | None
    exceptions: list[ScheduleException] = field(default_factory=list)


def published_places(queryset: QuerySet[Place] | None = None) -> QuerySet[Place]:
    """Published places in a stable order (by primary key), with what exports read."""
    queryset = Place.objects.all() if queryset is None else queryset
    offers = available_offers(
        ServiceOffer.objects.select_related("kind", "kind__category", "provider", "schedule")
    ).order_by("kind__category__position", "kind__position", "provider__name", "id")
    return (
        queryset.filter(status=Place.Status.PUBLISHED)
        .select_related("organisation", "schedule")
        .prefetch_related(
            Prefetch("typologies", queryset=Typology.objects.order_by("position", "code")),
            Prefetch("networks", queryset=Network.objects.order_by("slug")),
            Prefetch("offers", queryset=offers, to_attr="export_offers"),
            Prefetch(
                "export_offers__schedule__exceptions",
                queryset=ScheduleException.objects.order_by("start_date", "start_time", "id"),
            ),
            Prefetch(
                "schedule__exceptions",
                queryset=ScheduleException.objects.order_by("start_date", "start_time", "id"),
            ),
        )
        .order_by("pk")
    )


def published_version() -> str:
    """A digest that changes whenever what the exports read changes: the ETag of the
    exports (a weak one), known in a few queries before a byte is streamed. The large
    tables count by their size and latest change (every write goes through an action,
    which saves the place, offer or schedule it touches); the small ones (organisations,
    catalogue, networks, typologies) by their whole content; and the day and language,
    on which offers' availability and the catalogue's names depend."""
    digest = hashlib.sha256()
    for model, latest in (
        (Place, "updated_at"),
        (ServiceOffer, "updated_at"),
        (Schedule, "updated_at"),
        (ScheduleException, "pk"),
    ):
        digest.update(repr(model.objects.aggregate(n=Count("pk"), last=Max(latest))).encode())
    for model in (Organisation, Network, Typology, ServiceCategory, ServiceKind, Provider):
        for row in model.objects.order_by("pk").values_list():
            digest.update(repr(row).encode())
    digest.update(f"{timezone.localdate().isoformat()} {get_language()}".encode())
    return digest.hexdigest()[:24]


def schedule_of(owner) -> Schedule | None:
    """The schedule of a place or an offer, or None (a reverse one-to-one may be absent)."""
    try:
        return owner.schedule
    except ObjectDoesNotExist:
        return None


def exceptions_of(schedule: Schedule | None) -> list[ScheduleException]:
    return list(schedule.exceptions.all()) if schedule is not None else []


def iter_bundles(
    queryset: QuerySet[Place] | None = None, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[PlaceBundle]:
    """Published places one at a time, `chunk_size` rows (and their prefetches) per read."""
    for place in published_places(queryset).iterator(chunk_size=chunk_size):
        schedule = schedule_of(place)
        yield PlaceBundle(
            place=place,
            typologies=list(place.typologies.all()),
            networks=list(place.networks.all()),
            offers=list(place.export_offers),
            schedule=schedule,
            exceptions=exceptions_of(schedule),
        )


def osm_hours(schedule: Schedule | None) -> str | None:
    """The schedule as an OSM opening_hours string, or None when it has no exact form.

    Rules are written back with scheduling.osm.export_osm; a schedule kept as OSM text,
    or whose rules have no exact OSM writing but came from an imported string, gives its
    original string. Dated exceptions are not part of the string (see HSDS and .ics).
    """
    if schedule is None:
        return None
    if schedule.mode == Schedule.Mode.OSM:
        return schedule.osm_source or None
    try:
        return export_osm(
            rules_from_data(schedule.rules),
            schedule.public_holidays,
            tuple(parse_time_range(t, allow_overnight=False) for t in schedule.holiday_times),
        )
    except NotRepresentable:
        return schedule.osm_source or None


def utc_date(*moments: datetime.datetime | None) -> datetime.date:
    """The latest of `moments`, as a UTC calendar date.

    UTC rather than local time: a consumer west of Paris (or a validator on a UTC clock)
    would otherwise see a last-modified date in its future just after local midnight.
    """
    latest = max(m for m in moments if m is not None)
    return latest.astimezone(datetime.UTC).date()
