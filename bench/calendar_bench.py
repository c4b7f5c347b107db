# ruff: noqa: E501
"""Calendar benchmark: materialisation, incremental rebuild, "open near a point at T".

Usage (from the repository root):
    DEBUG=1 .venv/bin/python bench/calendar_bench.py --places 1000 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench DEBUG=1 \
        .venv/bin/python bench/calendar_bench.py --places 1000 10000

Works on a throw-away test database (created and dropped by Django's test runner tools).
The naive baseline (each place's OSM string evaluated at request time) lives only here.

Figures per size: full materialisation (`rebuild_calendar --batch 50`, median of
--full-repeat runs), the nightly roll to tomorrow's window (`roll_calendar`), one edit (`schedule_set_rules` on one place: validation, save,
history, rebuild of its rows; median of 7), one place rebuilt with its offers
(`rebuild_places([pk])`, median of 7), "open near": `open_places_near` 5 km around the
centre with the places loaded for a list (median of 21) and `open_place_distances`, ids
and distances as the baseline gives them (median of 21), against the naive baseline
(median of 5), and the plan of the near statement.
"""

from __future__ import annotations

import argparse
import datetime
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
    from places.planner import refresh_planner_statistics
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
    refresh_planner_statistics()


def haversine_km(lat1, lon1, lat2, lon2) -> float:
    from places.geo import haversine_km as distance

    return distance(lat1, lon1, lat2, lon2)


def open_near(at, lat, lon, km=5.0):
    """The materialised answer, loading what a list of results shows (as the baseline does)."""
    from places.models import Place
    from scheduling.selectors import open_places_near

    columns = Place.objects.only("pk", "name", "latitude", "longitude")
    return [p.pk for p in open_places_near(at, lat, lon, km, queryset=columns)]


def open_near_ids(at, lat, lon, km=5.0):
    """The materialised answer as the baseline gives it: the ids of the places found."""
    from scheduling.selectors import open_place_distances

    return [pk for pk, _distance in open_place_distances(at, lat, lon, km)]


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
    """The plan of the statement open_place_distances runs (EXPLAIN ANALYZE on PostgreSQL)."""
    from django.db import reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()  # a full query log (9,000 entries) would leave nothing captured
    with CaptureQueriesContext(connection) as ctx:
        open_near_ids(at, *CENTRE)
    sql = ctx.captured_queries[-1]["sql"]
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql)
        plan = "\n".join(" | ".join(str(c) for c in row) for row in cursor.fetchall())
    return sql + "\n" + plan


def run(n: int, full_repeat: int = 1) -> dict:
    from django.core.management import call_command

    from places.models import Place
    from scheduling import actions
    from scheduling.materialise import current_window, rebuild_places
    from scheduling.models import OpeningInterval, Schedule

    t0 = time.perf_counter()
    generate(n)
    gen = time.perf_counter() - t0
    fulls, cpus = [], []
    for _ in range(full_repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        with open(os.devnull, "w") as devnull:
            call_command("rebuild_calendar", "--no-progress", "--batch", "50", stdout=devnull)
        fulls.append(time.perf_counter() - t0)
        # CPU of this process (Python, and SQLite which runs in-process; not the
        # PostgreSQL server): on a shared machine it moves less than wall time.
        cpus.append(time.process_time() - c0)
    rows = OpeningInterval.objects.count()
    # The nightly roll (`roll_calendar`) to tomorrow's window, then back to today's by a
    # full rebuild so the figures below read the same window as before.
    from scheduling import materialise
    from scheduling.management.commands import roll_calendar

    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    real_window = roll_calendar.default_window
    roll_calendar.default_window = lambda: materialise.default_window(tomorrow)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        with open(os.devnull, "w") as devnull:
            call_command("roll_calendar", "--no-progress", stdout=devnull)
        roll_s, roll_cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        roll_calendar.default_window = real_window
    rolled_rows = OpeningInterval.objects.count()
    with open(os.devnull, "w") as devnull:
        call_command("rebuild_calendar", "--no-progress", "--batch", "50", stdout=devnull)
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
    # The same place with its offers (~6 schedules) rebuilt alone, as after an edit.
    window = current_window()
    place_rebuild = timed(lambda: rebuild_places([place.pk], window), repeat=7)
    # a weekday morning inside the window
    at = datetime.datetime.combine(
        datetime.date.today()
        + datetime.timedelta(days=(7 - datetime.date.today().weekday()) % 7 + 1),
        datetime.time(9, 30),
        tzinfo=datetime.UTC,
    )
    # schedule bench-0 was edited: restore its OSM text for the baseline
    Schedule.objects.filter(place=place).update(osm_source=PLACE_HOURS[0])
    fast = timed(lambda: open_near(at, *CENTRE), repeat=21)
    ids = timed(lambda: open_near_ids(at, *CENTRE), repeat=21)
    slow = timed(lambda: naive_open_near(at, *CENTRE), repeat=5)
    assert fast[3] == ids[3]
    assert set(fast[3]) == set(slow[3]) or abs(len(fast[3]) - len(slow[3])) <= 1, (
        len(fast[3]),
        len(slow[3]),
    )
    return {
        "n": n, "rows": rows, "generate_s": gen, "full_rebuild_s": statistics.median(fulls),
        "roll_s": roll_s, "roll_cpu_s": roll_cpu, "rolled_rows": rolled_rows,
        "full_spread": (min(fulls), max(fulls), len(fulls)),
        "full_cpu_s": statistics.median(cpus),
        "place_ms": place_rebuild[0] * 1000,
        "place_ms_spread": (place_rebuild[1] * 1000, place_rebuild[2] * 1000),
        "edit_ms_median": statistics.median(edits) * 1000,
        "edit_ms_min": min(edits) * 1000, "edit_ms_max": max(edits) * 1000,
        "query_ms": fast[0] * 1000, "query_ms_spread": (fast[1] * 1000, fast[2] * 1000),
        "ids_ms": ids[0] * 1000, "ids_ms_spread": (ids[1] * 1000, ids[2] * 1000),
        "naive_ms": slow[0] * 1000, "ratio": slow[0] / fast[0], "ids_ratio": slow[0] / ids[0],
        "found": len(fast[3]),
        "plan": explain(at),
    }  # fmt: skip


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--full-repeat", type=int, default=3, help="Full materialisations per size (median)."
    )
    args = parser.parse_args()
    from django.test.utils import get_runner  # noqa: F401

    setup_test_environment()
    from django.conf import settings

    old = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )
    try:
        print(
            f"database: {connection.vendor}  date: {datetime.date.today()}  "
            f"cpus: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}"
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
            r = run(n, args.full_repeat)
            print(
                f"N={r['n']} rows={r['rows']} generate={r['generate_s']:.1f}s "
                f"full_rebuild={r['full_rebuild_s']:.1f}s (min {r['full_spread'][0]:.1f}, max {r['full_spread'][1]:.1f}, n={r['full_spread'][2]}, process cpu {r['full_cpu_s']:.1f}s) "
                f"nightly_roll={r['roll_s']:.1f}s (process cpu {r['roll_cpu_s']:.1f}s, rows after {r['rolled_rows']}) "
                f"place_rebuild={r['place_ms']:.1f}ms (min {r['place_ms_spread'][0]:.1f}, max {r['place_ms_spread'][1]:.1f}) "
                f"edit_median={r['edit_ms_median']:.1f}ms (min {r['edit_ms_min']:.1f}, max {r['edit_ms_max']:.1f}) "
                f"open_near_median={r['query_ms']:.2f}ms (spread {r['query_ms_spread'][0]:.2f}-{r['query_ms_spread'][1]:.2f}) "
                f"ids_median={r['ids_ms']:.2f}ms (spread {r['ids_ms_spread'][0]:.2f}-{r['ids_ms_spread'][1]:.2f}) "
                f"naive_median={r['naive_ms']:.1f}ms ratio={r['ratio']:.0f}x ids_ratio={r['ids_ratio']:.0f}x "
                f"found={r['found']}"
            )
            print(f"load average after the run: {os.getloadavg()[0]:.1f}")
            print("plan:\n" + r["plan"])
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)
        del settings


if __name__ == "__main__":
    main()
