"""Where a place is, seen from the calendar: its department, public holidays and school zone."""

from __future__ import annotations

import datetime
from functools import lru_cache

import holidays
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from places.timezones import DEPARTMENT_NAMES, department_code, is_overseas
from scheduling.school_holidays import zone_for_department

# Departments with their own public holidays in the `holidays` package: Moselle has
# subdivision "57", Bas-Rhin and Haut-Rhin share "6AE" (Good Friday, 26 December); the
# overseas departments are subdivisions under their own codes (abolition of slavery:
# 27 May in Guadeloupe, 22 May in Martinique, 10 June in Guyane, 20 December in La
# Réunion, 27 April in Mayotte...), the collectivities under their ISO letters.
_SUBDIVISIONS = {
    "57": "57",
    "67": "6AE",
    "68": "6AE",
    "971": "971",
    "972": "972",
    "973": "973",
    "974": "974",
    "975": "PM",
    "976": "976",
    "977": "BL",
    "978": "MF",
    "986": "WF",
    "987": "PF",
    "988": "NC",
}
ALSACE_MOSELLE = frozenset({"57", "67", "68"})


def department_of(place) -> str | None:
    """The department code of a place, from its INSEE code, or else its postcode.

    Corsica is "2A"/"2B" from INSEE codes and "20" from a postcode; overseas departments
    and collectivities use three digits (971...978, 986...988).
    """
    return department_code(getattr(place, "insee_code", ""), getattr(place, "postcode", ""))


@lru_cache(maxsize=64)
def _holiday_dates(department: str | None, year: int) -> frozenset[datetime.date]:
    subdiv = _SUBDIVISIONS.get(department or "")
    calendar = holidays.France(subdiv=subdiv, years=year, categories=("public",))
    return frozenset(calendar)


def is_public_holiday(day: datetime.date, department: str | None) -> bool:
    """French public holiday, with those of Alsace-Moselle and of each overseas territory."""
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
    """The schedule's explicit zone, else the one of the place's department.

    None for an overseas place whatever the override: its school calendar is not one of
    the metropolitan zones A/B/C, and is not on file (see overseas_school_message).
    """
    department = department_of(place)
    if is_overseas(department):
        return None
    return override or zone_for_department(department)


def overseas_school_message(place) -> str | None:
    """Why a school-holiday rule cannot be evaluated at an overseas place, else None."""
    department = department_of(place)
    if not is_overseas(department):
        return None
    return _(
        "The school calendar of %(territory)s is not on file yet: rules that depend on "
        "school holidays cannot be used for this place."
    ) % {"territory": DEPARTMENT_NAMES[department]}


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
