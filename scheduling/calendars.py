"""Where a place is, seen from the calendar: its department, public holidays and school zone."""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays
from django.utils.translation import get_language

from scheduling.school_holidays import zone_for_department

# Departments with their own extra public holidays in the `holidays` package: Moselle has
# subdivision "57", Bas-Rhin and Haut-Rhin share "6AE" (Good Friday, 26 December).
_SUBDIVISIONS = {"57": "57", "67": "6AE", "68": "6AE"}
ALSACE_MOSELLE = frozenset(_SUBDIVISIONS)


def department_of(place) -> str | None:
    """The department code of a place, from its INSEE code, or else its postcode.

    Corsica is "2A"/"2B" from INSEE codes and "20" from a postcode; overseas departments
    use three digits (971...976).
    """
    code = (getattr(place, "insee_code", "") or "").upper()
    if len(code) == 5:
        return code[:3] if code.startswith("97") else code[:2]
    postcode = getattr(place, "postcode", "") or ""
    if len(postcode) == 5 and postcode.isdigit():
        return postcode[:3] if postcode.startswith("97") else postcode[:2]
    return None


@lru_cache(maxsize=64)
def _holiday_dates(department: str | None, year: int) -> frozenset[datetime.date]:
    subdiv = _SUBDIVISIONS.get(department or "")
    calendar = holidays.France(subdiv=subdiv, years=year, categories=("public",))
    return frozenset(calendar)


def is_public_holiday(day: datetime.date, department: str | None) -> bool:
    """French public holiday, with Alsace-Moselle's Good Friday and 26 December."""
    return day in _holiday_dates(department, day.year)


@lru_cache(maxsize=512)
def public_holiday_offsets(
    department: str | None, first: datetime.date, count: int
) -> tuple[int, ...]:
    """Offsets from `first` of the public holidays among the `count` days from it.

    Computed once per department and window, then shared by every schedule there.
    """
    return tuple(
        k for k in range(count) if is_public_holiday(first + datetime.timedelta(days=k), department)
    )


def school_zone(place, override: str = "") -> str | None:
    """The schedule's explicit zone, else the one of the place's department."""
    return override or zone_for_department(department_of(place))


def _holiday_language() -> str:
    # The `holidays` package names holidays in "fr" and "en_US" (among others).
    language = (get_language() or "fr").split("-")[0]
    return "en_US" if language == "en" else "fr"


@lru_cache(maxsize=64)
def _holiday_names(department: str | None, year: int, language: str) -> dict:
    subdiv = _SUBDIVISIONS.get(department or "")
    return dict(
        holidays.France(subdiv=subdiv, years=year, categories=("public",), language=language)
    )


def public_holiday_name(day: datetime.date, department: str | None) -> str:
    """The public holiday's name in the reader's language ("Noël", "Christmas Day"), or ""
    when `day` is not one. Which days are holidays is `is_public_holiday`'s answer; this only
    names them."""
    if not is_public_holiday(day, department):
        return ""
    return _holiday_names(department, day.year, _holiday_language()).get(day, "")
