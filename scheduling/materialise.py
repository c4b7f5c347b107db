"""From schedules to OpeningInterval rows, over the calendar window."""

from __future__ import annotations

import datetime
import json
import operator
import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from places.models import Place
from places.timezones import place_zone_name, zone
from scheduling.calendars import department_of, school_zone
from scheduling.models import CalendarWindow, OpeningInterval, Schedule, ScheduleException
from scheduling.osm import library_ranges
from scheduling.rules import (
    DAY,
    MINUTES_PER_DAY,
    ExceptionSpec,
    Interval,
    Rule,
    RuleSet,
    clip,
    merge,
    parse_time_range,
    rules_from_data,
)

UTC = datetime.UTC
# Days kept before today (yesterday's late openings) and after it; see
# docs/decisions/0002-calendar-window.md.
WINDOW_PAST_DAYS = 1
WINDOW_FUTURE_DAYS = 120
# Rows are cut at local midnight, so none is longer than the longest local day (25 h at
# the end of summer time). Readers bound `start` by this to keep range scans short.
MAX_ROW_LENGTH = datetime.timedelta(hours=25)


def local_zone() -> zoneinfo.ZoneInfo:
    """The site's zone: the one the calendar window's dates are in (places have their own,
    places.timezones.place_zone)."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def to_utc(naive: datetime.datetime, tz: zoneinfo.ZoneInfo | None = None) -> datetime.datetime:
    """Local wall-clock time → aware UTC; zoneinfo settles gaps and repeats (fold=0)."""
    return naive.replace(tzinfo=tz or local_zone()).astimezone(UTC)


def default_window(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    today = today or timezone.localdate()
    return (
        today - datetime.timedelta(days=WINDOW_PAST_DAYS),
        today + datetime.timedelta(days=WINDOW_FUTURE_DAYS + 1),
    )


def current_window() -> CalendarWindow:
    """The window row, created on first use with the default window."""
    window = CalendarWindow.objects.filter(pk=1).first()
    if window is None:
        start, end = default_window()
        window, _created = CalendarWindow.objects.get_or_create(
            pk=1, defaults={"start": start, "end": end, "build_end": end}
        )
    return window


def exception_specs(exceptions) -> list[ExceptionSpec]:
    return [
        ExceptionSpec(
            kind=e.kind,
            start_date=e.start_date,
            end_date=e.end_date,
            start_time=e.start_time,
            end_time=e.end_time,
            title=e.title,
        )
        for e in exceptions
    ]


@lru_cache(maxsize=4096)
def _parsed_rules(serialised: str) -> tuple[Rule, ...]:
    # Schedules repeat a few rule lists many times over; parsing (with its validation)
    # costs more than evaluating them. Invalid data raises and is not cached.
    return tuple(rules_from_data(json.loads(serialised)))


def ruleset_for(schedule: Schedule, place=None, exceptions=None) -> RuleSet:
    """The evaluable form of a schedule (place needed for holidays and school zone)."""
    place = place or schedule.owner_place
    if exceptions is None:
        exceptions = list(schedule.exceptions.all())
    ruleset = RuleSet(
        rules=list(_parsed_rules(json.dumps(schedule.rules)))
        if schedule.mode == Schedule.Mode.RULES
        else [],
        public_holidays=schedule.public_holidays,
        holiday_times=tuple(
            parse_time_range(t, allow_overnight=False) for t in schedule.holiday_times or []
        ),
        department=department_of(place),
        zone=school_zone(place, schedule.holiday_zone),
        exceptions=exception_specs(exceptions),
    )
    if schedule.mode == Schedule.Mode.OSM:
        ruleset.base = library_ranges(schedule.osm_source)
    return ruleset


def place_days(
    first: datetime.date, stop: datetime.date, tz_name: str
) -> tuple[datetime.date, datetime.date]:
    """The place's local days [first', stop') covering the site's days [first, stop).

    The window is a set of dates of the site's zone (settings.TIME_ZONE); its edges are
    the site's midnights. A place in another zone is materialised over every local day
    that overlaps those instants, so that any instant inside the window is answered from
    its rows: La Réunion (3 h ahead of Paris in winter) gets one more day at the end,
    Guyane (4 h behind) one more at the start. For the site's zone the days are the same.
    """
    if tz_name == settings.TIME_ZONE:
        return first, stop
    site, tz = local_zone(), zone(tz_name)
    lo = datetime.datetime.combine(first, datetime.time(), site)
    hi = datetime.datetime.combine(stop, datetime.time(), site)
    last = (hi.astimezone(tz) - datetime.timedelta(microseconds=1)).date()
    return lo.astimezone(tz).date(), last + DAY


def _split_days(intervals: list[Interval]) -> list[Interval]:
    out = []
    for start, end in intervals:
        while start < end:
            midnight = datetime.datetime.combine(start.date() + DAY, datetime.time())
            out.append((start, min(end, midnight)))
            start = midnight
    return out


class LocalClock:
    """Local wall-clock minutes from one midnight → aware UTC instants.

    A window holds a few thousand distinct (day, time) pairs however many places share
    it, so each is converted through zoneinfo once and then looked up.
    """

    def __init__(self, first: datetime.date, tz: zoneinfo.ZoneInfo):
        self.origin = datetime.datetime.combine(first, datetime.time())
        self.tz = tz
        # Read directly (`known.get(m) or utc(m)`) in hot loops: a method call per
        # boundary costs more than the lookup.
        self.known: dict[int, datetime.datetime] = {}

    def utc(self, minute: int) -> datetime.datetime:
        value = self.known.get(minute)
        if value is None:
            value = to_utc(self.origin + datetime.timedelta(minutes=minute), self.tz)
            self.known[minute] = value
        return value


# Keyed by zone and first local day: a full rebuild meets a couple of first days per zone
# in use (see place_days), a dozen zones at most; each clock is shared by their places.
@lru_cache(maxsize=64)
def _clock(first: datetime.date, tz_name: str) -> LocalClock:
    return LocalClock(first, zoneinfo.ZoneInfo(tz_name))


# (place_id, offer_id, start, end, kind, comment), the columns written by _insert_rows.
Row = tuple[int, int | None, datetime.datetime, datetime.datetime, str, str]


def interval_tuples(
    schedule: Schedule,
    first: datetime.date,
    stop: datetime.date,
    *,
    place=None,
    exceptions=None,
) -> list[Row]:
    """Rows for one schedule over days [first, stop), local to the place's zone, as tuples."""
    place = place or schedule.owner_place
    ruleset = ruleset_for(schedule, place, exceptions)
    tz_name = place_zone_name(place)
    tz = zone(tz_name)
    place_id, offer_id = place.pk, schedule.offer_id
    rows: list[Row] = []
    if ruleset.minute_exact():
        clock = _clock(first, tz_name)
        known, utc = clock.known, clock.utc
        for s, e in ruleset.open_minutes(first, stop):
            # Cut at each local midnight, as _split_days does on datetimes.
            while s < e:
                midnight = (s // MINUTES_PER_DAY + 1) * MINUTES_PER_DAY
                piece_end = e if e < midnight else midnight
                start_utc = known.get(s) or utc(s)
                end_utc = known.get(piece_end) or utc(piece_end)
                if end_utc > start_utc:  # a piece inside the spring gap has no length
                    rows.append((place_id, offer_id, start_utc, end_utc, "open", ""))
                s = piece_end
    else:
        for s, e in _split_days(ruleset.open_local(first, stop)):
            start_utc, end_utc = to_utc(s, tz), to_utc(e, tz)
            if end_utc > start_utc:
                rows.append((place_id, offer_id, start_utc, end_utc, "open", ""))
    lo = datetime.datetime.combine(first, datetime.time())
    hi = datetime.datetime.combine(stop, datetime.time())
    for spec in ruleset.exceptions:
        if spec.kind == "extra_opening":
            continue
        kind = "event" if spec.kind == "event" else "closed"
        pieces = spec.local_intervals() if kind == "event" else merge(spec.local_intervals())
        for s, e in _split_days(clip(pieces, lo, hi)):
            start_utc, end_utc = to_utc(s, tz), to_utc(e, tz)
            if end_utc > start_utc:
                rows.append((place_id, offer_id, start_utc, end_utc, kind, spec.title[:200]))
    return rows


def interval_rows(
    schedule: Schedule,
    first: datetime.date,
    stop: datetime.date,
    *,
    place=None,
    exceptions=None,
) -> list[OpeningInterval]:
    """Unsaved rows for one schedule over local days [first, stop)."""
    return [
        OpeningInterval(
            place_id=place_id, offer_id=offer_id, start=start, end=end, kind=kind, comment=comment
        )
        for place_id, offer_id, start, end, kind, comment in interval_tuples(
            schedule, first, stop, place=place, exceptions=exceptions
        )
    ]


_COLUMNS = ("place_id", "offer_id", "start", "end", "kind", "comment")
_start = operator.itemgetter(2)


def _copy_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _insert_rows(rows: list[Row]) -> None:
    """Write rows without building model instances (the rows are derived, never edited).

    PostgreSQL gets one COPY in text format; other databases one executemany of tuples.
    Datetimes repeat across places, so each is formatted once.

    Rows go in by start (a stable sort: rows with the same start keep their order). Many
    places share the same few hundred starts, so in the order they are made (place by
    place) each row lands at another spot of the (start, end) and (offer, start) indexes
    and every insert reads and dirties a different page; once those indexes outgrow the
    page cache this cost grows with the calendar (on SQLite, 2.0-2.2 s against
    1.0-1.5 s of CPU for one batch of 500 places at 17,000 places, docs/benchmarks.md).
    """
    if not rows:
        return
    rows = sorted(rows, key=_start)
    table = connection.ops.quote_name(OpeningInterval._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    formatted: dict[datetime.datetime, str] = {}
    if connection.vendor == "postgresql":

        def text(value: datetime.datetime) -> str:
            out = formatted.get(value)
            if out is None:
                out = formatted[value] = value.isoformat()
            return out

        null = "\\N"
        copy_sql = f"COPY {table} ({columns}) FROM STDIN"
        lines = [
            f"{place_id}\t{null if offer_id is None else offer_id}\t{text(start)}\t"
            f"{text(end)}\t{kind}\t{_copy_text(comment)}\n"
            for place_id, offer_id, start, end, kind, comment in rows
        ]
        # `cursor.cursor` is the psycopg 3 cursor under Django's wrapper.
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for index in range(0, len(lines), 10000):
                copy.write("".join(lines[index : index + 10000]))
        return
    adapt = connection.ops.adapt_datetimefield_value

    def db(value: datetime.datetime):
        out = formatted.get(value)
        if out is None:
            out = formatted[value] = adapt(value)
        return out

    placeholders = ", ".join(["%s"] * len(_COLUMNS))
    get = formatted.get
    params = [
        (place_id, offer_id, get(start) or db(start), get(end) or db(end), kind, comment)
        for place_id, offer_id, start, end, kind, comment in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", params)


def rebuild_schedule(schedule: Schedule, window: CalendarWindow | None = None) -> int:
    """Replace one schedule's rows (place hours or one offer) over the build window."""
    window = window or current_window()
    place = schedule.owner_place
    scope = OpeningInterval.objects.filter(place_id=place.pk)
    scope = scope.filter(offer_id=schedule.offer_id) if schedule.offer_id else scope.general_hours()
    scope.delete()
    first, stop = place_days(window.start, window.build_end, place_zone_name(place))
    rows = interval_tuples(schedule, first, stop, place=place)
    _insert_rows(rows)
    return len(rows)


def clear_scope(*, place, offer=None) -> None:
    scope = OpeningInterval.objects.filter(place_id=place.pk)
    if offer is not None:
        scope.filter(offer_id=offer.pk).delete()
    else:
        scope.general_hours().delete()


def sweep_orphan_rows() -> int:
    """Delete calendar rows whose place no longer exists; returns how many.

    The rows have no foreign-key constraint (see OpeningInterval): a place deleted while a
    rebuild of it was running can leave rows behind, which no query shows (they join to
    no place) but which would stay. Rows of a deleted offer at an existing place go with
    the next rebuild of that place, which replaces all of the place's rows.
    """
    gone = ~Exists(Place.objects.filter(pk=OuterRef("place_id")))
    deleted, _by_model = OpeningInterval.objects.filter(gone).delete()
    return deleted


def rebuild_places(place_ids: list[int], window: CalendarWindow) -> int:
    """Rebuild every schedule at these places (their own and their offers') in one go.

    Reads and writes share one short transaction, so an edit saved meanwhile is either
    seen or made after, never overwritten by stale rows.
    """
    with transaction.atomic():
        return _rebuild_places(place_ids, window)


# Only what evaluation reads (the place's INSEE code and postcode give its holidays, its
# time zone too): whole place rows, descriptions included, cost more to load than to
# evaluate. The owner's ids too: a deferred one costs a query per schedule (owner_place).
_SCHEDULE_FIELDS = (
    "mode", "rules", "public_holidays", "holiday_times", "osm_source", "holiday_zone",
    "place_id", "offer_id",
)  # fmt: skip
_PLACE_FIELDS = ("insee_code", "postcode", "time_zone")


def _schedules_of(place_ids, exceptions_from: datetime.date) -> tuple[list, dict[int, list]]:
    """Every schedule at these places (their own and their offers'), with their owner's
    zone fields, and their exceptions ending on or after `exceptions_from`: three queries."""
    schedules = list(
        Schedule.objects.filter(place_id__in=place_ids)
        .select_related("place")
        .only(*_SCHEDULE_FIELDS, *(f"place__{f}" for f in _PLACE_FIELDS))
    ) + list(
        Schedule.objects.filter(offer__place_id__in=place_ids)
        .select_related("offer__place")
        .only(*_SCHEDULE_FIELDS, *(f"offer__place__{f}" for f in _PLACE_FIELDS))
    )
    exceptions: dict[int, list] = {}
    for exc in ScheduleException.objects.filter(
        schedule__in=[s.pk for s in schedules], end_date__gte=exceptions_from
    ):
        exceptions.setdefault(exc.schedule_id, []).append(exc)
    return schedules, exceptions


def _evaluation_key(schedule: Schedule, place, tz_name: str) -> tuple:
    """Everything interval_tuples reads of a schedule without exceptions and its place
    (ruleset_for: rules or OSM text, holidays, department, school zone; the time zone)."""
    return (
        schedule.mode,
        json.dumps(schedule.rules, sort_keys=True),
        schedule.public_holidays,
        tuple(schedule.holiday_times or ()),
        schedule.osm_source if schedule.mode == Schedule.Mode.OSM else "",
        department_of(place),
        school_zone(place, schedule.holiday_zone),
        tz_name,
    )


def _rebuild_places(place_ids: list[int], window: CalendarWindow) -> int:
    # A day earlier: places west of the site's zone start their days on the eve.
    schedules, exceptions = _schedules_of(place_ids, window.start - DAY)
    rows: list[Row] = []
    spans: dict[str, tuple[datetime.date, datetime.date]] = {}
    # Schedules that read the same (same rules or text, holidays, zone and time zone, no
    # exceptions) give the same rows but for their owner: each is evaluated once.
    evaluated: dict[tuple, list[tuple]] = {}
    for schedule in schedules:
        place = schedule.owner_place
        tz_name = place_zone_name(place)
        span = spans.get(tz_name)
        if span is None:
            span = spans[tz_name] = place_days(window.start, window.build_end, tz_name)
        own = exceptions.get(schedule.pk, [])
        key = None if own else _evaluation_key(schedule, place, tz_name)
        if key is not None and key in evaluated:
            place_id, offer_id = place.pk, schedule.offer_id
            rows += [(place_id, offer_id, *rest) for rest in evaluated[key]]
            continue
        made = interval_tuples(schedule, span[0], span[1], place=place, exceptions=own)
        if key is not None:
            evaluated[key] = [row[2:] for row in made]
        rows += made
    OpeningInterval.objects.filter(place_id__in=place_ids).delete()
    _insert_rows(rows)
    return len(rows)


# -- the nightly roll ----------------------------------------------------------------------


def _midnight(day: datetime.date, tz_name: str) -> datetime.datetime:
    return to_utc(datetime.datetime.combine(day, datetime.time()), zone(tz_name))


def roll_places(
    place_ids: list[int],
    old: tuple[datetime.date, datetime.date],
    new: tuple[datetime.date, datetime.date],
) -> int:
    """Move these places' rows from the window `old` to `new` (start, build end) in place.

    Rows before the new start go; the days after the old build end are materialised and
    added. Nothing in between is touched, so the rows a roll keeps are the rows a full
    rebuild would write (tests/scheduling/test_roll.py holds both to the same answer).
    Each place's days are its own (`place_days`). Reads and writes share one short
    transaction, as `rebuild_places` does. Returns the number of rows added.
    """
    with transaction.atomic():
        return _roll_places(place_ids, old, new)


def _roll_places(place_ids, old, new) -> int:
    zones: dict[str, list[int]] = {}
    for pk, *fields in Place.objects.filter(pk__in=place_ids).values_list("pk", *_PLACE_FIELDS):
        zone_of = Place(**dict(zip(_PLACE_FIELDS, fields, strict=True)))
        zones.setdefault(place_zone_name(zone_of), []).append(pk)
    tails: dict[str, tuple[datetime.date, datetime.date, datetime.datetime]] = {}
    for tz_name in zones:
        old_stop = place_days(old[0], old[1], tz_name)[1]
        new_first, new_stop = place_days(new[0], new[1], tz_name)
        first = max(old_stop, new_first)
        tails[tz_name] = (first, new_stop, _midnight(first, tz_name))
    earliest = min((first for first, _stop, _t in tails.values()), default=new[1])
    schedules, exceptions = _schedules_of(place_ids, earliest - 2 * DAY)
    rows: list[Row] = []
    for schedule in schedules:
        place = schedule.owner_place
        first, stop, since = tails[place_zone_name(place)]
        if stop <= first:
            continue
        # From the eve, so an evening running past midnight gives its after-midnight
        # piece to the first new day, as a rebuild over the whole window does; only rows
        # of the new days are kept (rows are cut at the place's midnights).
        rows += [
            row
            for row in interval_tuples(
                schedule,
                first - DAY,
                stop,
                place=place,
                exceptions=exceptions.get(schedule.pk, []),
            )
            if row[2] >= since
        ]
    for tz_name, ids in zones.items():
        new_first = place_days(new[0], new[1], tz_name)[0]
        scope = OpeningInterval.objects.filter(place_id__in=ids)
        scope.filter(start__lt=_midnight(new_first, tz_name)).delete()
        scope.filter(start__gte=tails[tz_name][2]).delete()
    _insert_rows(rows)
    return len(rows)
