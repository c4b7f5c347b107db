"""Opening rules as structured data, and their evaluation.

Everything here works on the place's *local wall-clock time* (naive datetimes); only
`to_utc` crosses over to UTC, through zoneinfo, so daylight-saving changes are handled by
the time-zone database and never by hand.

A rule dict, as stored in `Schedule.rules` and accepted by the actions:

    {"kind": "weekly" | "every_n_weeks" | "nth_weekday" | "dates",
     "days": [0..6],                 # Monday = 0; required except for "dates"
     "times": ["09:00-12:00", "22:00-02:00"],   # an end before the start runs past midnight
     "interval": 2, "anchor": "2025-01-06",     # every_n_weeks
     "nth": [1, -1],                            # nth_weekday: 1st ... 5th, -1 = last
     "start_date": "2025-12-24", "end_date": "2025-12-31",   # dates
     "valid_from": "2025-04-01", "valid_to": "2025-10-31",   # optional, absolute
     "yearly_from": "04-01", "yearly_to": "10-31",           # optional, every year
     "season": "always" | "school_holidays" | "outside_school_holidays"}
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from scheduling.calendars import is_public_holiday, public_holiday_offsets
from scheduling.school_holidays import is_school_holiday

DAY = datetime.timedelta(days=1)
MINUTES_PER_DAY = 1440
WEEKDAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")

KINDS = ("weekly", "every_n_weeks", "nth_weekday", "dates")
SEASONS = ("always", "school_holidays", "outside_school_holidays")
HOLIDAY_BEHAVIOURS = ("closed", "open", "special")

_TIME_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")

Interval = tuple[datetime.datetime, datetime.datetime]
# Minutes from local midnight of the first day evaluated; see RuleSet.open_minutes.
MinuteInterval = tuple[int, int]
MINUTE = datetime.timedelta(minutes=1)


@dataclass(frozen=True)
class TimeRange:
    """Minutes from the start of the day; `end` may pass 1440 (the range runs overnight)."""

    start: int
    end: int

    @property
    def overnight(self) -> bool:
        return self.end > MINUTES_PER_DAY

    def __str__(self) -> str:
        end = self.end - MINUTES_PER_DAY if self.overnight else self.end
        return f"{_hhmm(self.start)}-{_hhmm(end)}"


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_time_range(value, *, allow_overnight: bool = True) -> TimeRange:
    """'09:00-12:00' (or a [start, end] pair) → TimeRange; ValueError with a readable text."""
    if isinstance(value, list | tuple) and len(value) == 2:
        value = f"{value[0]}-{value[1]}"
    match = _TIME_RANGE.match(str(value))
    if not match:
        raise ValueError(_("“%(value)s” is not a time range like 09:00-12:00.") % {"value": value})
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 48 or (h2 == 48 and m2):
        raise ValueError(_("“%(value)s” contains an impossible time.") % {"value": value})
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end == start:
        raise ValueError(_("“%(value)s” starts and ends at the same time.") % {"value": value})
    if end < start:
        if not allow_overnight:
            raise ValueError(_("“%(value)s” ends before it starts.") % {"value": value})
        # Written like OSM: 22:00-02:00 closes at 2 a.m. the next day.
        end += MINUTES_PER_DAY
    if end - start > MINUTES_PER_DAY:
        raise ValueError(_("“%(value)s” lasts more than 24 hours.") % {"value": value})
    if end > MINUTES_PER_DAY and not allow_overnight:
        raise ValueError(_("“%(value)s” runs past midnight.") % {"value": value})
    return TimeRange(start, end)


def _date(value) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


@dataclass(frozen=True)
class Rule:
    kind: str
    times: tuple[TimeRange, ...]
    days: tuple[int, ...] = ()
    interval: int = 1
    anchor: datetime.date | None = None
    nth: tuple[int, ...] = ()
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None
    yearly_from: tuple[int, int] | None = None
    yearly_to: tuple[int, int] | None = None
    season: str = "always"

    # -- conditions ------------------------------------------------------------------------
    def in_validity(self, day: datetime.date) -> bool:
        if self.valid_from and day < self.valid_from:
            return False
        if self.valid_to and day > self.valid_to:
            return False
        if self.yearly_from and self.yearly_to:
            md = (day.month, day.day)
            if self.yearly_from <= self.yearly_to:
                return self.yearly_from <= md <= self.yearly_to
            return md >= self.yearly_from or md <= self.yearly_to  # wraps over New Year
        return True

    def matches_pattern(self, day: datetime.date) -> bool:
        weekday = day.weekday()
        if self.kind == "dates":
            if not (self.start_date <= day <= (self.end_date or self.start_date)):
                return False
            return not self.days or weekday in self.days
        if weekday not in self.days:
            return False
        if self.kind == "weekly":
            return True
        if self.kind == "every_n_weeks":
            week0 = self.anchor - datetime.timedelta(days=self.anchor.weekday())
            weeks = (day - datetime.timedelta(days=weekday) - week0).days // 7
            return weeks >= 0 and weeks % self.interval == 0
        # nth_weekday: from the start (1, 2, ...) and from the end (-1, -2, ...) of the month
        last = calendar.monthrange(day.year, day.month)[1]
        return (day.day - 1) // 7 + 1 in self.nth or -((last - day.day) // 7 + 1) in self.nth

    def applies(self, day: datetime.date, zone: str | None) -> bool:
        if not (self.in_validity(day) and self.matches_pattern(day)):
            return False
        if self.season == "always":
            return True
        holiday = is_school_holiday(day, zone or "")
        return holiday if self.season == "school_holidays" else not holiday

    # -- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        data: dict = {"kind": self.kind, "times": [str(t) for t in self.times]}
        if self.days:
            data["days"] = list(self.days)
        if self.kind == "every_n_weeks":
            data["interval"] = self.interval
            data["anchor"] = self.anchor.isoformat()
        if self.kind == "nth_weekday":
            data["nth"] = list(self.nth)
        if self.kind == "dates":
            data["start_date"] = self.start_date.isoformat()
            data["end_date"] = (self.end_date or self.start_date).isoformat()
        if self.valid_from:
            data["valid_from"] = self.valid_from.isoformat()
        if self.valid_to:
            data["valid_to"] = self.valid_to.isoformat()
        if self.yearly_from:
            data["yearly_from"] = "{:02d}-{:02d}".format(*self.yearly_from)
            data["yearly_to"] = "{:02d}-{:02d}".format(*self.yearly_to)
        if self.season != "always":
            data["season"] = self.season
        return data

    def week_minutes(self) -> list[tuple[int, int]]:
        """The rule's ranges laid on a week of minutes, to spot overlaps."""
        days = self.days or tuple(range(7))
        return [
            (d * MINUTES_PER_DAY + t.start, d * MINUTES_PER_DAY + t.end)
            for d in days
            for t in self.times
        ]


def _month_day(value, field_name: str, errors: dict, key: str) -> tuple[int, int] | None:
    if value in (None, ""):
        return None
    match = _MONTH_DAY.match(str(value))
    if match:
        month, day = int(match.group(1)), int(match.group(2))
        # 2000 is a leap year, so 02-29 is accepted.
        try:
            datetime.date(2000, month, day)
            return month, day
        except ValueError:
            pass
    errors.setdefault(f"{key}.{field_name}", []).append(
        _("“%(value)s” is not a month and day like 04-01.") % {"value": value}
    )
    return None


def rule_from_dict(data: dict, index: int = 0) -> Rule:
    """Validate one rule dict; ValidationError keyed by `rules[i].field`."""
    key = f"rules[{index}]"
    errors: dict[str, list] = {}

    def err(field_name: str, message: str) -> None:
        errors.setdefault(f"{key}.{field_name}", []).append(message)

    if not isinstance(data, dict):
        raise ValidationError({key: [_("A rule must be an object.")]})
    unknown = set(data) - {
        "kind", "days", "times", "interval", "anchor", "nth", "start_date", "end_date",
        "valid_from", "valid_to", "yearly_from", "yearly_to", "season",
    }  # fmt: skip
    if unknown:
        err("kind", _("Unknown rule fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    kind = data.get("kind", "weekly")
    if kind not in KINDS:
        err("kind", _("Unknown rule kind “%(kind)s”.") % {"kind": kind})
    days_raw = data.get("days") or []
    days: tuple[int, ...] = ()
    if not isinstance(days_raw, list | tuple) or not all(
        isinstance(d, int) and 0 <= d <= 6 for d in days_raw
    ):
        err("days", _("Days are numbers from 0 (Monday) to 6 (Sunday)."))
    else:
        days = tuple(sorted(set(days_raw)))
    if kind != "dates" and not days:
        err("days", _("Choose at least one day for this rule."))
    times: list[TimeRange] = []
    raw_times = data.get("times") or []
    if not raw_times:
        err("times", _("Give at least one time range, e.g. 09:00-12:00."))
    for raw in raw_times:
        try:
            times.append(parse_time_range(raw))
        except ValueError as exc:
            err("times", str(exc))
    dates: dict[str, datetime.date | None] = {}
    for name in ("anchor", "start_date", "end_date", "valid_from", "valid_to"):
        try:
            dates[name] = _date(data.get(name))
        except ValueError:
            err(name, _("“%(value)s” is not a date like 2025-04-01.") % {"value": data.get(name)})
            dates[name] = None
    interval = data.get("interval", 1)
    if kind == "every_n_weeks":
        if not isinstance(interval, int) or not 1 <= interval <= 52:
            err("interval", _("The interval is a number of weeks between 1 and 52."))
            interval = 1
        if dates["anchor"] is None:
            err("anchor", _("Give the date of a first occurrence (the anchor)."))
    else:
        interval = 1
    nth: tuple[int, ...] = ()
    if kind == "nth_weekday":
        raw_nth = data.get("nth") or []
        if not raw_nth or not all(isinstance(n, int) and 1 <= abs(n) <= 5 for n in raw_nth):
            err("nth", _("Say which occurrences in the month: 1 to 5, or -1 for the last."))
        else:
            nth = tuple(sorted(set(raw_nth)))
    if kind == "dates" and dates["start_date"] is None:
        err("start_date", _("Give the date (or the first date) of this rule."))
    if dates["start_date"] and dates["end_date"] and dates["end_date"] < dates["start_date"]:
        err("end_date", _("The end date is before the start date."))
    if dates["valid_from"] and dates["valid_to"] and dates["valid_to"] < dates["valid_from"]:
        err("valid_to", _("The end of validity is before its start."))
    yearly_from = _month_day(data.get("yearly_from"), "yearly_from", errors, key)
    yearly_to = _month_day(data.get("yearly_to"), "yearly_to", errors, key)
    if bool(data.get("yearly_from")) != bool(data.get("yearly_to")):
        err("yearly_to", _("Give both ends of the yearly period, e.g. 04-01 and 10-31."))
    season = data.get("season", "always") or "always"
    if season not in SEASONS:
        err("season", _("Unknown season “%(s)s”.") % {"s": season})
    if errors:
        raise ValidationError(errors)
    rule = Rule(
        kind=kind,
        times=tuple(sorted(times, key=lambda t: t.start)),
        days=days,
        interval=interval,
        anchor=dates["anchor"],
        nth=nth,
        start_date=dates["start_date"],
        end_date=dates["end_date"] or dates["start_date"],
        valid_from=dates["valid_from"],
        valid_to=dates["valid_to"],
        yearly_from=yearly_from,
        yearly_to=yearly_to,
        season=season,
    )
    _check_overlaps(rule.week_minutes(), f"{key}.times")
    return rule


def _check_overlaps(ranges: list[tuple[int, int]], key: str) -> None:
    week = 7 * MINUTES_PER_DAY
    # An overnight range on Sunday continues on Monday: unfold the week's end onto its start.
    pieces = []
    for start, end in ranges:
        if end > week:
            pieces += [(start, week), (0, end - week)]
        else:
            pieces.append((start, end))
    pieces.sort()
    reach = -1
    for s2, e2 in pieces:
        if s2 < reach:
            day = WEEKDAY_CODES[(s2 // MINUTES_PER_DAY) % 7]
            raise ValidationError(
                {
                    key: [
                        _("Time ranges overlap on %(day)s around %(time)s.")
                        % {"day": day, "time": _hhmm(s2 % MINUTES_PER_DAY)}
                    ]
                }
            )
        reach = max(reach, e2)


def rules_from_data(rules: Sequence[dict]) -> list[Rule]:
    """Validate a list of rule dicts, gathering every rule's errors."""
    if not isinstance(rules, list | tuple):
        raise ValidationError({"rules": [_("Rules must be a list.")]})
    parsed, errors = [], {}
    for index, data in enumerate(rules):
        try:
            parsed.append(rule_from_dict(data, index))
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return parsed


@dataclass(frozen=True)
class ExceptionSpec:
    """A dated exception: closure (one continuous period), extra opening or event (daily)."""

    kind: str  # "closure" | "extra_opening" | "event"
    start_date: datetime.date
    end_date: datetime.date
    start_time: datetime.time | None = None
    end_time: datetime.time | None = None
    title: str = ""

    def local_intervals(self) -> list[Interval]:
        if self.kind == "closure":
            start = datetime.datetime.combine(self.start_date, self.start_time or datetime.time())
            if self.end_time is None:
                end = datetime.datetime.combine(self.end_date + DAY, datetime.time())
            else:
                end = datetime.datetime.combine(self.end_date, self.end_time)
            return [(start, end)]
        out, day = [], self.start_date
        while day <= self.end_date:
            if self.start_time is None:
                out.append((_at(day, 0), _at(day + DAY, 0)))
            else:
                out.append(
                    (
                        datetime.datetime.combine(day, self.start_time),
                        datetime.datetime.combine(day, self.end_time),
                    )
                )
            day += DAY
        return out


def _at(day: datetime.date, minutes: int) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day) + datetime.timedelta(minutes=minutes)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union; touching intervals are joined."""
    out: list[list[datetime.datetime]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def subtract(intervals: list[Interval], holes: Iterable[Interval]) -> list[Interval]:
    holes = merge(holes)
    out = []
    for start, end in intervals:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            next_pieces = []
            for s, e in pieces:
                if h_end <= s or h_start >= e:
                    next_pieces.append((s, e))
                    continue
                if s < h_start:
                    next_pieces.append((s, h_start))
                if h_end < e:
                    next_pieces.append((h_end, e))
            pieces = next_pieces
        out += pieces
    return out


def clip(intervals: Iterable[Interval], start: datetime.datetime, end: datetime.datetime):
    return [(max(s, start), min(e, end)) for s, e in intervals if s < end and e > start]


@lru_cache(maxsize=8192)
def rule_days(rule: Rule, first: datetime.date, count: int, zone: str | None) -> tuple[int, ...]:
    """Offsets from `first` of the days, among `count` days, on which `rule` applies.

    Rules are immutable and the answer depends only on the calendar, so it is shared by
    every schedule using the same rule: a city's schedules repeat a few patterns
    ("Mo-Fr 09:00-12:00") many times over. Only days of the rule's weekdays (or inside its
    date range) are examined, with the same `applies` test as a day-by-day reading.
    """
    if rule.kind == "dates":
        lo = max(0, (rule.start_date - first).days)
        hi = min(count - 1, ((rule.end_date or rule.start_date) - first).days)
        candidates: Iterable[int] = range(lo, hi + 1)
    else:
        weekday0 = first.weekday()
        candidates = sorted(k for d in rule.days for k in range((d - weekday0) % 7, count, 7))
        plain = not (rule.valid_from or rule.valid_to or rule.yearly_from)
        if rule.kind == "weekly" and plain and rule.season == "always":
            return tuple(candidates)  # the weekday is the whole condition
    return tuple(k for k in candidates if rule.applies(first + datetime.timedelta(days=k), zone))


@dataclass
class RuleSet:
    """Everything needed to evaluate a schedule in local time."""

    rules: list[Rule]
    public_holidays: str = "closed"
    holiday_times: tuple[TimeRange, ...] = ()
    department: str | None = None
    zone: str | None = None
    exceptions: list[ExceptionSpec] = field(default_factory=list)
    # Alternative source of base ranges (an OSM string evaluated by the library).
    base: Callable[[datetime.datetime, datetime.datetime], list[Interval]] | None = None

    def is_holiday(self, day: datetime.date) -> bool:
        return is_public_holiday(day, self.department)

    def rule_ranges(self, day: datetime.date) -> list[Interval]:
        """Ranges that start on `day` according to the rules alone."""
        out = []
        for rule in self.rules:
            if rule.applies(day, self.zone):
                out += [(_at(day, t.start), _at(day, t.end)) for t in rule.times]
        return out

    # -- evaluation ------------------------------------------------------------------------
    # The fast path works on integer minutes from local midnight of `first`: a rule's days
    # come from `rule_days` (shared across schedules), public holidays from one set per
    # department, and the interval algebra (merge, subtract, clip) is the same code run on
    # ints instead of naive datetimes, which maps one-to-one onto wall-clock minutes. The
    # day-by-day datetime reading (`_base_open_daily`, `_open_local_daily`) remains for
    # OSM-text schedules and exceptions with seconds, and as the reference in tests.

    def minute_exact(self) -> bool:
        """Whether every boundary falls on a whole minute (so the fast path applies)."""
        if self.base is not None:
            return False
        for spec in self.exceptions:
            for value in (spec.start_time, spec.end_time):
                if value is not None and (value.second or value.microsecond):
                    return False
        return True

    def base_minutes(self, first: datetime.date, stop: datetime.date) -> list[MinuteInterval]:
        """`base_open` in minutes from local midnight of `first` (rules schedules only)."""
        count = (stop - first).days
        if count < 0:
            return []
        ranges: list[MinuteInterval] = []
        # Offsets count from the evening before (offset 0), whose night may run past
        # midnight into `first`.
        for rule in self.rules:
            times = [(t.start - MINUTES_PER_DAY, t.end - MINUTES_PER_DAY) for t in rule.times]
            for k in rule_days(rule, first - DAY, count + 1, self.zone):
                base = k * MINUTES_PER_DAY
                ranges += [(base + s, base + e) for s, e in times]
        if self.public_holidays != "open":
            holes, extra = [], []
            for k in public_holiday_offsets(self.department, first, count):
                base = k * MINUTES_PER_DAY
                holes.append((base, base + MINUTES_PER_DAY))
                if self.public_holidays == "special":
                    extra += [(base + t.start, base + t.end) for t in self.holiday_times]
            ranges = subtract(merge(ranges), holes) + extra
        return clip(merge(ranges), 0, count * MINUTES_PER_DAY)

    def open_minutes(self, first: datetime.date, stop: datetime.date) -> list[MinuteInterval]:
        """`open_local` in minutes from local midnight of `first`; needs `minute_exact()`."""
        origin = _at(first, 0)
        count = max((stop - first).days, 0)

        def minutes(intervals: list[Interval]) -> list[MinuteInterval]:
            return [((s - origin) // MINUTE, (e - origin) // MINUTE) for s, e in intervals]

        opened = self.base_minutes(first, stop)
        closures = [i for e in self.exceptions if e.kind == "closure" for i in e.local_intervals()]
        extras = [
            i for e in self.exceptions if e.kind == "extra_opening" for i in e.local_intervals()
        ]
        if closures or extras:
            opened = subtract(opened, minutes(closures)) + minutes(extras)
        return clip(merge(opened), 0, count * MINUTES_PER_DAY)

    def base_open(self, first: datetime.date, stop: datetime.date) -> list[Interval]:
        """Opening from rules and public holidays on local days [first, stop)."""
        if self.base is not None:
            return self._base_open_daily(first, stop)
        origin = _at(first, 0)
        return [
            (origin + s * MINUTE, origin + e * MINUTE) for s, e in self.base_minutes(first, stop)
        ]

    def open_local(self, first: datetime.date, stop: datetime.date) -> list[Interval]:
        """Final opening on local days [first, stop): rules, holidays, then exceptions."""
        if not self.minute_exact():
            return self._open_local_daily(first, stop)
        origin = _at(first, 0)
        return [
            (origin + s * MINUTE, origin + e * MINUTE) for s, e in self.open_minutes(first, stop)
        ]

    def _base_open_daily(self, first: datetime.date, stop: datetime.date) -> list[Interval]:
        """Reference reading of `base_open`, one local day at a time."""
        lo, hi = _at(first, 0), _at(stop, 0)
        if self.base is not None:
            return merge(self.base(lo, hi))
        ranges = []
        day = first - DAY  # the evening before may run past midnight
        while day < stop:
            ranges += self.rule_ranges(day)
            day += DAY
        if self.public_holidays != "open":
            holes, extra = [], []
            day = first
            while day < stop:
                if self.is_holiday(day):
                    holes.append((_at(day, 0), _at(day + DAY, 0)))
                    if self.public_holidays == "special":
                        extra += [(_at(day, t.start), _at(day, t.end)) for t in self.holiday_times]
                day += DAY
            ranges = subtract(merge(ranges), holes) + extra
        return clip(merge(ranges), lo, hi)

    def _open_local_daily(self, first: datetime.date, stop: datetime.date) -> list[Interval]:
        """Reference reading of `open_local`, one local day at a time."""
        lo, hi = _at(first, 0), _at(stop, 0)
        opened = self._base_open_daily(first, stop)
        closures = [i for e in self.exceptions if e.kind == "closure" for i in e.local_intervals()]
        extras = [
            i for e in self.exceptions if e.kind == "extra_opening" for i in e.local_intervals()
        ]
        opened = subtract(opened, closures) + extras
        return clip(merge(opened), lo, hi)
