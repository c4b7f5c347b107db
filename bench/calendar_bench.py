# ruff: noqa: E501
"""Calendar benchmark: materialisation, incremental rebuild, "open near a point at T".

Usage (from the repository root):
    DEBUG=1 .venv/bin/python bench/calendar_bench.py --places 1000 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench DEBUG=1 \
        .venv/bin/python bench/calendar_bench.py --places 1000 10000

Works on a throw-away test database (created and dropped by Django's test runner tools).
The naive baseline (each place's OSM string evaluated at request time) lives only here.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

import opening_hours  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

PLACE_HOURS = [
    "Mo-Fr 09:00-12:00,14:00-18:00; PH off",
    "Tu-Sa 10:00-19:00; PH off",
    "Mo-Fr 08:30-17:30; Sa 09:00-12:00; PH off",
    "Mo,We,Fr 14:00-18:00; Sa[1] 10:00-12:00; PH off",
    "Mo-Su 07:00-22:00",
]
OFFER_HOURS = [
    "Tu 14:00-17:00",
    "Th 09:00-12:00",
    "Mo,Fr 10:00-12:00",
    "We 14:00-16:00",
    "Sa[1] 10:00-12:00",
]
CENTRE = (45.76, 4.85)


def generate(n: int, seed: int = 1) -> None:
    """N places around Lyon, each with general hours and about five offers with slots."""
    from places.models import Organisation, Place
    from scheduling.models import Schedule
    from services.models import Provider, ServiceKind, ServiceOffer

    rng = random.Random(seed)
    org, _ = Organisation.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "kind": "city"}
    )
    kinds = list(ServiceKind.objects.filter(active=True)[:20])
    provider, _ = Provider.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "sector": "public"}
    )
    places = [
        Place(
            slug=f"bench-{i}", name=f"Bench {i}", organisation=org, status="published",
            postcode="69003", insee_code="69383",
            latitude=Decimal(f"{CENTRE[0] + rng.uniform(-0.5, 0.5):.6f}"),
            longitude=Decimal(f"{CENTRE[1] + rng.uniform(-0.7, 0.7):.6f}"),
        )
        for i in range(n)
    ]  # fmt: skip
    Place.objects.bulk_create(places, batch_size=2000)
    places = list(Place.objects.filter(slug__startswith="bench-"))
    offers = [
        ServiceOffer(place=p, kind=kinds[(p.pk + j) % len(kinds)], provider=provider)
        for p in places
        for j in range(rng.randint(4, 6))
    ]
    ServiceOffer.objects.bulk_create(offers, batch_size=5000)
    schedules = [Schedule(place=p, mode="osm", osm_source=rng.choice(PLACE_HOURS)) for p in places]
    schedules += [
        Schedule(offer=o, mode="osm", osm_source=rng.choice(OFFER_HOURS))
        for o in ServiceOffer.objects.filter(place__slug__startswith="bench-")
    ]
    Schedule.objects.bulk_create(schedules, batch_size=5000)
    # Turn every schedule into rules the way the import action does, without history rows.
    from scheduling.osm import parse_rules
    from scheduling.rules import rules_from_data

    for chunk_start in range(0, Schedule.objects.count(), 5000):
        batch = list(Schedule.objects.order_by("pk")[chunk_start : chunk_start + 5000])
        for schedule in batch:
            imported = parse_rules(schedule.osm_source)
            schedule.mode = "rules"
            schedule.rules = [r.to_dict() for r in rules_from_data(imported.rules)]
            schedule.public_holidays = imported.public_holidays
        Schedule.objects.bulk_update(batch, ["mode", "rules", "public_holidays"])


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    r = 6371.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def open_near(at, lat, lon, km=5.0):
    from places.models import Place
    from scheduling.selectors import open_places

    dlat = km / 111.0
    dlon = km / (111.0 * math.cos(math.radians(lat)))
    box = Place.objects.filter(
        latitude__range=(lat - dlat, lat + dlat), longitude__range=(lon - dlon, lon + dlon)
    )
    rows = open_places(at, box).values_list("pk", "latitude", "longitude")
    return [pk for pk, la, lo in rows if haversine_km(lat, lon, float(la), float(lo)) <= km]


def naive_open_near(at, lat, lon, km=5.0):
    """Baseline: every place's OSM string evaluated with the library, then distance."""
    from scheduling.models import Schedule

    local = at.astimezone(datetime.timezone(datetime.timedelta(hours=1))).replace(tzinfo=None)
    out = []
    for place_id, text, la, lo in Schedule.objects.filter(place__isnull=False).values_list(
        "place_id", "osm_source", "place__latitude", "place__longitude"
    ):
        is_open = opening_hours.OpeningHours(text, country="FR").is_open(local)
        if is_open and haversine_km(lat, lon, float(la), float(lo)) <= km:
            out.append(place_id)
    return out


def timed(fn, repeat=5):
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times), result


def explain(at):
    from scheduling.selectors import open_places

    sql, params = open_places(at).values("pk").query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())


def run(n: int) -> dict:
    from django.core.management import call_command

    from places.models import Place
    from scheduling import actions
    from scheduling.models import OpeningInterval, Schedule

    t0 = time.perf_counter()
    generate(n)
    gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        call_command("rebuild_calendar", "--no-progress", "--batch", "50", stdout=devnull)
    full = time.perf_counter() - t0
    rows = OpeningInterval.objects.count()
    place = Place.objects.filter(slug="bench-0").get()
    schedule = Schedule.objects.get(place=place)
    edits = []
    for i in range(7):
        t1 = time.perf_counter()
        actions.schedule_set_rules(
            user=None, place=place,
            rules=[{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": [f"09:{i:02d}-12:00", "14:00-18:00"]}],
            expected_version=schedule.version + i,
        )  # fmt: skip
        edits.append(time.perf_counter() - t1)
    # a weekday morning inside the window
    at = datetime.datetime.combine(
        datetime.date.today()
        + datetime.timedelta(days=(7 - datetime.date.today().weekday()) % 7 + 1),
        datetime.time(9, 30),
        tzinfo=datetime.UTC,
    )
    # schedule bench-0 was edited: restore its OSM text for the baseline
    Schedule.objects.filter(place=place).update(osm_source=PLACE_HOURS[0])
    fast = timed(lambda: open_near(at, *CENTRE))
    slow = timed(lambda: naive_open_near(at, *CENTRE), repeat=3)
    assert set(fast[3]) == set(slow[3]) or abs(len(fast[3]) - len(slow[3])) <= 1, (
        len(fast[3]),
        len(slow[3]),
    )
    return {
        "n": n, "rows": rows, "generate_s": gen, "full_rebuild_s": full,
        "edit_ms_median": statistics.median(edits) * 1000,
        "edit_ms_min": min(edits) * 1000, "edit_ms_max": max(edits) * 1000,
        "query_ms": fast[0] * 1000, "query_ms_spread": (fast[1] * 1000, fast[2] * 1000),
        "naive_ms": slow[0] * 1000, "ratio": slow[0] / fast[0], "found": len(fast[3]),
        "plan": explain(at),
    }  # fmt: skip


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    from django.test.utils import get_runner  # noqa: F401

    setup_test_environment()
    from django.conf import settings

    old = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        print(
            f"database: {connection.vendor}  date: {datetime.date.today()}  cpus: {os.cpu_count()}"
        )
        for n in args.places:
            from django.db import connection as c

            with c.cursor() as cursor:
                for table in (
                    "scheduling_openinginterval",
                    "scheduling_scheduleexception",
                    "scheduling_schedule",
                    "services_serviceoffer",
                    "places_changerecord",
                ):
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608
                cursor.execute("DELETE FROM places_place_typologies")
                cursor.execute("DELETE FROM places_place WHERE slug LIKE 'bench-%%'" if c.vendor == "postgresql" else "DELETE FROM places_place WHERE slug LIKE 'bench-%'")  # fmt: skip
            r = run(n)
            print(
                f"N={r['n']} rows={r['rows']} generate={r['generate_s']:.1f}s "
                f"full_rebuild={r['full_rebuild_s']:.1f}s "
                f"edit_median={r['edit_ms_median']:.1f}ms (min {r['edit_ms_min']:.1f}, max {r['edit_ms_max']:.1f}) "
                f"open_near_median={r['query_ms']:.2f}ms (spread {r['query_ms_spread'][0]:.2f}-{r['query_ms_spread'][1]:.2f}) "
                f"naive_median={r['naive_ms']:.1f}ms ratio={r['ratio']:.0f}x found={r['found']}"
            )
            print("plan:\n" + r["plan"])
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)
        del settings


if __name__ == "__main__":
    main()
