"""Coverage by commune, population and time of week on the hand-built territory."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from territory import selectors
from territory.coverage import ConditionError, NearestIndex, Subject, instants

from .conftest import MONDAY, lat_at

CAF = Subject("kind", "caf")


def distances(result):
    return {r.name: r.distance_km for r in result.rows}


def run(subject=CAF, time="any", radius_km=10, **kwargs):
    return selectors.coverage(
        subject, time, department="01", radius_km=radius_km, on=MONDAY, **kwargs
    )


def test_saturday_morning_is_the_coming_saturday_at_9_10_and_11(window):
    found = instants("saturday_morning", on=MONDAY, department="01")
    assert [m.isoformat() for m in found] == [
        "2025-10-11T07:00:00+00:00",
        "2025-10-11T08:00:00+00:00",
        "2025-10-11T09:00:00+00:00",
    ]


def test_an_overseas_department_is_read_on_its_own_clock(window):
    found = instants("saturday_morning", on=MONDAY, department="974")  # UTC+4
    assert [m.isoformat() for m in found] == [
        "2025-10-11T05:00:00+00:00",
        "2025-10-11T06:00:00+00:00",
        "2025-10-11T07:00:00+00:00",
    ]


def test_school_holidays_are_the_department_zones_first_five_weekdays(window):
    found = instants("school_holidays", on=MONDAY, department="01")  # zone A
    assert sorted({m.date().isoformat() for m in found}) == [
        "2025-10-20",
        "2025-10-21",
        "2025-10-22",
        "2025-10-23",
        "2025-10-24",
    ]


def test_a_time_outside_the_calendar_says_so(window):
    with pytest.raises(ConditionError, match="2025-10-01 to 2025-11-01"):
        instants("saturday_morning", on=window.end)


@pytest.mark.django_db
def test_any_time_counts_both_desks(territory):
    result = run(time="any")
    assert distances(result) == {
        "Alpha": 0.0,
        "Beta": 3.0,
        "Gamma": 8.0,
        "Delta": 11.0,  # the Saturday desk, 26 km north of Alpha
        "Epsilon": 4.0,
    }
    assert result.population_beyond(10) == 50
    assert result.population_beyond(5) == 500 + 50
    assert result.population_beyond(20) == 0


@pytest.mark.django_db
def test_a_desk_open_only_on_weekdays_does_not_cover_saturday_morning(territory):
    result = run(time="saturday_morning")
    assert distances(result) == {
        "Alpha": 26.0,
        "Beta": 23.0,
        "Gamma": 18.0,
        "Delta": 11.0,
        "Epsilon": 4.0,
    }
    assert result.population_beyond(10) == 1000 + 200 + 500 + 50
    assert [r.name for r in result.worst_served()] == ["Alpha", "Gamma", "Beta", "Delta"]
    assert result.worst_served()[0].nearest == "Guichet du samedi"


@pytest.mark.django_db
def test_weekdays_and_school_holidays_leave_out_the_saturday_desk(territory):
    for time in ("weekdays", "school_holidays"):
        result = run(time=time)
        assert distances(result) == {
            "Alpha": 0.0,
            "Beta": 3.0,
            "Gamma": 8.0,
            "Delta": 15.0,
            "Epsilon": 30.0,
        }, time
        assert result.population_beyond(10) == 57
        assert result.population_beyond(20) == 7


@pytest.mark.django_db
def test_nobody_is_covered_in_the_evening(territory):
    result = run(time="evenings")
    assert set(distances(result).values()) == {None}
    assert result.population_beyond(20) == result.population == 1757


@pytest.mark.django_db
def test_a_chosen_radius_is_one_of_the_bands(territory):
    result = run(time="weekdays", radius_km=12)
    assert result.bands == [
        (5, 500 + 57, 3),
        (10, 57, 2),
        (12, 57, 2),
        (20, 7, 1),
    ]


@pytest.mark.django_db
def test_typology_and_profile_follow_the_places_general_hours(territory):
    france_services = Subject("typology", "france_services")
    assert distances(run(france_services, "weekdays"))["Epsilon"] == 30.0
    assert set(distances(run(france_services, "saturday_morning")).values()) == {None}
    epn = Subject("typology", "epn")
    assert distances(run(epn, "saturday_morning"))["Alpha"] == 26.0


@pytest.mark.django_db
def test_a_place_not_published_does_not_count(territory):
    saturday = territory["saturday"]
    saturday.status = "draft"
    saturday.save()
    assert set(distances(run(time="saturday_morning")).values()) == {None}


@pytest.mark.django_db
def test_queries_do_not_grow_with_places_or_communes(territory, registry_admin, organisation):
    from .conftest import caf_place

    epn = Subject("typology", "epn")
    with CaptureQueriesContext(connection) as small:
        run(time="saturday_morning")
    with CaptureQueriesContext(connection) as small_typology:
        run(epn, time="saturday_morning")
    for n in range(5):
        caf_place(
            registry_admin,
            organisation,
            name=f"Autre {n}",
            km=40 + n,
            days=[5],
            times=["09:00-12:00"],
        )
    from territory.models import Commune

    for n in range(20):
        Commune.objects.create(
            insee_code=f"01{100 + n}",
            name=f"C{n}",
            department="01",
            population=n,
            latitude=lat_at(50 + n),
            longitude=5.0,
            source="test",
            recorded_on=MONDAY,
        )
    with CaptureQueriesContext(connection) as large:
        result = run(time="saturday_morning")
    assert len(result.rows) == 25
    assert len(large) == len(small) <= 3
    # A profile or a typology reads the calendar window once more per sampled instant.
    with CaptureQueriesContext(connection) as large_typology:
        run(epn, time="saturday_morning")
    assert len(large_typology) == len(small_typology) <= 3 + 3


def test_the_grid_finds_the_true_nearest_point():
    import random

    from places.geo import haversine_km

    rng = random.Random(7)
    points = [(rng.uniform(42, 51), rng.uniform(-4, 8), n) for n in range(400)]
    index = NearestIndex(points)
    for _ in range(300):
        lat, lon = rng.uniform(42, 51), rng.uniform(-4, 8)
        best = min((haversine_km(lat, lon, a, b), key) for a, b, key in points)
        found = index.nearest(lat, lon, max_km=1000)
        assert found == best or (best[0] > 1000 and found is None)
    assert NearestIndex([]).nearest(45, 5) is None
    assert NearestIndex([(45.0, 5.0, "a")]).nearest(47.0, 5.0, max_km=100) is None


@pytest.mark.django_db
def test_the_region_command_prints_the_bands_and_writes_every_commune(territory, tmp_path):
    import csv

    from django.core.management import call_command

    out = tmp_path / "region.csv"
    from io import StringIO

    stdout = StringIO()
    call_command(
        "territory_coverage",
        f"--on={MONDAY.isoformat()}",
        region="84",
        subject="kind:caf",
        time="weekdays",
        radius=10,
        csv=str(out),
        stdout=stdout,
    )
    assert "beyond 10 km: 57 residents in 2 communes (of 1757 residents, 5 communes)" in (
        stdout.getvalue()
    )
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["commune"], r["nearest_km"]) for r in rows][-1] == ("Epsilon", "30.0")
