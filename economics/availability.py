"""Time questions economics asks of the scheduling engine.

- When is a place open over a period (for offered capacity)? The materialised calendar
  answers inside its window; outside it (past months, far future) the place's schedule is
  evaluated directly with the same rule engine, as scheduling.selectors.is_open does.
- When is a space shared? Its SharingOffer keeps rule dicts in the scheduling format,
  evaluated here by scheduling.rules.RuleSet; they never enter the place's calendar.
"""

from __future__ import annotations

import datetime
import json

from places.models import Place
from places.timezones import place_zone, zone, zone_name_of
from scheduling.calendars import department_of, school_zone
from scheduling.materialise import (
    MAX_ROW_LENGTH,
    current_window,
    exception_specs,
    local_zone,
    ruleset_for,
    to_utc,
)
from scheduling.models import OpeningInterval, Schedule
from scheduling.rules import DAY, RuleSet, merge, rules_from_data

UTC = datetime.UTC
Interval = tuple[datetime.datetime, datetime.datetime]


def _midnight_utc(day: datetime.date, tz) -> datetime.datetime:
    return to_utc(datetime.datetime.combine(day, datetime.time()), tz)


def place_open_intervals(
    place: Place, first: datetime.date, stop: datetime.date, *, window=None
) -> list[Interval]:
    """UTC intervals when the place is open (general hours) on its local days [first, stop).

    Days are the place's own (places.timezones): a Réunion place's 1 March starts at
    midnight in Saint-Denis, not in Paris.

    Days inside the materialised window are read from OpeningInterval rows (kind open,
    no offer: closures and public holidays already removed); other days are evaluated
    from the place's schedule. A place without a schedule is never open.
    """
    if stop <= first:
        return []
    tz = place_zone(place)
    window = window or current_window()
    inside_first, inside_stop = max(first, window.start), min(stop, window.end)
    out: list[Interval] = []
    if inside_first < inside_stop:
        lo, hi = _midnight_utc(inside_first, tz), _midnight_utc(inside_stop, tz)
        rows = (
            OpeningInterval.objects.general_hours()
            .filter(
                place_id=place.pk,
                kind=OpeningInterval.Kind.OPEN,
                start__gte=lo - MAX_ROW_LENGTH,
                start__lt=hi,
                end__gt=lo,
            )
            .values_list("start", "end")
        )
        out += [(max(s, lo), min(e, hi)) for s, e in rows]
    outside = []
    if first < window.start:
        outside.append((first, min(stop, window.start)))
    if stop > window.end:
        outside.append((max(first, window.end), stop))
    outside = [(a, b) for a, b in outside if a < b]
    if outside:
        schedule = Schedule.objects.filter(place=place).first()
        if schedule is not None:
            ruleset = ruleset_for(schedule, place)
            for a, b in outside:
                out += [(to_utc(s, tz), to_utc(e, tz)) for s, e in ruleset.open_local(a, b)]
    return merge(out)


def places_open_hours(
    place_ids, first: datetime.date, stop: datetime.date, *, window=None
) -> dict[int, float]:
    """{place id: hours open (general hours) on local days [first, stop)} for many places.

    The same reading as `place_open_intervals`, in a fixed number of queries whatever the
    number of places: calendar rows (1), schedules with their places (1), their exceptions
    (1). `place_ids` may be a list or a queryset of ids. Places never open are left out.
    """
    if stop <= first:
        return {}
    window = window or current_window()
    by_place: dict[int, list[Interval]] = {}
    inside_first, inside_stop = max(first, window.start), min(stop, window.end)
    if inside_first < inside_stop:
        # Each place's days are its own: read a day more on each side of the site's days,
        # then keep each place's rows between its own midnights.
        site = local_zone()
        lo = _midnight_utc(inside_first, site) - DAY
        hi = _midnight_utc(inside_stop, site) + DAY
        rows = (
            OpeningInterval.objects.general_hours()
            .filter(
                place_id__in=place_ids,
                kind=OpeningInterval.Kind.OPEN,
                start__gte=lo - MAX_ROW_LENGTH,
                start__lt=hi,
                end__gt=lo,
            )
            .values_list(
                "place_id",
                "place__time_zone",
                "place__insee_code",
                "place__postcode",
                "start",
                "end",
            )
        )
        bounds: dict[str, tuple[datetime.datetime, datetime.datetime]] = {}
        for place_id, time_zone, insee_code, postcode, s, e in rows:
            name = zone_name_of(time_zone, insee_code, postcode)
            if name not in bounds:
                tz = zone(name)
                bounds[name] = (
                    _midnight_utc(inside_first, tz),
                    _midnight_utc(inside_stop, tz),
                )
            place_lo, place_hi = bounds[name]
            if s < place_hi and e > place_lo:
                by_place.setdefault(place_id, []).append((max(s, place_lo), min(e, place_hi)))
    outside = []
    if first < window.start:
        outside.append((first, min(stop, window.start)))
    if stop > window.end:
        outside.append((max(first, window.end), stop))
    outside = [(a, b) for a, b in outside if a < b]
    if outside:
        schedules = (
            Schedule.objects.filter(place_id__in=place_ids)
            .select_related("place")
            .prefetch_related("exceptions")
        )
        # Places often share their rules (and have no closures): evaluate each distinct
        # schedule once.
        evaluated: dict[str, list[Interval]] = {}
        for schedule in schedules:
            exceptions = list(schedule.exceptions.all())
            signature = repr(
                (
                    schedule.mode,
                    json.dumps(schedule.rules, sort_keys=True),
                    schedule.osm_source,
                    schedule.public_holidays,
                    list(schedule.holiday_times or []),
                    department_of(schedule.place),
                    school_zone(schedule.place, schedule.holiday_zone),
                    exception_specs(exceptions),
                    place_zone(schedule.place).key,
                )
            )
            if signature not in evaluated:
                tz = place_zone(schedule.place)
                ruleset = ruleset_for(schedule, schedule.place, exceptions)
                evaluated[signature] = [
                    (to_utc(s, tz), to_utc(e, tz))
                    for a, b in outside
                    for s, e in ruleset.open_local(a, b)
                ]
            by_place.setdefault(schedule.place_id, []).extend(evaluated[signature])
    return {place_id: hours(merge(found)) for place_id, found in by_place.items() if found}


def hours(intervals: list[Interval]) -> float:
    return sum((e - s).total_seconds() for s, e in intervals) / 3600


def hour_pieces(intervals: list[Interval], tz=None):
    """Yield (local weekday, local hour, local date, hours) for each piece of each interval.

    Local to `tz` (the place's zone; the site's when not given). Pieces are cut at UTC hour
    boundaries, which are local hour boundaries too for zones with whole-hour offsets; the
    local hour is read from the piece's start.
    """
    tz = tz or local_zone()
    for start, end in intervals:
        cursor = start.astimezone(UTC)
        end = end.astimezone(UTC)
        while cursor < end:
            boundary = cursor.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(
                hours=1
            )
            piece_end = min(boundary, end)
            local = cursor.astimezone(tz)
            yield (
                local.weekday(),
                local.hour,
                local.date(),
                (piece_end - cursor).total_seconds() / 3600,
            )
            cursor = piece_end


# -- sharing offers ---------------------------------------------------------------------------


def sharing_ruleset(rules: list[dict], place: Place, *, holidays_closed: bool = True) -> RuleSet:
    """The evaluable form of a sharing offer's rule dicts (validated by rules_from_data)."""
    return RuleSet(
        rules=rules_from_data(list(rules or [])),
        public_holidays="closed" if holidays_closed else "open",
        department=department_of(place),
        zone=school_zone(place, ""),
    )


def shared_at(ruleset: RuleSet, at: datetime.datetime, tz=None) -> bool:
    """Whether the offer's times include the moment `at`.

    An aware `at` is read on the clock of `tz` (the place's zone; the site's when not
    given); a naive one is already a wall-clock time of the place.
    """
    if at.tzinfo is not None:
        at = at.astimezone(tz or local_zone()).replace(tzinfo=None)
    day = at.date()
    return any(s <= at < e for s, e in ruleset.open_local(day - DAY, day + DAY))


def shared_week_hours(ruleset: RuleSet, monday: datetime.date) -> float:
    """Hours the offer is available in the local week starting on `monday`."""
    return (
        sum((e - s).total_seconds() for s, e in ruleset.open_local(monday, monday + 7 * DAY)) / 3600
    )
