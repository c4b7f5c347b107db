"""open_places_near: open at an instant, within a radius, nearest first."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from places.models import Place
from scheduling import actions, selectors
from tests.factories import PlaceFactory, ServiceOfferFactory
from tests.scheduling.conftest import paris

CENTRE = (45.7578, 4.8320)
MORNINGS = [{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00"]}]
AFTERNOONS = [{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["14:00-18:00"]}]


def _place(staff, name, dlat, rules):
    place = PlaceFactory(
        name=name,
        latitude=Decimal(f"{CENTRE[0] + dlat:.6f}"),
        longitude=Decimal(f"{CENTRE[1]:.6f}"),
    )
    actions.schedule_set_rules(user=staff, place=place, rules=rules)
    return place


def test_open_places_near(window, staff):
    _place(staff, "open, 2 km", 0.018, MORNINGS)
    _place(staff, "open, 1 km", -0.009, MORNINGS)
    _place(staff, "open, 11 km", 0.1, MORNINGS)
    _place(staff, "closed, 1 km", 0.009, AFTERNOONS)
    # Open through one of its offers only: the place's own hours decide.
    offered = _place(staff, "offer open, 1 km", 0.0095, AFTERNOONS)
    actions.schedule_set_rules(user=staff, offer=ServiceOfferFactory(place=offered), rules=MORNINGS)

    found = selectors.open_places_near(paris(2025, 3, 4, 10), *CENTRE, 5)

    assert [p.name for p in found] == ["open, 1 km", "open, 2 km"]
    assert [round(p.distance_km, 1) for p in found] == [1.0, 2.0]
    at_three = selectors.open_places_near(paris(2025, 3, 4, 15), *CENTRE, 5)
    assert [p.name for p in at_three] == ["closed, 1 km", "offer open, 1 km"]
    narrowed = selectors.open_places_near(
        paris(2025, 3, 4, 10), *CENTRE, 5, queryset=Place.objects.exclude(name="open, 1 km")
    )
    assert [p.name for p in narrowed] == ["open, 2 km"]


def test_open_places_near_agrees_with_is_open(window, staff):
    places = [
        _place(staff, f"p{i}", 0.002 * i, MORNINGS if i % 2 else AFTERNOONS) for i in range(6)
    ]
    at = paris(2025, 3, 5, 11, 59)
    expected = {p.pk for p in places if selectors.is_open(p, at)}
    assert (
        {p.pk for p in selectors.open_places_near(at, *CENTRE, 5)}
        == expected
        == {p.pk for p in places[1::2]}
    )


def test_open_places_near_outside_the_window(window):
    with pytest.raises(selectors.OutsideWindow):
        selectors.open_places_near(paris(2030, 1, 1, 10), *CENTRE, 5)


@pytest.mark.parametrize("narrowed", [False, True])
def test_both_forms_of_open_places_agree(window, staff, narrowed):
    """The registry-wide subquery and the per-place probe give the same places at every
    half hour of a day, including places open only through an offer and places closed."""
    mornings = _place(staff, "mornings", 0.001, MORNINGS)
    afternoons = _place(staff, "afternoons", 0.002, AFTERNOONS)
    offered = _place(staff, "offer only in the morning", 0.003, AFTERNOONS)
    actions.schedule_set_rules(user=staff, offer=ServiceOfferFactory(place=offered), rules=MORNINGS)
    PlaceFactory(name="no hours")
    for half_hours in range(48):
        at = paris(2025, 3, 4, half_hours // 2, 30 * (half_hours % 2))
        expected = {p.name for p in (mornings, afternoons, offered) if selectors.is_open(p, at)}
        found = selectors.open_places(at, Place.objects.all(), narrowed=narrowed)
        assert {p.name for p in found} == expected, at
    # And it combines with other filters.
    at = paris(2025, 3, 4, 10)
    narrowed_qs = Place.objects.exclude(name="mornings")
    assert not selectors.open_places(at, narrowed_qs, narrowed=narrowed).exists()
    assert list(selectors.open_places(at, narrowed=narrowed)) == [mornings]


def test_open_places_near_refuses_an_instant_past_the_window_even_with_rows_there(window, staff):
    """Rows can outlive the promised window (a rebuild in progress moves `end` last): an
    instant past `end` is refused, not answered from those rows."""
    place = _place(staff, "open, 1 km", -0.009, MORNINGS)
    at = paris(2025, 3, 4, 10)
    assert [p.pk for p in selectors.open_places_near(at, *CENTRE, 5)] == [place.pk]
    window.end = datetime.date(2025, 3, 4)
    window.save()
    with pytest.raises(selectors.OutsideWindow, match="2025-03-04"):
        selectors.open_places_near(at, *CENTRE, 5)
