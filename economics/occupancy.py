"""Occupancy of a place: offered and used capacity-hours, by space, week, month and hour.

Definitions (docs/economics.md):
- offered capacity-hours of a space = its capacity × the hours the place is open in the
  period (from the calendar: rules, public holidays and closures applied);
- used capacity-hours = the `hours_used` of the attendance rows of the space;
- occupancy rate = used ÷ offered; spare = offered − used.
- sharing: the hours each space is shared (its SharingOffer's times) and the hours booked
  by accepted requests (SpaceUse rows) in the period; booked ÷ shared is the sharing
  rate. Booked hours are planned uses: attendance still records what really happened.
Durations are measured in UTC, so a 25-hour autumn Sunday counts 25 hours.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from economics.availability import hour_pieces, hours, place_open_intervals, sharing_ruleset
from economics.indicators import ratio
from economics.models import Attendance, SharingOffer, SpaceUse
from places.models import Place
from places.timezones import place_zone
from scheduling.materialise import to_utc
from scheduling.rules import merge
from scheduling.school_holidays import SchoolCalendarNotCovered


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def _dec(value: float) -> Decimal:
    return Decimal(str(round(value, 2)))


@dataclass
class Bucket:
    key: str
    open_hours: Decimal = Decimal("0")
    offered: Decimal = Decimal("0")
    used: Decimal = Decimal("0")

    @property
    def rate(self) -> Decimal | None:
        return ratio(self.used, self.offered)

    @property
    def spare(self) -> Decimal:
        return max(self.offered - self.used, Decimal("0"))


@dataclass
class Sharing:
    """A shared space's hours in the period: shared (offer times) and booked (uses)."""

    space: object
    shared: Decimal = Decimal("0")
    booked: Decimal = Decimal("0")

    @property
    def rate(self) -> Decimal | None:
        return ratio(self.booked, self.shared)

    @property
    def free(self) -> Decimal:
        return max(self.shared - self.booked, Decimal("0"))


def sharing_hours(place: Place, first: datetime.date, stop: datetime.date) -> list[Sharing]:
    """Shared and booked hours of each shared space of a place over local days [first, stop).

    Two queries (offers with their spaces, uses); the offers' rules are evaluated here.
    """
    tz = place_zone(place)
    lo = to_utc(datetime.datetime.combine(first, datetime.time()), tz)
    hi = to_utc(datetime.datetime.combine(stop, datetime.time()), tz)
    offers = list(
        SharingOffer.objects.filter(space__place=place)
        .select_related("space")
        .order_by("space__name", "space_id")
    )
    booked: dict[int, float] = defaultdict(float)
    for space_id, s, e in SpaceUse.objects.filter(
        space__place=place, start__lt=hi, end__gt=lo
    ).values_list("space_id", "start", "end"):
        booked[space_id] += (min(e, hi) - max(s, lo)).total_seconds() / 3600
    out = []
    for offer in offers:
        try:
            local = sharing_ruleset(
                offer.rules, place, holidays_closed=offer.public_holidays_closed
            ).open_local(first, stop)
        except SchoolCalendarNotCovered:
            local = []
        shared = (
            hours(merge([(to_utc(a, tz), to_utc(b, tz)) for a, b in local]))
            if offer.active
            else 0.0
        )
        out.append(
            Sharing(
                space=offer.space, shared=_dec(shared), booked=_dec(booked.get(offer.space_id, 0))
            )
        )
    return out


@dataclass
class Report:
    first: datetime.date
    stop: datetime.date
    open_hours: Decimal
    capacity: int
    total: Bucket
    spaces: list[tuple[object, Bucket]] = field(default_factory=list)
    weeks: list[Bucket] = field(default_factory=list)
    months: list[Bucket] = field(default_factory=list)
    visits: int = 0
    uses: int = 0
    # 7 × 24 capacity-hours (Monday first, local hours)
    offered_grid: list[list[float]] = field(default_factory=list)
    used_grid: list[list[float]] = field(default_factory=list)
    sharing: list[Sharing] = field(default_factory=list)

    @property
    def shared_hours(self) -> Decimal:
        return sum((s.shared for s in self.sharing), Decimal("0"))

    @property
    def booked_hours(self) -> Decimal:
        return sum((s.booked for s in self.sharing), Decimal("0"))

    @property
    def sharing_rate(self) -> Decimal | None:
        return ratio(self.booked_hours, self.shared_hours)


def report(place: Place, first: datetime.date, stop: datetime.date, *, window=None) -> Report:
    """Occupancy of a place over local days [first, stop)."""
    intervals = place_open_intervals(place, first, stop, window=window)
    spaces = list(place.spaces.all())
    capacity = sum(s.capacity for s in spaces)
    offered = [[0.0] * 24 for _ in range(7)]
    used = [[0.0] * 24 for _ in range(7)]
    open_by_day: dict[datetime.date, list[tuple[int, float]]] = defaultdict(list)
    day_open: dict[datetime.date, float] = defaultdict(float)
    for weekday, hour, day, length in hour_pieces(intervals, place_zone(place)):
        offered[weekday][hour] += capacity * length
        open_by_day[day].append((hour, length))
        day_open[day] += length
    rows = list(
        Attendance.objects.filter(place=place, date__gte=first, date__lt=stop).order_by("date")
    )
    used_by_space: dict[int, Decimal] = defaultdict(Decimal)
    used_by_day: dict[datetime.date, Decimal] = defaultdict(Decimal)
    visits = uses = 0
    for row in rows:
        visits += row.visits
        uses += row.uses
        if row.space_id is None:
            continue
        used_by_space[row.space_id] += row.hours_used
        used_by_day[row.date] += row.hours_used
        if row.slot_start is not None:
            a = row.slot_start.hour + row.slot_start.minute / 60
            b = row.slot_end.hour + row.slot_end.minute / 60
            spread = [(h, min(b, h + 1) - max(a, h)) for h in range(int(a), 24) if h < b]
        else:
            spread = open_by_day.get(row.date, [])
        total = sum(length for _h, length in spread)
        for hour, length in spread:
            used[row.date.weekday()][hour] += float(row.hours_used) * length / total

    def bucket(key: str, days: list[datetime.date]) -> Bucket:
        open_h = sum(day_open.get(d, 0.0) for d in days)
        return Bucket(
            key=key,
            open_hours=_dec(open_h),
            offered=_dec(open_h * capacity),
            used=sum((used_by_day.get(d, Decimal("0")) for d in days), Decimal("0")),
        )

    all_days = [first + datetime.timedelta(days=i) for i in range((stop - first).days)]
    weeks: dict[str, list] = defaultdict(list)
    months: dict[str, list] = defaultdict(list)
    for day in all_days:
        iso = day.isocalendar()
        weeks[f"{iso.year}-W{iso.week:02d}"].append(day)
        months[f"{day:%Y-%m}"].append(day)
    open_hours = _dec(hours(intervals))
    return Report(
        first=first,
        stop=stop,
        open_hours=open_hours,
        capacity=capacity,
        total=bucket("total", all_days),
        spaces=[
            (
                s,
                Bucket(
                    key=str(s.pk),
                    open_hours=open_hours,
                    offered=open_hours * s.capacity,
                    used=used_by_space.get(s.pk, Decimal("0")),
                ),
            )
            for s in spaces
        ],
        weeks=[bucket(k, v) for k, v in weeks.items()],
        months=[bucket(k, v) for k, v in months.items()],
        visits=visits,
        uses=uses,
        offered_grid=offered,
        used_grid=used,
        sharing=sharing_hours(place, first, stop),
    )


def month_summary(place: Place, month: datetime.date) -> dict:
    """The stored form of one month (economics.models.OccupancyMonth)."""
    r = report(place, month, next_month(month))
    return {
        "offered_hours": r.total.offered,
        "used_hours": r.total.used,
        "open_hours": r.open_hours,
        "visits": r.visits,
        "uses": r.uses,
        "shared_hours": r.shared_hours,
        "booked_hours": r.booked_hours,
        "heat": {
            "offered": [[round(v, 3) for v in day] for day in r.offered_grid],
            "used": [[round(v, 3) for v in day] for day in r.used_grid],
        },
    }
