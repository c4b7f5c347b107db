"""French school holidays (zones A, B, C of metropolitan France), from the ministry's calendar.

The `holidays` package can list French school holidays, but it derives them from a rotation
formula rather than from the published decrees, and adds the Ascension bridge; a resident
checking "closed during school holidays" against the official calendar must find the same
days. So the published dates are kept here, one school year per block, and any date outside
the table raises `SchoolCalendarNotCovered` instead of being guessed.

Each period lists the first and the last day without classes (Saturday after the last
class to the day before classes resume), both inclusive. Source: education.gouv.fr,
"Calendrier scolaire" (arrêtés for 2024-2025, 2025-2026 and 2026-2027).
"""

from __future__ import annotations

import datetime
from functools import lru_cache

D = datetime.date

# First and last day covered by the table: from the end of summer 2024 to the start of
# summer 2027 (the 2027 back-to-school date is not published yet).
COVERED_FROM = D(2024, 9, 1)
COVERED_TO = D(2027, 7, 31)

_ALL = "ABC"

# (zones, name, first day off, last day off)
PERIODS: list[tuple[str, str, datetime.date, datetime.date]] = [
    # Summer 2024, for the first days of the covered range.
    (_ALL, "summer", D(2024, 7, 6), D(2024, 9, 1)),
    # 2024-2025
    (_ALL, "all_saints", D(2024, 10, 19), D(2024, 11, 3)),
    (_ALL, "christmas", D(2024, 12, 21), D(2025, 1, 5)),
    ("A", "winter", D(2025, 2, 22), D(2025, 3, 9)),
    ("B", "winter", D(2025, 2, 8), D(2025, 2, 23)),
    ("C", "winter", D(2025, 2, 15), D(2025, 3, 2)),
    ("A", "spring", D(2025, 4, 19), D(2025, 5, 4)),
    ("B", "spring", D(2025, 4, 5), D(2025, 4, 21)),  # classes resume on Tuesday 22 April
    ("C", "spring", D(2025, 4, 12), D(2025, 4, 27)),
    (_ALL, "summer", D(2025, 7, 5), D(2025, 8, 31)),
    # 2025-2026
    (_ALL, "all_saints", D(2025, 10, 18), D(2025, 11, 2)),
    (_ALL, "christmas", D(2025, 12, 20), D(2026, 1, 4)),
    ("A", "winter", D(2026, 2, 7), D(2026, 2, 22)),
    ("B", "winter", D(2026, 2, 14), D(2026, 3, 1)),
    ("C", "winter", D(2026, 2, 21), D(2026, 3, 8)),
    ("A", "spring", D(2026, 4, 4), D(2026, 4, 19)),
    ("B", "spring", D(2026, 4, 11), D(2026, 4, 26)),
    ("C", "spring", D(2026, 4, 18), D(2026, 5, 3)),
    (_ALL, "summer", D(2026, 7, 4), D(2026, 8, 31)),
    # 2026-2027
    (_ALL, "all_saints", D(2026, 10, 17), D(2026, 11, 1)),
    (_ALL, "christmas", D(2026, 12, 19), D(2027, 1, 3)),
    ("A", "winter", D(2027, 2, 13), D(2027, 2, 28)),
    ("B", "winter", D(2027, 2, 20), D(2027, 3, 7)),
    ("C", "winter", D(2027, 2, 6), D(2027, 2, 21)),
    ("A", "spring", D(2027, 4, 10), D(2027, 4, 25)),
    ("B", "spring", D(2027, 4, 17), D(2027, 5, 2)),
    ("C", "spring", D(2027, 4, 3), D(2027, 4, 18)),
    (_ALL, "summer", D(2027, 7, 3), COVERED_TO),
]

ZONES = ("A", "B", "C")

# How long before the calendar window reaches the end of the table `rebuild_calendar`
# starts saying so: the next school year's arrêté must be added by then.
NOTICE_DAYS = 180


class SchoolCalendarNotCovered(LookupError):
    """A school-holiday question about a date the published calendar does not cover."""

    def __init__(self, day: datetime.date, zone: str | None = None):
        self.day = day
        if zone is not None and zone not in ZONES:
            message = (
                f"No school-holiday zone for this place (got {zone!r}); "
                "set the schedule's holiday zone to A, B or C."
            )
        else:
            message = (
                f"School holidays are only known from {COVERED_FROM.isoformat()} to "
                f"{COVERED_TO.isoformat()}; {day.isoformat()} is outside this calendar."
            )
        super().__init__(message)


def coverage_notice(window_end: datetime.date) -> str | None:
    """A warning when the calendar window (ending at `window_end`, excluded; rolled one
    day forward each day) will reach past the school calendar on file within NOTICE_DAYS,
    or already does; else None."""
    rolls_left = (COVERED_TO - window_end).days + 2  # daily rolls until the last day is past
    if rolls_left >= NOTICE_DAYS:
        return None
    if rolls_left <= 0:
        when = "already reaches past it"
    else:
        when = f"reaches past it in {rolls_left} day{'s' if rolls_left > 1 else ''}"
    return (
        f"The school calendar on file ends {COVERED_TO.isoformat()}; the opening calendar "
        f"{when}. From then on, schedules with a school-holiday rule are refused and their "
        "places are not rebuilt: add the next school year's dates (the arrêté fixing the "
        "school calendar) to scheduling/school_holidays.py."
    )


@lru_cache(maxsize=8)
def _days(zone: str) -> frozenset[datetime.date]:
    days = set()
    for zones, _name, first, last in PERIODS:
        if zone in zones:
            day = first
            while day <= last:
                days.add(day)
                day += datetime.timedelta(days=1)
    return frozenset(days)


def is_school_holiday(day: datetime.date, zone: str) -> bool:
    """Whether `day` has no classes in `zone`; raises SchoolCalendarNotCovered when unknown."""
    if zone not in ZONES:
        raise SchoolCalendarNotCovered(day, zone)
    if not COVERED_FROM <= day <= COVERED_TO:
        raise SchoolCalendarNotCovered(day)
    return day in _days(zone)


# Académie → zone for metropolitan departments (Corsica and overseas are not zoned).
_ACADEMY_DEPARTMENTS = {
    "A": {
        "besancon": "25 39 70 90",
        "bordeaux": "24 33 40 47 64",
        "clermont-ferrand": "03 15 43 63",
        "dijon": "21 58 71 89",
        "grenoble": "07 26 38 73 74",
        "limoges": "19 23 87",
        "lyon": "01 42 69",
        "poitiers": "16 17 79 86",
    },
    "B": {
        "aix-marseille": "04 05 13 84",
        "amiens": "02 60 80",
        "lille": "59 62",
        "nancy-metz": "54 55 57 88",
        "nantes": "44 49 53 72 85",
        "nice": "06 83",
        "normandie": "14 27 50 61 76",
        "orleans-tours": "18 28 36 37 41 45",
        "reims": "08 10 51 52",
        "rennes": "22 29 35 56",
        "strasbourg": "67 68",
    },
    "C": {
        "creteil": "77 93 94",
        "montpellier": "11 30 34 48 66",
        "paris": "75",
        "toulouse": "09 12 31 32 46 65 81 82",
        "versailles": "78 91 92 95",
    },
}
DEPARTMENT_ZONE: dict[str, str] = {
    department: zone
    for zone, academies in _ACADEMY_DEPARTMENTS.items()
    for departments in academies.values()
    for department in departments.split()
}


def zone_for_department(department: str | None) -> str | None:
    """The school zone of a metropolitan department, None for Corsica, overseas or unknown."""
    return DEPARTMENT_ZONE.get(department or "")
