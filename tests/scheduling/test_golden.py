"""Hand-written cases: a schedule, an instant (Paris time), the expected state.

Each case is checked three ways: the materialised calendar (is_open inside the window),
direct evaluation (is_open outside the window, forced by an empty window), and for OSM
strings the library's own reading.
"""

from __future__ import annotations

import datetime

import pytest

from scheduling import actions, selectors
from scheduling.models import CalendarWindow
from tests.scheduling.conftest import paris

W = "weekly"
WEEKDAYS = [0, 1, 2, 3, 4]


def weekly(days, *times, **extra):
    return {"kind": W, "days": days, "times": list(times), **extra}


# (id, schedule, department place, instant, expected open)
# schedule: ("rules", [rules], public_holidays, holiday_times) or ("osm", text)
CASES = [
    # weekly basics (2025-03-04 is a Tuesday)
    (
        "weekly-in",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "lyon",
        paris(2025, 3, 4, 10),
        True,
    ),
    (
        "weekly-before",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "lyon",
        paris(2025, 3, 4, 8, 59),
        False,
    ),
    (
        "weekly-start-inclusive",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "lyon",
        paris(2025, 3, 4, 9),
        True,
    ),
    (
        "weekly-end-exclusive",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "lyon",
        paris(2025, 3, 4, 12),
        False,
    ),
    (
        "weekly-weekend",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "lyon",
        paris(2025, 3, 8, 10),
        False,
    ),
    (
        "two-ranges-gap",
        ("rules", [weekly([1], "09:00-12:00", "14:00-18:00")]),
        "lyon",
        paris(2025, 3, 4, 13),
        False,
    ),
    (
        "two-ranges-afternoon",
        ("rules", [weekly([1], "09:00-12:00", "14:00-18:00")]),
        "lyon",
        paris(2025, 3, 4, 17, 59),
        True,
    ),
    # midnight crossing
    (
        "overnight-evening",
        ("rules", [weekly([4], "22:00-02:00")]),
        "lyon",
        paris(2025, 3, 7, 23),
        True,
    ),
    (
        "overnight-after-midnight",
        ("rules", [weekly([4], "22:00-02:00")]),
        "lyon",
        paris(2025, 3, 8, 1, 30),
        True,
    ),
    (
        "overnight-ended",
        ("rules", [weekly([4], "22:00-02:00")]),
        "lyon",
        paris(2025, 3, 8, 2),
        False,
    ),
    (
        "overnight-not-thursday-night",
        ("rules", [weekly([4], "22:00-02:00")]),
        "lyon",
        paris(2025, 3, 7, 1),
        False,
    ),
    (
        "sunday-night-into-monday",
        ("rules", [weekly([6], "23:00-01:00")]),
        "lyon",
        paris(2025, 3, 10, 0, 30),
        True,
    ),
    # 24/7
    (
        "24-7",
        ("rules", [weekly(list(range(7)), "00:00-24:00")], "open"),
        "lyon",
        paris(2025, 12, 25, 3),
        True,
    ),
    (
        "24-7-closed-ph",
        ("rules", [weekly(list(range(7)), "00:00-24:00")]),
        "lyon",
        paris(2025, 12, 25, 3),
        False,
    ),
    # DST spring forward: 2025-03-30, 02:00 → 03:00
    (
        "dst-spring-after-gap",
        ("rules", [weekly([6], "01:00-04:00")], "open"),
        "lyon",
        paris(2025, 3, 30, 3, 30),
        True,
    ),
    (
        "dst-spring-before-gap",
        ("rules", [weekly([6], "01:00-04:00")], "open"),
        "lyon",
        paris(2025, 3, 30, 1, 30),
        True,
    ),
    (
        "dst-spring-end",
        ("rules", [weekly([6], "01:00-04:00")], "open"),
        "lyon",
        paris(2025, 3, 30, 4, 0),
        False,
    ),
    (
        "dst-spring-overnight",
        ("rules", [weekly([5], "22:00-04:00")], "open"),
        "lyon",
        paris(2025, 3, 30, 3, 15),
        True,
    ),
    # DST fall back: 2025-10-26, 03:00 → 02:00 (02:xx happens twice)
    (
        "dst-fall-first-2am",
        ("rules", [weekly([6], "01:00-04:00")], "open"),
        "lyon",
        paris(2025, 10, 26, 2, 30),
        True,
    ),
    (
        "dst-fall-second-2am",
        ("rules", [weekly([6], "01:00-04:00")], "open"),
        "lyon",
        datetime.datetime(2025, 10, 26, 1, 30, tzinfo=datetime.UTC),
        True,
    ),
    (
        "dst-fall-after",
        ("rules", [weekly([6], "01:00-04:00")], "open"),
        "lyon",
        paris(2025, 10, 26, 4, 1),
        False,
    ),
    (
        "dst-fall-ordinary",
        ("rules", [weekly([0], "09:00-10:00")]),
        "lyon",
        paris(2025, 10, 27, 9, 30),
        True,
    ),
    # public holidays
    (
        "ph-may-1-closed",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "lyon",
        paris(2025, 5, 1, 10),
        False,
    ),
    (
        "ph-may-1-open",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")], "open"),
        "lyon",
        paris(2025, 5, 1, 10),
        True,
    ),
    (
        "ph-special-in",
        ("rules", [weekly(WEEKDAYS, "09:00-18:00")], "special", ["10:00-12:00"]),
        "lyon",
        paris(2025, 5, 1, 11),
        True,
    ),
    (
        "ph-special-out",
        ("rules", [weekly(WEEKDAYS, "09:00-18:00")], "special", ["10:00-12:00"]),
        "lyon",
        paris(2025, 5, 1, 15),
        False,
    ),
    (
        "ph-cuts-overnight-spill",
        ("rules", [weekly([2], "22:00-02:00")]),
        "lyon",
        paris(2025, 5, 1, 1),
        False,
    ),
    (
        "good-friday-lyon-open",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "lyon",
        paris(2025, 4, 18, 10),
        True,
    ),
    (
        "good-friday-metz-closed",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "metz",
        paris(2025, 4, 18, 10),
        False,
    ),
    (
        "dec-26-lyon-open",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "lyon",
        paris(2025, 12, 26, 10),
        True,
    ),
    (
        "dec-26-metz-closed",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "metz",
        paris(2025, 12, 26, 10),
        False,
    ),
    (
        "dec-26-strasbourg-closed",
        ("rules", [weekly(WEEKDAYS, "09:00-12:00")]),
        "strasbourg",
        paris(2025, 12, 26, 10),
        False,
    ),
    # school holidays (Lyon = zone A; winter 2025 zone A: 22 Feb - 9 Mar)
    (
        "sh-only-in-holidays",
        ("rules", [weekly([1], "09:00-12:00", season="school_holidays")]),
        "lyon",
        paris(2025, 3, 4, 10),
        True,
    ),
    (
        "sh-only-outside",
        ("rules", [weekly([1], "09:00-12:00", season="school_holidays")]),
        "lyon",
        paris(2025, 3, 11, 10),
        False,
    ),
    (
        "sh-except-in-holidays",
        ("rules", [weekly([1], "09:00-12:00", season="outside_school_holidays")]),
        "lyon",
        paris(2025, 3, 4, 10),
        False,
    ),
    (
        "sh-except-school-day",
        ("rules", [weekly([1], "09:00-12:00", season="outside_school_holidays")]),
        "lyon",
        paris(2025, 3, 11, 10),
        True,
    ),
    (
        "sh-zone-b-metz",
        ("rules", [weekly([1], "09:00-12:00", season="school_holidays")]),
        "metz",
        paris(2025, 2, 11, 10),
        True,
    ),
    (
        "sh-zone-b-metz-not-a",
        ("rules", [weekly([1], "09:00-12:00", season="school_holidays")]),
        "metz",
        paris(2025, 3, 4, 10),
        False,
    ),
    # 29 February (2028 is outside the window: direct evaluation)
    (
        "feb-29-date",
        ("rules", [{"kind": "dates", "start_date": "2028-02-29", "times": ["10:00-12:00"]}]),
        "lyon",
        paris(2028, 2, 29, 11),
        True,
    ),
    (
        "feb-29-yearly-end",
        (
            "rules",
            [weekly(list(range(7)), "10:00-12:00", yearly_from="12-01", yearly_to="02-29")],
            "open",
        ),
        "lyon",
        paris(2028, 2, 29, 11),
        True,
    ),
    (
        "feb-29-yearly-next-day",
        (
            "rules",
            [weekly(list(range(7)), "10:00-12:00", yearly_from="12-01", yearly_to="02-29")],
            "open",
        ),
        "lyon",
        paris(2028, 3, 1, 11),
        False,
    ),
    (
        "feb-28-non-leap",
        (
            "rules",
            [weekly(list(range(7)), "10:00-12:00", yearly_from="12-01", yearly_to="02-29")],
            "open",
        ),
        "lyon",
        paris(2026, 2, 28, 11),
        True,
    ),
    # every N weeks (anchor Monday 2025-03-03)
    (
        "every-2-weeks-anchor",
        (
            "rules",
            [
                {
                    "kind": "every_n_weeks",
                    "days": [0],
                    "interval": 2,
                    "anchor": "2025-03-03",
                    "times": ["10:00-12:00"],
                }
            ],
        ),
        "lyon",
        paris(2025, 3, 3, 11),
        True,
    ),
    (
        "every-2-weeks-off-week",
        (
            "rules",
            [
                {
                    "kind": "every_n_weeks",
                    "days": [0],
                    "interval": 2,
                    "anchor": "2025-03-03",
                    "times": ["10:00-12:00"],
                }
            ],
        ),
        "lyon",
        paris(2025, 3, 10, 11),
        False,
    ),
    (
        "every-2-weeks-across-year",
        (
            "rules",
            [
                {
                    "kind": "every_n_weeks",
                    "days": [0],
                    "interval": 2,
                    "anchor": "2025-03-03",
                    "times": ["10:00-12:00"],
                }
            ],
        ),
        "lyon",
        paris(2026, 1, 5, 11),
        True,
    ),
    (
        "every-2-weeks-before-anchor",
        (
            "rules",
            [
                {
                    "kind": "every_n_weeks",
                    "days": [0],
                    "interval": 2,
                    "anchor": "2025-03-03",
                    "times": ["10:00-12:00"],
                }
            ],
        ),
        "lyon",
        paris(2025, 2, 17, 11),
        False,
    ),
    # nth weekday
    (
        "first-saturday",
        ("rules", [{"kind": "nth_weekday", "days": [5], "nth": [1], "times": ["10:00-12:00"]}]),
        "lyon",
        paris(2025, 3, 1, 11),
        True,
    ),
    (
        "second-saturday",
        ("rules", [{"kind": "nth_weekday", "days": [5], "nth": [1], "times": ["10:00-12:00"]}]),
        "lyon",
        paris(2025, 3, 8, 11),
        False,
    ),
    (
        "last-friday",
        ("rules", [{"kind": "nth_weekday", "days": [4], "nth": [-1], "times": ["18:00-20:00"]}]),
        "lyon",
        paris(2025, 2, 28, 19),
        True,
    ),
    (
        "not-last-friday",
        ("rules", [{"kind": "nth_weekday", "days": [4], "nth": [-1], "times": ["18:00-20:00"]}]),
        "lyon",
        paris(2025, 2, 21, 19),
        False,
    ),
    # dates and validity
    (
        "date-range-in",
        (
            "rules",
            [
                {
                    "kind": "dates",
                    "start_date": "2025-07-01",
                    "end_date": "2025-07-10",
                    "times": ["10:00-12:00"],
                }
            ],
        ),
        "lyon",
        paris(2025, 7, 5, 11),
        True,
    ),
    (
        "date-range-after",
        (
            "rules",
            [
                {
                    "kind": "dates",
                    "start_date": "2025-07-01",
                    "end_date": "2025-07-10",
                    "times": ["10:00-12:00"],
                }
            ],
        ),
        "lyon",
        paris(2025, 7, 11, 11),
        False,
    ),
    (
        "april-october-in",
        ("rules", [weekly([5], "10:00-18:00", yearly_from="04-01", yearly_to="10-31")]),
        "lyon",
        paris(2025, 10, 25, 11),
        True,
    ),
    (
        "april-october-out",
        ("rules", [weekly([5], "10:00-18:00", yearly_from="04-01", yearly_to="10-31")]),
        "lyon",
        paris(2025, 11, 1, 11),
        False,
    ),
    (
        "valid-to-passed",
        ("rules", [weekly([1], "09:00-12:00", valid_from="2025-01-01", valid_to="2025-06-30")]),
        "lyon",
        paris(2025, 7, 1, 10),
        False,
    ),
    # OSM strings kept as text (not expressible as rules)
    (
        "osm-override",
        ("osm", "Mo-Fr 09:00-18:00; We 09:00-12:00"),
        "lyon",
        paris(2025, 3, 5, 15),
        False,
    ),
    (
        "osm-override-other-day",
        ("osm", "Mo-Fr 09:00-18:00; We 09:00-12:00"),
        "lyon",
        paris(2025, 3, 6, 15),
        True,
    ),
    (
        "osm-imported-ph",
        ("osm", "Mo-Fr 09:00-12:00; PH off"),
        "lyon",
        paris(2025, 11, 11, 10),
        False,
    ),
    ("osm-imported-sh", ("osm", "Tu 09:00-12:00; SH off"), "lyon", paris(2025, 3, 4, 10), False),
]

PLACES = {
    "lyon": ("69003", "69383"),
    "metz": ("57000", "57463"),
    "strasbourg": ("67000", "67482"),
}


def _setup(case_schedule, department, user):
    from tests.factories import PlaceFactory

    postcode, insee = PLACES[department]
    place = PlaceFactory(postcode=postcode, insee_code=insee)
    if case_schedule[0] == "rules":
        _mode, rules, *rest = case_schedule
        actions.schedule_set_rules(
            user=user,
            place=place,
            rules=rules,
            public_holidays=rest[0] if rest else "closed",
            holiday_times=rest[1] if len(rest) > 1 else (),
        )
    else:
        actions.schedule_set_osm(user=user, place=place, text=case_schedule[1])
    return place


@pytest.mark.parametrize(
    "schedule,department,at,expected",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_golden(window, staff, schedule, department, at, expected):
    place = _setup(schedule, department, staff)
    assert selectors.is_open(place, at) is expected
    # The same question, answered without the materialised calendar.
    CalendarWindow.objects.filter(pk=1).update(
        start=datetime.date(2000, 1, 1), end=datetime.date(2000, 1, 2)
    )
    assert selectors.is_open(place, at) is expected


def test_golden_table_is_large_enough():
    assert len(CASES) >= 40


def test_window_edge(window, staff, lyon):
    actions.schedule_set_rules(
        user=staff, place=lyon, rules=[weekly([3], "22:00-02:00")], public_holidays="open"
    )
    # 2026-12-31 is a Thursday: its night runs past the window's end (2027-01-01 00:00).
    assert selectors.is_open(lyon, paris(2026, 12, 31, 23, 59))
    assert selectors.is_open(lyon, paris(2027, 1, 1, 1))  # just outside: direct evaluation
    assert not selectors.is_open(lyon, paris(2027, 1, 1, 2))
    opening = selectors.next_opening(lyon, paris(2026, 12, 31, 23))
    assert opening.start == paris(2027, 1, 7, 22)
