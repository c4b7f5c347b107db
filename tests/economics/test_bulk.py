"""Bulk reads (peers, territory dashboard, coverage): same numbers as the place page, and a
number of queries that does not grow with the number of places or communes."""

import datetime
import random
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from economics import selectors
from economics.availability import hours, place_open_intervals, places_open_hours
from economics.models import Attendance, BudgetLine, OccupancyMonth
from places.geo import haversine_km
from places.models import Place
from tests.factories import PlaceFactory, ServiceOfferFactory

pytestmark = pytest.mark.django_db


def _queries(fn):
    """(result, number of queries) of fn(), counted from an empty query log."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return result, len(ctx.captured_queries)


def test_places_open_hours_matches_the_place_reading(fablab, open_all_october):
    other = PlaceFactory(organisation=fablab.organisation)  # no schedule: never open
    first, stop = datetime.date(2025, 1, 1), datetime.date(2026, 1, 1)
    expected = hours(place_open_intervals(fablab, first, stop))
    assert expected > 8000  # open day and night, October from the calendar, the rest by rules
    got, queries = _queries(
        lambda: places_open_hours(
            Place.objects.filter(pk__in=[fablab.pk, other.pk]).values("pk"), first, stop
        )
    )
    assert got == {fablab.pk: pytest.approx(expected)}
    assert queries <= 4  # window, calendar rows, schedules, exceptions


def test_bulk_figures_match_the_place_indicators(fablab, open_all_october, organisation):
    lines = [
        ("cost", "staff", "1000.10", None),
        ("cost", "premises", "500", organisation),
        ("revenue", "space_rental", "700.05", None),
        ("revenue", "subsidy_region", "900", organisation),
        ("revenue", "memberships", "10", None),
    ]
    for direction, category, amount, funder in lines:
        BudgetLine.objects.create(
            place=fablab,
            year=2025,
            direction=direction,
            category=category,
            amount=D(amount),
            funder_organisation=funder,
        )
    Attendance.objects.create(place=fablab, date=datetime.date(2025, 10, 6), visits=40)
    OccupancyMonth.objects.create(
        place=fablab, month=datetime.date(2025, 10, 1), offered_hours=D(100), used_hours=D(25)
    )
    page = selectors.place_economics(fablab, 2025)
    bulk = selectors.year_figures([fablab.pk], 2025, open_hours=True)[fablab.pk]
    for key in selectors.PEER_KEYS:
        assert bulk[key] == page.indicators[key].value, key
    assert bulk["cost_per_open_hour"] is not None and bulk["partners"] == 1
    # without the calendars, cost per open hour is left out
    assert selectors.year_figures([fablab.pk], 2025)[fablab.pk]["cost_per_open_hour"] is None


def test_peer_comparison_includes_cost_per_open_hour(fablab, open_all_october):
    peer = PlaceFactory(organisation=fablab.organisation, typologies=["fablab"])
    for place, cost in ((fablab, "7440"), (peer, "100")):
        BudgetLine.objects.create(
            place=place, year=2025, direction="cost", category="staff", amount=D(cost)
        )
    comparison = selectors.peer_comparison(fablab, 2025)
    rows = {r["key"]: r for r in comparison["rows"]}
    assert set(rows) == set(selectors.PEER_KEYS)
    assert {"cost_per_open_hour", "revenue_sources", "hhi"} <= set(rows)
    hour = rows["cost_per_open_hour"]
    assert hour["label"] == "Cost per open hour" and hour["unit"] == "EUR/h"
    # the peer has no schedule (never open): only the fablab has a cost per open hour
    assert hour["value"] is not None and hour["stats"]["n"] == 1
    assert comparison["count"] == 2


def _coworking(organisation, n: int, *, with_month: bool) -> Place:
    place = PlaceFactory(organisation=organisation, typologies=["coworking"], commune=f"C{n}")
    BudgetLine.objects.create(
        place=place, year=2025, direction="cost", category="staff", amount=D(100)
    )
    BudgetLine.objects.create(
        place=place,
        year=2025,
        direction="revenue",
        category="space_rental",
        amount=D(120),
        funder_organisation=organisation,
    )
    Attendance.objects.create(place=place, date=datetime.date(2025, 10, 6), visits=10)
    if with_month:
        grid = [[1.0] * 24 for _ in range(7)]
        OccupancyMonth.objects.create(
            place=place,
            month=datetime.date(2025, 10, 1),
            offered_hours=D(168),
            used_hours=D(42),
            heat={"offered": grid, "used": [[0.25] * 24 for _ in range(7)]},
        )
    return place


def test_dashboard_numbers_and_queries_at_two_sizes(organisation, window):
    places = Place.objects.exclude(status=Place.Status.ARCHIVED)
    for n in range(2):
        _coworking(organisation, n, with_month=True)
    few, few_queries = _queries(lambda: selectors.dashboard(places, 2025))
    for n in range(2, 12):
        _coworking(organisation, n, with_month=n % 2 == 0)
    many, many_queries = _queries(lambda: selectors.dashboard(places, 2025))
    assert few_queries == many_queries == 8
    for data, count, months in ((few, 2, 2), (many, 12, 7)):
        assert data["places"] == data["with_budget"] == count
        (group,) = data["by_typology"]
        assert (group["label"], group["places"], group["costs"], group["revenues"]) == (
            "Coworking",
            count,
            100 * count,
            120 * count,
        )
        assert group["median_balance"] == 20 and group["median_self_financing"] == D("1.2")
        assert group["occupancy"] == D("0.25")
        assert len(data["by_commune"]) == count
        assert data["heat_month"] == datetime.date(2025, 10, 1)
        assert data["heat"]["offered"][0][0] == months
        assert data["heat"]["used"][6][23] == 0.25 * months
        assert data["balances"] == [
            {"year": 2025, "costs": 100 * count, "revenues": 120 * count, "balance": 20 * count}
        ]
        assert data["revenue_mix"][0]["values"]["rentals"] == 120 * count


def _random_points(rng, n):
    return [(45.3 + rng.random() * 1.0, 4.3 + rng.random() * 1.2) for _ in range(n)]


def test_coverage_queries_constant_and_nearest_matches_brute_force(organisation, window):
    from services.models import ServiceKind

    kind = ServiceKind.objects.get(slug="caf")
    rng = random.Random(7)

    def add(points, start):
        for i, (lat, lon) in enumerate(points, start):
            place = PlaceFactory(
                organisation=organisation,
                commune=f"Commune {i}",
                insee_code=f"69{i:03d}",
                latitude=D(f"{lat:.6f}"),
                longitude=D(f"{lon:.6f}"),
            )
            ServiceOfferFactory(place=place, kind=kind)

    add(_random_points(rng, 3), 0)
    far = [
        selectors.Commune("97411", "Saint-Denis", -20.88, 55.45),  # farther than any place
        selectors.Commune("01053", "Bourg-en-Bresse", 46.205, 5.225),
    ]
    extra = far + [
        selectors.Commune(f"X{i}", f"Extra {i}", lat, lon)
        for i, (lat, lon) in enumerate(_random_points(rng, 40))
    ]
    places = Place.objects.all()
    _result, few = _queries(lambda: selectors.coverage(places, kind_slug="caf"))
    # a tight cluster (whole grid cells inside the 10 km circle) and scattered places
    cluster = [(45.745 + rng.random() * 0.01, 4.845 + rng.random() * 0.01) for _ in range(10)]
    add(_random_points(rng, 30) + cluster, 3)
    extra.append(selectors.Commune("C1", "Cluster", 45.75, 4.85))
    result, many = _queries(
        lambda: selectors.coverage(places, kind_slug="caf", extra_communes=extra)
    )
    assert few == many <= 7
    offering = [(float(p.latitude), float(p.longitude), p.name) for p in places]
    assert result["offering"] == len(offering) == 43
    assert len(result["rows"]) == 43 + len(extra)
    cluster_row = next(r for r in result["rows"] if r["commune"].name == "Cluster")
    assert cluster_row["places_within"] >= 10
    for row in result["rows"]:
        c = row["commune"]
        distances = sorted(
            (haversine_km(c.latitude, c.longitude, lat, lon), name) for lat, lon, name in offering
        )
        assert row["nearest_km"] == D(str(round(distances[0][0], 1))), c.name
        assert row["places_within"] == sum(1 for d, _n in distances if d <= 10), c.name
    assert result["rows"][0]["commune"].name == "Saint-Denis"


def test_place_detail_links_to_the_economics_page(fablab, viewer_client):
    html = viewer_client.get(reverse("manage:place_detail", args=[fablab.public_id]))
    assert html.status_code == 200
    assert reverse("economics:place", args=[fablab.public_id]) in html.content.decode()
