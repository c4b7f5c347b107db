"""Coverage that counts people and hours: how far each commune is from the nearest place
offering something at a given time of week (decision 0031, docs/territory.md).

A *condition* is a subject (a service kind, a profile or a typology) and a time condition.
Each time condition is a set of instants sampled in the materialised calendar: a place
covers the condition when it offers the subject at one of them at least (see INSTANTS).

The cost is one query for the candidate places of a condition (their points), one for the
communes, then a nearest-neighbour search per commune in Python over a grid of cells of
CELL_DEGREES: no query per commune, whatever their number.
"""

from __future__ import annotations

import datetime
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import opening_hours
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from places.geo import haversine_km
from places.models import Place
from places.timezones import DEPARTMENT_ZONES
from scheduling.materialise import current_window, local_zone, to_utc
from scheduling.models import CalendarWindow
from scheduling.school_holidays import SchoolCalendarNotCovered, is_school_holiday
from scheduling.school_holidays import zone_for_department as school_zone_for
from scheduling.selectors import AvailableAt, open_places
from services.models import ServiceKind, ServiceOffer
from services.selectors import available_offers

PROFILES = ("mediation", "work", "creation")
BANDS_KM = (5, 10, 20)
# Nearest places farther than this are not looked for: the commune is "over MAX_KM".
MAX_KM = 100.0
CELL_DEGREES = 0.2
# Where a department has no school zone (Corsica, overseas), zone C's dates are used.
DEFAULT_SCHOOL_ZONE = "C"


class ConditionError(ValueError):
    """A condition that cannot be computed (unknown subject, no instant in the calendar)."""


# ------------------------------------------------------------------------- conditions

TIME_CONDITIONS = {
    "any": gettext_lazy("at any time"),
    "weekdays": gettext_lazy("on weekdays"),
    "evenings": gettext_lazy("in the evening after 18:00"),
    "saturday_morning": gettext_lazy("on Saturday morning"),
    "school_holidays": gettext_lazy("during school holidays"),
}
# The sampled local times of each time condition (documented in docs/territory.md).
WEEKDAY_TIMES = (datetime.time(10), datetime.time(15))
EVENING_TIMES = (datetime.time(18, 30), datetime.time(19, 30))
SATURDAY_TIMES = (datetime.time(9), datetime.time(10), datetime.time(11))
SCHOOL_HOLIDAY_DAYS = 5


@dataclass(frozen=True)
class Subject:
    """What a place must offer: `kind` is "kind", "profile" or "typology"."""

    kind: str
    code: str

    @classmethod
    def parse(cls, value: str) -> Subject:
        kind, _sep, code = (value or "").partition(":")
        if kind not in ("kind", "profile", "typology") or not code:
            raise ConditionError(_("Choose a service kind, a profile or a typology."))
        if kind == "profile" and code not in PROFILES:
            raise ConditionError(_("Unknown profile “%(code)s”.") % {"code": code})
        return cls(kind, code)

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.code}"


def reference_day(window: CalendarWindow | None = None) -> datetime.date:
    """The first day the time conditions look at: today, or the window's first day."""
    window = window or current_window()
    return min(max(datetime.date.today(), window.start), window.end - datetime.timedelta(days=1))


def instants(
    time: str,
    *,
    on: datetime.date | None = None,
    department: str = "",
    window: CalendarWindow | None = None,
) -> list[datetime.datetime]:
    """The aware UTC instants sampled for a time condition, from the day `on` on.

    "any" has none (no time filter). Weekdays: the next five weekdays at 10:00 and 15:00;
    evenings: the next seven days at 18:30 and 19:30; Saturday morning: the next Saturday
    at 9:00, 10:00 and 11:00; school holidays: the first five weekdays of the department's
    school holidays at 10:00 and 15:00. Wall-clock times of the department's zone (an
    overseas one's own, else the site's). Instants outside the materialised calendar are
    left out; none left is a ConditionError.
    """
    if time not in TIME_CONDITIONS:
        raise ConditionError(_("Choose a time condition."))
    if time == "any":
        return []
    window = window or current_window()
    day = on or reference_day(window)
    days: list[datetime.date] = []
    times: Sequence[datetime.time] = WEEKDAY_TIMES
    if time == "weekdays":
        days = [d for d in _days(day, 7) if d.weekday() < 5]
    elif time == "evenings":
        days, times = _days(day, 7), EVENING_TIMES
    elif time == "saturday_morning":
        days, times = [day + datetime.timedelta(days=(5 - day.weekday()) % 7)], SATURDAY_TIMES
    elif time == "school_holidays":
        zone = school_zone_for(department) or DEFAULT_SCHOOL_ZONE
        for candidate in _days(day, (window.end - day).days):
            try:
                if candidate.weekday() < 5 and is_school_holiday(candidate, zone):
                    days.append(candidate)
            except SchoolCalendarNotCovered:
                break
            if len(days) == SCHOOL_HOLIDAY_DAYS:
                break
    # Wall-clock times of the department's own zone (overseas), else the site's.
    tz = (
        zoneinfo.ZoneInfo(DEPARTMENT_ZONES[department])
        if department in DEPARTMENT_ZONES
        else local_zone()
    )
    site = local_zone()
    lo = to_utc(datetime.datetime.combine(window.start, datetime.time()), site)
    hi = to_utc(datetime.datetime.combine(window.end, datetime.time()), site)
    found = [
        moment
        for d in days
        for t in times
        if lo <= (moment := to_utc(datetime.datetime.combine(d, t), tz)) < hi
    ]
    if not found:
        raise ConditionError(
            _(
                "The opening calendar (%(start)s to %(end)s) holds no moment %(time)s: "
                "choose another time condition."
            )
            % {
                "start": window.start.isoformat(),
                "end": window.end.isoformat(),
                "time": TIME_CONDITIONS[time],
            }
        )
    return found


def _days(first: datetime.date, count: int) -> list[datetime.date]:
    return [first + datetime.timedelta(days=n) for n in range(max(count, 0))]


def candidate_places(subject: Subject, at: list[datetime.datetime]) -> list[tuple]:
    """(latitude, longitude, place id, place name) of the published, located places that
    offer `subject` at one of the instants `at` (at all when `at` is empty). One query."""
    places = Place.objects.filter(status=Place.Status.PUBLISHED, latitude__isnull=False)
    if subject.kind == "kind":
        offers = available_offers(ServiceOffer.objects.filter(kind__slug=subject.code))
        if at:
            available = Q()
            for moment in at:
                available |= Q(AvailableAt(moment))
            offers = offers.filter(available)
        places = places.filter(pk__in=offers.values("place_id"))
    else:
        if subject.kind == "profile":
            places = places.filter(**{f"{subject.code}__isnull": False})
        else:
            places = places.filter(typologies__code=subject.code)
        if at:
            open_then = Q()
            for moment in at:
                open_then |= Q(pk__in=open_places(moment).values("pk"))
            places = places.filter(open_then)
    rows = places.order_by("pk").distinct().values_list("latitude", "longitude", "pk", "name")
    return [(float(lat), float(lon), pk, name) for lat, lon, pk, name in rows]


def hours_open_at(hours: str, at: list[datetime.datetime], department: str = "") -> bool:
    """Whether OSM weekly `hours` are open at one of the instants (any hours for "any"),
    read on the department's clock."""
    parsed = opening_hours.OpeningHours(hours)
    if not at:
        return True
    tz = (
        zoneinfo.ZoneInfo(DEPARTMENT_ZONES[department])
        if department in DEPARTMENT_ZONES
        else local_zone()
    )
    return any(parsed.is_open(moment.astimezone(tz).replace(tzinfo=None)) for moment in at)


# --------------------------------------------------------------------- nearest place


class NearestIndex:
    """Points bucketed in cells of CELL_DEGREES; nearest point of a commune up to MAX_KM.

    The search visits rings of cells around the commune's cell, nearest first, and stops
    as soon as the best distance found is shorter than anything the next ring may hold.
    """

    def __init__(self, points: Iterable[tuple[float, float, object]]):
        self.cells: dict[tuple[int, int], list[tuple[float, float, object]]] = defaultdict(list)
        for lat, lon, key in points:
            self.cells[(math.floor(lat / CELL_DEGREES), math.floor(lon / CELL_DEGREES))].append(
                (lat, lon, key)
            )

    def nearest(self, lat: float, lon: float, max_km: float = MAX_KM):
        """(km, key) of the nearest point within `max_km`, or None."""
        if not self.cells:
            return None
        ci, cj = math.floor(lat / CELL_DEGREES), math.floor(lon / CELL_DEGREES)
        # The shortest km a cell step can be, around this latitude (longitude shrinks).
        step_km = CELL_DEGREES * 111.19 * max(math.cos(math.radians(min(abs(lat) + 3, 89.9))), 0.01)
        rings = math.ceil(max_km / step_km) + 1
        best = None
        cells = self.cells
        for ring in range(rings + 1):
            if best is not None and best[0] <= (ring - 1) * step_km:
                break
            for i, j in _ring(ci, cj, ring):
                for plat, plon, key in cells.get((i, j), ()):
                    d = haversine_km(lat, lon, plat, plon)
                    if best is None or d < best[0]:
                        best = (d, key)
        if best is None or best[0] > max_km:
            return None
        return best


def _ring(ci: int, cj: int, r: int):
    if r == 0:
        yield ci, cj
        return
    for j in range(cj - r, cj + r + 1):
        yield ci - r, j
        yield ci + r, j
    for i in range(ci - r + 1, ci + r):
        yield i, cj - r
        yield i, cj + r


# -------------------------------------------------------------------------- coverage


@dataclass
class CommuneCoverage:
    insee_code: str
    name: str
    department: str
    population: int
    latitude: float
    longitude: float
    distance_km: float | None  # None: no place within MAX_KM
    nearest: str = ""  # the nearest place's name

    def beyond(self, km: float) -> bool:
        return self.distance_km is None or self.distance_km > km


@dataclass
class Coverage:
    rows: list[CommuneCoverage]
    radius_km: float
    places: int
    instants: list[datetime.datetime] = field(default_factory=list)
    # The ids of the places (and hypotheses) that count for the condition.
    place_keys: frozenset = frozenset()

    @property
    def population(self) -> int:
        return sum(r.population for r in self.rows)

    def population_beyond(self, km: float) -> int:
        return sum(r.population for r in self.rows if r.beyond(km))

    def communes_beyond(self, km: float) -> int:
        return sum(1 for r in self.rows if r.beyond(km))

    @property
    def bands(self) -> list[tuple[float, int, int]]:
        """(km, residents beyond, communes beyond) for 5, 10, 20 km and the radius."""
        kms = sorted({*BANDS_KM, self.radius_km})
        return [(km, self.population_beyond(km), self.communes_beyond(km)) for km in kms]

    def worst_served(self, limit: int | None = 50) -> list[CommuneCoverage]:
        """Communes beyond the radius, most residents first."""
        far = [r for r in self.rows if r.beyond(self.radius_km)]
        far.sort(key=lambda r: (-r.population, r.insee_code))
        return far if limit is None else far[:limit]


def compute(
    communes: Iterable[tuple],
    points: Iterable[tuple[float, float, object, str]],
    *,
    radius_km: float,
    progress: Callable[[int], object] | None = None,
) -> Coverage:
    """The nearest point of each commune. `communes` are (insee code, name, department,
    population, latitude, longitude); `points` (latitude, longitude, key, name)."""
    points = list(points)
    names = {key: name for _lat, _lon, key, name in points}
    index = NearestIndex((lat, lon, key) for lat, lon, key, _name in points)
    rows = []
    for n, (code, name, department, population, lat, lon) in enumerate(communes, 1):
        found = index.nearest(lat, lon)
        rows.append(
            CommuneCoverage(
                insee_code=code,
                name=name,
                department=department,
                population=population,
                latitude=lat,
                longitude=lon,
                distance_km=round(found[0], 2) if found else None,
                nearest=names[found[1]] if found else "",
            )
        )
        if progress is not None and n % 500 == 0:
            progress(500)
    if progress is not None and len(rows) % 500:
        progress(len(rows) % 500)
    return Coverage(
        rows=rows,
        radius_km=radius_km,
        places=len(points),
        place_keys=frozenset(key for _lat, _lon, key, _name in points),
    )


def subject_label(subject: Subject) -> str:
    if subject.kind == "kind":
        kind = ServiceKind.objects.filter(slug=subject.code).first()
        return str(kind) if kind else subject.code
    if subject.kind == "profile":
        return str(dict(ServiceKind.Profile.choices).get(subject.code, subject.code))
    from places.models import Typology

    return str(dict(Typology.Code.choices).get(subject.code, subject.code))
