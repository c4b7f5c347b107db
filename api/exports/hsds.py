"""Open Referral HSDS 3.0 as one JSON document of tables.

{"hsds_version": "3.0", "organizations": [...], "services": [...], "locations": [...],
 "addresses": [...], "phones": [...], "service_at_locations": [...], "schedules": [...],
 "notes": [...]}

Places are locations (their random UUID is the location id); offers are services of their
provider (an organization) delivered at the place (a service_at_location); cataloguing
organisations are organizations too. Other ids are UUID5s of our primary keys in the
registry's own namespace (settings.EXPORT_ID_NAMESPACE): the same from one export to the
next, and never those of another registry. Rows carry only the fields that have a value
(HSDS 3.0 refuses `null`); `notes` lists what the tables could not state exactly.

The registry is read once: each table is spooled to a temporary file (memory up to a
few MB, then disk) and the document is written table after table.
"""

from __future__ import annotations

import contextlib
import datetime
import tempfile
import uuid
import zoneinfo
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import timezone

from api.exports.source import PlaceBundle, iter_bundles, schedule_of, utc_date
from api.exports.writers import BUFFER, buffered, dumps
from places.timezones import place_zone_name
from scheduling.models import Schedule, ScheduleException
from scheduling.rules import WEEKDAY_CODES, rules_from_data

HSDS_VERSION = "3.0"
TABLES = (
    "organizations",
    "services",
    "locations",
    "addresses",
    "phones",
    "service_at_locations",
    "schedules",
)
BYDAY = tuple(code.upper() for code in WEEKDAY_CODES)  # MO, TU, ... as RFC 5545 writes them
SPOOL = 4 * 1024 * 1024
# Notes are data, not interface text: fixed English, the same whatever the locale.
SEASON_NOTES = {
    "school_holidays": "During school holidays only.",
    "outside_school_holidays": "Outside school holidays only.",
}
HOLIDAY_NOTES = {
    "closed": "Closed on public holidays.",
    "open": "Usual hours on public holidays.",
}


OSM_DESCRIPTION = "Opening hours in OSM opening_hours syntax (no RRULE form): {hours}"
OSM_ONLY_NOTE = (
    "Schedule {id} ({owner}) is kept as OSM opening_hours text only (in its description): "
    "it has no RRULE fields."
)


def hsds_id(kind: str, key: Any) -> str:
    """A UUID5 of one of our keys in this registry's namespace (settings.EXPORT_ID_NAMESPACE)."""
    return str(uuid.uuid5(uuid.UUID(settings.EXPORT_ID_NAMESPACE), f"{kind}:{key}"))


def compact(row: dict[str, Any]) -> dict[str, Any]:
    """The row without its absent values: HSDS 3.0 leaves optional fields out, never null."""
    return {k: v for k, v in row.items() if v is not None and v != ""}


@lru_cache(maxsize=32)
def utc_offset_hours(zone_name: str) -> int | float:
    """The zone's standard UTC offset in hours (Europe/Paris: 1), as HSDS `timezone` wants.

    HSDS 3.0 has a number there, not a zone name: the standard offset, with the zone's name
    and daylight saving time stated in `notes`, since times are the place's wall clock.
    """
    zone = zoneinfo.ZoneInfo(zone_name)
    now = timezone.now()
    offset = (zone.utcoffset(now.astimezone(zone)) or datetime.timedelta()) - (
        zone.dst(now.astimezone(zone)) or datetime.timedelta()
    )
    hours = offset.total_seconds() / 3600
    return int(hours) if hours.is_integer() else hours


def zone_note(zone_name: str) -> str:
    return f"Times are local times in {zone_name}."


def _hhmm(minutes: int) -> str:
    if minutes == 1440:
        return "23:59"  # HSDS times are clock times; "until midnight" is the last minute
    minutes %= 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _row(schedule_key: str, owner: dict[str, Any], **values: Any) -> dict[str, Any]:
    """One schedule row: its id, its owner's id and time zone, the given values; no nulls."""
    zone_name = owner["zone"]
    row: dict[str, Any] = {
        "id": hsds_id("schedule", schedule_key),
        **{k: v for k, v in owner.items() if k != "zone"},
        "timezone": utc_offset_hours(zone_name),
        "attending_type": "in_person",
        **values,
    }
    row["notes"] = " ".join(filter(None, [values.get("notes"), zone_note(zone_name)]))
    return compact(row)


def _iso(day: datetime.date | None) -> str | None:
    return day.isoformat() if day else None


def schedule_rows(
    schedule: Schedule | None, exceptions: list[ScheduleException], owner: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """A schedule's rules and exceptions as HSDS schedule rows.

    Weekly rules: freq WEEKLY, byday; every N weeks: interval N from dtstart (the Monday of
    the anchor's week); n-th weekday of the month: freq MONTHLY, byday "1MO,-1FR"; dated
    rules: WEEKLY between valid_from and valid_to. A schedule kept as OSM text is one row
    whose description says so and gives the text. Yearly periods, school-holiday seasons
    and public holidays have no HSDS field: they are stated in `notes`. Closures are rows
    without times between valid_from and valid_to; extra openings and events repeat their
    times every day of their range.
    """
    if schedule is None:
        return
    holiday_note = HOLIDAY_NOTES.get(schedule.public_holidays) or (
        "On public holidays: " + ", ".join(schedule.holiday_times) + "."
    )
    if schedule.mode == Schedule.Mode.OSM:
        yield _row(
            f"{schedule.pk}:osm",
            owner,
            description=OSM_DESCRIPTION.format(hours=schedule.osm_source),
        )
    else:
        for index, rule in enumerate(rules_from_data(schedule.rules)):
            days = rule.days or tuple(range(7))
            values: dict[str, Any] = {
                "freq": "WEEKLY",
                "interval": 1,
                "byday": ",".join(BYDAY[d] for d in days),
                "valid_from": _iso(rule.valid_from),
                "valid_to": _iso(rule.valid_to),
            }
            if rule.kind == "every_n_weeks":
                monday = rule.anchor - datetime.timedelta(days=rule.anchor.weekday())
                values.update(interval=rule.interval, dtstart=monday.isoformat())
            elif rule.kind == "nth_weekday":
                values.update(
                    freq="MONTHLY",
                    byday=",".join(f"{n}{BYDAY[d]}" for d in days for n in rule.nth),
                )
            elif rule.kind == "dates":
                values.update(
                    valid_from=_iso(rule.start_date),
                    valid_to=_iso(rule.end_date or rule.start_date),
                )
            notes = []
            if rule.yearly_from:
                notes.append(
                    "Every year from {:02d}-{:02d} to {:02d}-{:02d}.".format(
                        *rule.yearly_from, *rule.yearly_to
                    )
                )
            if rule.season in SEASON_NOTES:
                notes.append(SEASON_NOTES[rule.season])
            notes.append(holiday_note)
            for position, time_range in enumerate(rule.times):
                yield _row(
                    f"{schedule.pk}:rule:{index}:{position}",
                    owner,
                    opens_at=_hhmm(time_range.start),
                    closes_at=_hhmm(time_range.end),
                    notes=" ".join(notes),
                    **values,
                )
    for exception in exceptions:
        key = f"{schedule.pk}:exception:{exception.pk}"
        common = {
            "valid_from": exception.start_date.isoformat(),
            "valid_to": exception.end_date.isoformat(),
            "description": exception.title or None,
        }
        times = (
            (exception.start_time.strftime("%H:%M"), exception.end_time.strftime("%H:%M"))
            if exception.start_time is not None
            else None
        )
        if exception.kind == ScheduleException.Kind.CLOSURE:
            note = "Closed."
            if times:
                note = f"Closed from {times[0]} on the first day to {times[1]} on the last day."
            yield _row(key, owner, notes=note, **common)
            continue
        opens, closes = times or ("00:00", "23:59")
        note = "Extra opening." if exception.kind == ScheduleException.Kind.EXTRA_OPENING else ""
        if exception.kind == ScheduleException.Kind.EVENT:
            note = "Event." + (f" {exception.description}" if exception.description else "")
        yield _row(
            key,
            owner,
            freq="WEEKLY",
            interval=1,
            byday=",".join(BYDAY),
            opens_at=opens,
            closes_at=closes,
            notes=note,
            **common,
        )


def _department(insee_code: str) -> str | None:
    if not insee_code:
        return None
    return insee_code[:3] if insee_code.startswith("97") else insee_code[:2]


def organisation_row(organisation) -> dict[str, Any]:
    return compact(
        {
            "id": hsds_id("organisation", organisation.pk),
            "name": organisation.name,
            "description": str(organisation.get_kind_display()) or organisation.name,
        }
    )


def provider_row(provider) -> dict[str, Any]:
    return compact(
        {
            "id": hsds_id("provider", provider.pk),
            "name": provider.name,
            "description": str(provider.get_sector_display()) or provider.name,
            "website": provider.website,
        }
    )


def _osm_note(schedule: Schedule | None, owner: str) -> Iterator[tuple[str, Any]]:
    if schedule is not None and schedule.mode == Schedule.Mode.OSM:
        yield (
            "notes",
            OSM_ONLY_NOTE.format(id=hsds_id("schedule", f"{schedule.pk}:osm"), owner=owner),
        )


def bundle_rows(bundle: PlaceBundle, seen: set[str]) -> Iterator[tuple[str, Any]]:
    """(table, row) pairs for one place; organizations only the first time they appear.

    The pseudo-table "notes" gets sentences for the document's `notes`.
    """
    place = bundle.place
    zone = place_zone_name(place)
    location_id = str(place.public_id)
    org = organisation_row(place.organisation)
    if org["id"] not in seen:
        seen.add(org["id"])
        yield "organizations", org
    yield (
        "locations",
        compact(
            {
                "id": location_id,
                "location_type": "physical",
                "url": place.website,
                "organization_id": org["id"],
                "name": place.name,
                "description": place.short_description or place.description,
                "latitude": float(place.latitude) if place.latitude is not None else None,
                "longitude": float(place.longitude) if place.longitude is not None else None,
                "external_identifier": place.slug,
                "external_identifier_type": "slug",
            }
        ),
    )
    if place.address or place.commune:
        # address_1, city, state_province, postal_code and country are required: an
        # unknown one is an empty string rather than a missing key.
        yield (
            "addresses",
            {
                "id": hsds_id("address", location_id),
                "location_id": location_id,
                "address_1": place.address or "",
                "city": place.commune or "",
                "state_province": _department(place.insee_code) or "",
                "postal_code": place.postcode or "",
                "country": "FR",
                "address_type": "physical",
            },
        )
    if place.phone:
        yield (
            "phones",
            {
                "id": hsds_id("phone", location_id),
                "location_id": location_id,
                "number": place.phone,
                "type": "voice",
            },
        )
    for row in schedule_rows(
        bundle.schedule, bundle.exceptions, {"location_id": location_id, "zone": zone}
    ):
        yield "schedules", row
    yield from _osm_note(bundle.schedule, f"location {location_id}")
    for offer in bundle.offers:
        provider = provider_row(offer.provider)
        if provider["id"] not in seen:
            seen.add(provider["id"])
            yield "organizations", provider
        service_id = hsds_id("offer", offer.pk)
        yield (
            "services",
            compact(
                {
                    "id": service_id,
                    "organization_id": provider["id"],
                    "name": offer.kind.name,
                    "alternate_name": offer.kind.name_en,
                    "description": offer.description
                    or f"{offer.kind.name} — {offer.provider.name}",
                    "url": offer.appointment_url,
                    "status": "active",
                    "application_process": ", ".join(str(x) for x in offer.access_mode_labels),
                    "fees_description": ", ".join(
                        filter(None, [str(offer.get_fees_display()), offer.fees_details])
                    ),
                    "eligibility_description": ", ".join(str(x) for x in offer.audience_labels),
                    # HSDS 3.0 has no last-modified date: the date the offer was last
                    # changed (so checked) is its assured date.
                    "assured_date": utc_date(offer.updated_at).isoformat(),
                }
            ),
        )
        at_location = hsds_id("service_at_location", offer.pk)
        yield (
            "service_at_locations",
            {"id": at_location, "service_id": service_id, "location_id": location_id},
        )
        schedule = schedule_of(offer)
        exceptions = list(schedule.exceptions.all()) if schedule is not None else []
        for row in schedule_rows(
            schedule, exceptions, {"service_at_location_id": at_location, "zone": zone}
        ):
            yield "schedules", row
        yield from _osm_note(schedule, f"service at location {at_location}")


def export_hsds(queryset=None, *, chunk_size: int | None = None) -> Iterator[str]:
    """The HSDS document, streamed; the registry is read once, before the first chunk."""
    with contextlib.ExitStack() as stack:
        spools = {
            name: stack.enter_context(
                tempfile.SpooledTemporaryFile(max_size=SPOOL, mode="w+", encoding="utf-8")
            )
            for name in (*TABLES, "notes")
        }
        counts = dict.fromkeys((*TABLES, "notes"), 0)
        seen: set[str] = set()
        bundles = iter_bundles(queryset, **({"chunk_size": chunk_size} if chunk_size else {}))
        for bundle in bundles:
            for table, row in bundle_rows(bundle, seen):
                spools[table].write(("\n" if counts[table] == 0 else ",\n") + dumps(row))
                counts[table] += 1

        def parts() -> Iterator[str]:
            yield '{"hsds_version":' + dumps(HSDS_VERSION)
            for name in (*TABLES, "notes"):
                yield f',\n"{name}":['
                spool = spools[name]
                spool.seek(0)
                while chunk := spool.read(BUFFER):
                    yield chunk
                yield "\n]" if counts[name] else "]"
            yield "}\n"

        yield from buffered(parts())
