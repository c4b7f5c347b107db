# ruff: noqa: E501
"""Economics benchmark: territory dashboard and coverage study at 1,000 and 10,000 places.

Usage (from the repository root):
    DEBUG=1 .venv/bin/python bench/economics_bench.py --places 1000 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench DEBUG=1 \
        .venv/bin/python bench/economics_bench.py --places 1000 10000

Loads the demo registry (places, offers, materialised hours) with economics demo data into a
throw-away test database, then times the selectors as the pages call them (median of five
runs, min and max) and counts their queries (the same count on every run, or the script
says so). The coverage study runs twice: on the registry's communes, and with `--communes`
more communes (as from a CSV) on a grid over the places' bounding box.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def timed(fn, repeat=5):
    times, counts = [], set()
    for _ in range(repeat):
        # The query log is a bounded deque: empty it so the count is this run's own.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        counts.add(len(ctx.captured_queries))
    queries = counts.pop() if len(counts) == 1 else f"varies {sorted(counts)}"
    return statistics.median(times), min(times), max(times), queries


def grid_communes(places, count: int):
    """`count` made-up communes on a regular grid over the places' bounding box."""
    from django.db.models import Max, Min

    from economics.selectors import Commune

    box = places.aggregate(
        lat0=Min("latitude"), lat1=Max("latitude"), lon0=Min("longitude"), lon1=Max("longitude")
    )
    side = max(1, round(count**0.5))
    lat0, lon0 = float(box["lat0"]), float(box["lon0"])
    dlat = (float(box["lat1"]) - lat0) / side
    dlon = (float(box["lon1"]) - lon0) / side
    return [
        Commune(
            f"G{i:02d}{j:02d}", f"Grid {i}-{j}", lat0 + (i + 0.5) * dlat, lon0 + (j + 0.5) * dlon
        )
        for i in range(side)
        for j in range(side)
    ][:count]


def run(n: int, seed: int, communes: int) -> dict:
    from economics import selectors
    from economics.demo import load_economics_demo
    from places.models import Place
    from scheduling.demo import load_demo

    started = time.perf_counter()
    load_demo(places=n, seed=seed, fast=True, rebuild=True)
    load_economics_demo(seed=seed)
    generate = time.perf_counter() - started
    places = Place.objects.all()
    year = datetime.date.today().year - 1
    dash = timed(lambda: selectors.dashboard(places, year))
    cov = timed(lambda: selectors.coverage(places, profile="mediation"))
    extra = grid_communes(places, communes)
    rows = len(selectors.coverage(places, profile="mediation", extra_communes=extra)["rows"])
    cov_extra = timed(lambda: selectors.coverage(places, profile="mediation", extra_communes=extra))
    return {
        "n": places.count(),
        "generate_s": generate,
        "dashboard": dash,
        "coverage": cov,
        "coverage_extra": cov_extra,
        "communes": rows,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--communes", type=int, default=300)
    args = parser.parse_args()
    setup_test_environment()
    old = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )
    try:
        print(
            f"database: {connection.vendor}  date: {datetime.date.today()}  cpus: {os.cpu_count()}"
        )
        for n in args.places:
            r = run(n, args.seed, args.communes)
            d, c, e = r["dashboard"], r["coverage"], r["coverage_extra"]
            print(
                f"N={r['n']} generate={r['generate_s']:.1f}s "
                f"dashboard={d[0]:.0f}ms (min {d[1]:.0f}, max {d[2]:.0f}) queries={d[3]} "
                f"coverage={c[0]:.0f}ms (min {c[1]:.0f}, max {c[2]:.0f}) queries={c[3]} "
                f"coverage+{args.communes} communes ({r['communes']} rows)={e[0]:.0f}ms "
                f"(min {e[1]:.0f}, max {e[2]:.0f}) queries={e[3]}",
                flush=True,
            )
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
