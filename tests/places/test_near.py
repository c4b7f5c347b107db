"""places_near: a bounding box in SQL, exact distance in Python."""

from __future__ import annotations

from decimal import Decimal

import pytest

from places.geo import bounding_box, haversine_km
from places.models import Place
from places.selectors import places_near
from tests.factories import PlaceFactory

BELLECOUR = (45.7578, 4.8320)


def test_haversine_known_distance():
    # Lyon Bellecour to Paris Notre-Dame, about 392 km as the crow flies.
    assert haversine_km(*BELLECOUR, 48.8530, 2.3499) == pytest.approx(392, abs=2)
    assert haversine_km(*BELLECOUR, *BELLECOUR) == 0


def test_bounding_box_contains_the_circle():
    min_lat, max_lat, min_lon, max_lon = bounding_box(*BELLECOUR, 5)
    for lat, lon in [(min_lat, BELLECOUR[1]), (max_lat, BELLECOUR[1])]:
        assert haversine_km(*BELLECOUR, lat, lon) > 5
    for lon in (min_lon, max_lon):
        assert haversine_km(*BELLECOUR, BELLECOUR[0], lon) > 5


def test_bounding_box_near_a_pole_or_the_antimeridian_drops_longitude():
    assert bounding_box(89.99, 0, 5)[2:] == (None, None)
    assert bounding_box(0, 179.99, 5)[2:] == (None, None)


@pytest.mark.django_db
def test_places_near_filters_sorts_and_annotates():
    def at(lat, lon, name):
        return PlaceFactory(
            name=name, latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lon:.6f}")
        )

    far = at(BELLECOUR[0] + 0.2, BELLECOUR[1], "far")  # 22 km north
    corner = at(BELLECOUR[0] + 0.04, BELLECOUR[1] + 0.055, "corner")  # in the box, ~6 km
    near = at(BELLECOUR[0] + 0.01, BELLECOUR[1], "near")  # 1.1 km
    at(BELLECOUR[0], BELLECOUR[1] + 0.005, "nearer")  # 0.4 km
    PlaceFactory(name="nowhere", latitude=None, longitude=None)

    found = places_near(Place.objects.all(), *BELLECOUR, 5)

    assert [p.name for p in found] == ["nearer", "near"]
    assert found[0].distance_km == pytest.approx(0.39, abs=0.01)
    assert haversine_km(*BELLECOUR, float(corner.latitude), float(corner.longitude)) > 5
    assert far not in found
    only_near = places_near(Place.objects.filter(name="near"), *BELLECOUR, 5)
    assert [p.pk for p in only_near] == [near.pk]
