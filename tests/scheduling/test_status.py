"""Today's status in words, for a page of places in three queries, across DST changes."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation

from scheduling import actions
from scheduling.models import CalendarWindow, Schedule
from scheduling.status import PlaceStatus, status_of, statuses_for
from tests.factories import PlaceFactory
from tests.scheduling.conftest import paris

DAILY = {"kind": "weekly", "days": [0, 1, 2, 3, 4, 5, 6], "times": ["09:00-17:00"]}
TUESDAY = {"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}
NIGHT = {"kind": "weekly", "days": [4], "times": ["22:00-02:00"]}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def window(db):
    """March to mid-November 2026: both DST changes (29 March, 25 October)."""
    return CalendarWindow.objects.create(
        pk=1,
        start=datetime.date(2026, 3, 1),
        end=datetime.date(2026, 11, 15),
        build_end=datetime.date(2026, 11, 15),
    )


def _place(staff, *rules, **kwargs):
    place = PlaceFactory(**kwargs)
    if rules:
        actions.schedule_set_rules(user=staff, place=place, rules=list(rules))
    return place


@pytest.fixture
def daily(window, staff):
    return _place(staff, DAILY, name="Tous les jours")


def test_open_until(daily):
    status = status_of(daily, paris(2026, 3, 10, 10, 30))
    assert status.is_open and status.text == "open until 17 h"
    assert status.until == paris(2026, 3, 10, 17)


def test_opens_tomorrow_on_the_spring_dst_day(daily):
    # Saturday evening before the clocks go forward: the next opening is 9 h summer time.
    status = status_of(daily, paris(2026, 3, 28, 20))
    assert status.state == PlaceStatus.CLOSED
    assert status.text == "opens tomorrow at 9 h"
    assert status.next_opening == paris(2026, 3, 29, 9)
    assert status.next_opening == datetime.datetime(2026, 3, 29, 7, tzinfo=datetime.UTC)  # CEST


def test_open_until_on_the_spring_dst_day(daily):
    status = status_of(daily, paris(2026, 3, 29, 10))
    assert status.text == "open until 17 h"
    assert status.until == paris(2026, 3, 29, 17)


def test_autumn_dst_day(daily):
    before = status_of(daily, paris(2026, 10, 24, 18))
    assert before.text == "opens tomorrow at 9 h"
    assert before.next_opening == paris(2026, 10, 25, 9)
    assert before.next_opening == datetime.datetime(2026, 10, 25, 8, tzinfo=datetime.UTC)  # CET
    during = status_of(daily, paris(2026, 10, 25, 16, 59))
    assert during.text == "open until 17 h"


def test_night_opening_ends_the_next_day(window, staff):
    place = _place(staff, NIGHT)
    status = status_of(place, paris(2026, 3, 13, 23))  # a Friday
    assert status.text == "open until tomorrow 2 h"
    assert status_of(place, paris(2026, 3, 14, 1)).text == "open until 2 h"


def test_opens_on_a_named_day(window, staff):
    place = _place(staff, TUESDAY)
    assert status_of(place, paris(2026, 3, 12, 15)).text == "opens Tuesday at 9 h"
    assert status_of(place, paris(2026, 3, 10, 8)).text == "opens today at 9 h"


def test_closed_exceptionally_with_the_reason(daily, staff):
    actions.exception_add(
        user=staff,
        schedule=Schedule.objects.get(place=daily),
        kind="closure",
        start_date=datetime.date(2026, 3, 10),
        title="inventaire",
    )
    status = status_of(daily, paris(2026, 3, 10, 10))
    assert status.state == PlaceStatus.CLOSED_EXCEPTIONALLY
    assert status.text == "closed exceptionally: inventaire"
    assert status.full_text == "closed exceptionally: inventaire, opens tomorrow at 9 h"


def test_closed_with_no_opening_ahead(window, staff):
    place = _place(
        staff,
        {
            "kind": "weekly",
            "days": [0],
            "times": ["09:00-12:00"],
            "valid_to": "2026-03-09",
        },
    )
    assert status_of(place, paris(2026, 3, 10, 10)).text == "closed"


def test_no_hours_is_unknown_not_closed(window):
    place = PlaceFactory()
    status = status_of(place, paris(2026, 3, 10, 10))
    assert status.state == PlaceStatus.UNKNOWN
    assert status.text == "opening hours not known"


def test_outside_the_window_is_unknown(daily):
    assert status_of(daily, paris(2027, 6, 1, 10)).state == PlaceStatus.UNKNOWN


def test_french_wording_goes_through_gettext(daily):
    with translation.override("fr"):
        text = status_of(daily, paris(2026, 3, 10, 10)).text
    assert "17 h" in text


@pytest.mark.parametrize("count", [1, 6])
def test_three_queries_whatever_the_number_of_places(
    window, staff, django_assert_num_queries, count
):
    places = [_place(staff, DAILY) for _ in range(count)]
    # 1 the calendar window, 2 the place-level rows around `at`, 3 which places have hours
    with django_assert_num_queries(3):
        statuses = statuses_for(places, paris(2026, 3, 10, 10))
    assert len(statuses) == count
    assert all(s.text == "open until 17 h" for s in statuses.values())


def test_no_places_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert statuses_for([], paris(2026, 3, 10, 10)) == {}
