"""Opening hours for economics are counted on each place's own days and clock.

A Réunion place open from midnight to 2:00 on Mondays is open on Monday in Saint-Denis,
which is still Sunday in Paris: read on Paris days, its Monday would count no hour.
"""

import datetime
import zoneinfo

import pytest

from economics.availability import (
    hour_pieces,
    hours,
    place_open_intervals,
    places_open_hours,
    shared_at,
    sharing_ruleset,
)
from places.models import Place
from places.timezones import place_zone
from scheduling import actions as scheduling_actions
from scheduling.models import CalendarWindow
from tests.factories import PlaceFactory

UTC = datetime.UTC
MONDAY, TUESDAY = datetime.date(2025, 10, 6), datetime.date(2025, 10, 7)


def _place(organisation, staff, insee, postcode, times):
    place = PlaceFactory(organisation=organisation, insee_code=insee, postcode=postcode)
    scheduling_actions.schedule_set_rules(
        user=staff,
        place=place,
        rules=[{"kind": "weekly", "days": [0], "times": [times]}],
        public_holidays="open",
    )
    return place


@pytest.fixture
def reunion(organisation, registry_admin, window):
    return _place(organisation, registry_admin, "97411", "97400", "00:00-02:00")


@pytest.fixture
def guadeloupe(organisation, registry_admin, window):
    return _place(organisation, registry_admin, "97101", "97139", "21:00-23:00")


@pytest.fixture
def paris(organisation, registry_admin, window):
    return _place(organisation, registry_admin, "75056", "75001", "09:00-12:00")


def test_a_monday_is_the_places_own_monday(reunion, guadeloupe, paris):
    got = place_open_intervals(reunion, MONDAY, TUESDAY)
    # 00:00-02:00 in Saint-Denis (UTC+4) is 20:00-22:00 UTC on Sunday.
    assert got == [
        (
            datetime.datetime(2025, 10, 5, 20, tzinfo=UTC),
            datetime.datetime(2025, 10, 5, 22, tzinfo=UTC),
        )
    ]
    # 21:00-23:00 in Pointe-à-Pitre (UTC-4) is 01:00-03:00 UTC on Tuesday.
    assert hours(place_open_intervals(guadeloupe, MONDAY, TUESDAY)) == 2
    assert hours(place_open_intervals(paris, MONDAY, TUESDAY)) == 3
    # The Sunday and Tuesday around it count nothing.
    assert place_open_intervals(reunion, MONDAY - datetime.timedelta(days=1), MONDAY) == []
    assert place_open_intervals(guadeloupe, TUESDAY, TUESDAY + datetime.timedelta(days=1)) == []


def test_outside_the_calendar_window_rules_run_on_the_places_clock(reunion, guadeloupe):
    elsewhere = CalendarWindow(
        start=datetime.date(2030, 1, 1),
        end=datetime.date(2030, 2, 1),
        build_end=datetime.date(2030, 2, 1),
    )
    for place in (reunion, guadeloupe):
        assert hours(place_open_intervals(place, MONDAY, TUESDAY, window=elsewhere)) == 2
        assert place_open_intervals(place, MONDAY, TUESDAY, window=elsewhere) == (
            place_open_intervals(place, MONDAY, TUESDAY)
        )


@pytest.mark.parametrize("inside", [True, False], ids=["calendar", "rules"])
def test_many_places_read_as_each_place_alone(reunion, guadeloupe, paris, inside):
    window = None
    if not inside:
        window = CalendarWindow(
            start=datetime.date(2030, 1, 1),
            end=datetime.date(2030, 2, 1),
            build_end=datetime.date(2030, 2, 1),
        )
    ids = Place.objects.filter(pk__in=[reunion.pk, guadeloupe.pk, paris.pk]).values("pk")
    got = places_open_hours(ids, MONDAY, TUESDAY, window=window)
    assert got == {reunion.pk: 2, guadeloupe.pk: 2, paris.pk: 3}


def test_hour_grid_uses_local_weekday_and_hour(reunion):
    pieces = list(hour_pieces(place_open_intervals(reunion, MONDAY, TUESDAY), place_zone(reunion)))
    assert pieces == [(0, 0, MONDAY, 1.0), (0, 1, MONDAY, 1.0)]


def test_an_aware_instant_is_read_on_the_places_clock(reunion):
    ruleset = sharing_ruleset(
        [{"kind": "weekly", "days": [0], "times": ["00:00-02:00"]}], reunion, holidays_closed=False
    )
    sunday_evening_utc = datetime.datetime(2025, 10, 5, 20, 30, tzinfo=UTC)
    assert shared_at(ruleset, sunday_evening_utc, place_zone(reunion))
    saint_denis = zoneinfo.ZoneInfo("Indian/Reunion")
    assert not shared_at(
        ruleset, datetime.datetime(2025, 10, 6, 3, tzinfo=saint_denis), place_zone(reunion)
    )
    # A naive time is already the place's wall clock.
    assert shared_at(ruleset, datetime.datetime(2025, 10, 6, 1, 0), place_zone(reunion))
