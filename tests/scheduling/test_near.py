"""open_places_near: open at an instant, within a radius, nearest first."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from places.geo import haversine_km, in_bounding_box
from places.models import Place
from places.selectors import nearest_first
from scheduling import actions, selectors
from scheduling.models import CalendarWindow, Schedule
from tests.factories import PlaceFactory, ServiceOfferFactory
from tests.scheduling.conftest import paris

CENTRE = (45.7578, 4.8320)
MORNINGS = [{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00"]}]
AFTERNOONS = [{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["14:00-18:00"]}]
NIGHTS = [{"kind": "weekly", "days": list(range(7)), "times": ["22:00-02:00"]}]
ALWAYS = [{"kind": "weekly", "days": list(range(7)), "times": ["00:00-24:00"]}]


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


def _orm_answer(at, centre, radius_km):
    """The same question composed with the ORM: box, per-place probe, exact distance."""
    boxed = in_bounding_box(Place.objects.all(), *centre, radius_km)
    return [
        (p.pk, p.distance_km)
        for p in nearest_first(selectors.open_places(at, boxed, narrowed=True), *centre, radius_km)
    ]


def test_the_statement_agrees_with_the_orm_form_and_with_is_open(window, staff):
    """open_place_distances (hand-written SQL) against open_places + the box + nearest_first
    and against is_open with the distance: every half hour of a weekday and of the autumn
    DST Sunday, with places in the box's corners (outside the circle), one without
    coordinates, one closed that day, one open only through an offer, one open at night."""
    places = [
        _place(staff, "mornings, 1 km", -0.009, MORNINGS),
        _place(staff, "afternoons, 2 km", 0.018, AFTERNOONS),
        _place(staff, "mornings, 4.9 km", 0.044, MORNINGS),
        _place(staff, "mornings, 5.1 km", -0.046, MORNINGS),
        _place(staff, "nights", 0.001, NIGHTS),
    ]
    corner = _place(staff, "box corner, 6.4 km", 0.040, MORNINGS)
    corner.longitude = Decimal(f"{CENTRE[1] + 0.058:.6f}")  # inside the box, outside the circle
    corner.save()
    closed = _place(staff, "closed on the 4th", 0.003, MORNINGS)
    actions.exception_add(
        user=staff, schedule=Schedule.objects.get(place=closed), kind="closure",
        start_date=datetime.date(2025, 3, 4), title="Inventaire",
    )  # fmt: skip
    offered = _place(staff, "offer only in the morning", 0.004, AFTERNOONS)
    actions.schedule_set_rules(user=staff, offer=ServiceOfferFactory(place=offered), rules=MORNINGS)
    nowhere = PlaceFactory(name="no coordinates", latitude=None, longitude=None)
    actions.schedule_set_rules(user=staff, place=nowhere, rules=MORNINGS)
    everyone = [*places, corner, closed, offered]
    instants = [paris(2025, 3, 4, h // 2, 30 * (h % 2)) for h in range(48)]
    instants += [paris(2025, 10, 26, h // 2, 30 * (h % 2)) for h in range(48)]
    for at in instants:
        found = selectors.open_place_distances(at, *CENTRE, 5)
        expected = sorted(
            (haversine_km(*CENTRE, float(p.latitude), float(p.longitude)), p.pk)
            for p in everyone
            if selectors.is_open(p, at)
            and haversine_km(*CENTRE, float(p.latitude), float(p.longitude)) <= 5
        )
        assert found == [(pk, distance) for distance, pk in expected], at
        assert found == _orm_answer(at, CENTRE, 5), at
    # The instants did tell places apart: never the corner, the 5.1 km one or the closed one.
    seen = {pk for at in instants for pk, _ in selectors.open_place_distances(at, *CENTRE, 5)}
    assert seen == {p.pk for p in [*places[:3], places[4], offered]}


def test_a_box_without_longitude_bounds(window, staff):
    """Near a pole the box is a band of latitude (no longitude condition in the SQL)."""
    north = (89.99, 100.0)
    across = PlaceFactory(
        name="across the pole", latitude=Decimal("89.995000"), longitude=Decimal("-80.000000")
    )
    far = PlaceFactory(
        name="too far", latitude=Decimal("89.930000"), longitude=Decimal("100.000000")
    )
    for place in (across, far):
        actions.schedule_set_rules(user=staff, place=place, rules=MORNINGS)
    at = paris(2025, 3, 4, 10)
    found = selectors.open_place_distances(at, *north, 5)
    assert [pk for pk, _ in found] == [across.pk]
    assert found == _orm_answer(at, north, 5)


def test_queries(window, staff, django_assert_num_queries):
    """One statement finds the places and checks the window; loading them is the second."""
    place = _place(staff, "open, 1 km", -0.009, MORNINGS)
    at = paris(2025, 3, 4, 10)
    with django_assert_num_queries(1):
        assert [pk for pk, _ in selectors.open_place_distances(at, *CENTRE, 5)] == [place.pk]
    # Coordinates and radius as a form or the API hands them over (Decimal) work alike.
    as_decimals = [Decimal(str(CENTRE[0])), Decimal(str(CENTRE[1])), Decimal("5")]
    assert selectors.open_place_distances(at, *as_decimals) == selectors.open_place_distances(
        at, *CENTRE, 5
    )
    with django_assert_num_queries(2):
        assert [p.pk for p in selectors.open_places_near(at, *CENTRE, 5)] == [place.pk]
    # Nothing open: the window is asked on its own, to tell "none" from "outside".
    with django_assert_num_queries(2):
        assert selectors.open_places_near(paris(2025, 3, 4, 13), *CENTRE, 5) == []


def test_reads_again_when_the_window_row_appears_meanwhile(db, staff):
    """No window row when the statement runs (here: deleted after the rows were built), so
    its answer cannot be trusted; asking the window creates the default one, which covers
    the instant, and the statement is run again."""
    place = _place(staff, "open all day", -0.009, ALWAYS)
    CalendarWindow.objects.all().delete()
    at = datetime.datetime.now(tz=datetime.UTC)
    assert [pk for pk, _ in selectors.open_place_distances(at, *CENTRE, 5)] == [place.pk]
    assert CalendarWindow.objects.exists()
