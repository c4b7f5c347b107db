"""From schedules to OpeningInterval rows, over the calendar window."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from scheduling.calendars import department_of, school_zone
from scheduling.models import CalendarWindow, OpeningInterval, Schedule, ScheduleException
from scheduling.osm import library_ranges
from scheduling.rules import (
    DAY,
    ExceptionSpec,
    Interval,
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


def ruleset_for(schedule: Schedule, place=None, exceptions=None) -> RuleSet:
    """The evaluable form of a schedule (place needed for holidays and school zone)."""
    place = place or schedule.owner_place
    if exceptions is None:
        exceptions = list(schedule.exceptions.all())
    ruleset = RuleSet(
        rules=rules_from_data(schedule.rules) if schedule.mode == Schedule.Mode.RULES else [],
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


def _split_days(intervals: list[Interval]) -> list[Interval]:
    out = []
    for start, end in intervals:
        while start < end:
            midnight = datetime.datetime.combine(start.date() + DAY, datetime.time())
            out.append((start, min(end, midnight)))
            start = midnight
    return out


def interval_rows(
    schedule: Schedule,
    first: datetime.date,
    stop: datetime.date,
    *,
    place=None,
    exceptions=None,
) -> list[OpeningInterval]:
    """Unsaved rows for one schedule over local days [first, stop)."""
    place = place or schedule.owner_place
    ruleset = ruleset_for(schedule, place, exceptions)
    tz = local_zone()
    lo = datetime.datetime.combine(first, datetime.time())
    hi = datetime.datetime.combine(stop, datetime.time())
    common = {"place_id": place.pk, "offer_id": schedule.offer_id}
    rows = [
        OpeningInterval(start=to_utc(s, tz), end=to_utc(e, tz), kind="open", **common)
        for s, e in _split_days(ruleset.open_local(first, stop))
    ]
    for spec in ruleset.exceptions:
        if spec.kind == "extra_opening":
            continue
        kind = "event" if spec.kind == "event" else "closed"
        pieces = spec.local_intervals() if kind == "event" else merge(spec.local_intervals())
        for s, e in _split_days(clip(pieces, lo, hi)):
            rows.append(
                OpeningInterval(
                    start=to_utc(s, tz),
                    end=to_utc(e, tz),
                    kind=kind,
                    comment=spec.title[:200],
                    **common,
                )
            )
    return [r for r in rows if r.end > r.start]


def rebuild_schedule(schedule: Schedule, window: CalendarWindow | None = None) -> int:
    """Replace one schedule's rows (place hours or one offer) over the build window."""
    window = window or current_window()
    place = schedule.owner_place
    scope = OpeningInterval.objects.filter(place_id=place.pk)
    scope = (
        scope.filter(offer_id=schedule.offer_id)
        if schedule.offer_id
        else scope.filter(offer__isnull=True)
    )
    scope.delete()
    rows = interval_rows(schedule, window.start, window.build_end, place=place)
    OpeningInterval.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def clear_scope(*, place, offer=None) -> None:
    scope = OpeningInterval.objects.filter(place_id=place.pk)
    if offer is not None:
        scope.filter(offer_id=offer.pk).delete()
    else:
        scope.filter(offer__isnull=True).delete()


def rebuild_places(place_ids: list[int], window: CalendarWindow) -> int:
    """Rebuild every schedule at these places (their own and their offers') in one go.

    Reads and writes share one short transaction, so an edit saved meanwhile is either
    seen or made after, never overwritten by stale rows.
    """
    with transaction.atomic():
        return _rebuild_places(place_ids, window)


def _rebuild_places(place_ids: list[int], window: CalendarWindow) -> int:
    schedules = list(
        Schedule.objects.filter(place_id__in=place_ids).select_related("place")
    ) + list(Schedule.objects.filter(offer__place_id__in=place_ids).select_related("offer__place"))
    exceptions: dict[int, list] = {}
    for exc in ScheduleException.objects.filter(
        schedule__in=[s.pk for s in schedules], end_date__gte=window.start
    ):
        exceptions.setdefault(exc.schedule_id, []).append(exc)
    rows: list[OpeningInterval] = []
    for schedule in schedules:
        rows += interval_rows(
            schedule,
            window.start,
            window.build_end,
            place=schedule.owner_place,
            exceptions=exceptions.get(schedule.pk, []),
        )
    OpeningInterval.objects.filter(place_id__in=place_ids).delete()
    OpeningInterval.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
