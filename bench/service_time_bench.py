# ruff: noqa: E402, E501
"""Need + time: service-level matching against the place-level query it replaced.

Usage (from the repository root):
    .venv/bin/python bench/service_time_bench.py --places 10000 100000 --runs 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench \
        .venv/bin/python bench/service_time_bench.py --places 10000

Works on a throw-away test database. Data: the demo generator (fast path, calendar
materialised). The demo draws every place in one invented metropolis, so the density grows
with the registry: the radius shrinks as 1/sqrt(places) to keep about the same number of
results per search at every size. For each size, in one run, interleaved, `--runs` times:

- place-level (before): published places within the radius that have a live offer of the
  need's kinds and whose general hours are open at T (`open_places`, narrowed);
- service-level (now): the same places where such an offer is available at T
  (`places_offering_at`).

Each is evaluated to a list of ids (the SQL cost of the search page's filter); result
counts are printed, and the medians, p95 and their ratio.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django

django.setup()

from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import setup_test_environment
from django.utils import timezone

KINDS = {"demarches-en-ligne", "numerique-bases"}
BASE_RADIUS_KM = 6.0  # at 1,000 places
CENTRE = (45.76, 4.85)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(n: int, runs: int, seed: int) -> dict:
    from bench.directory_bench import fixed_now
    from directory.geo import within
    from places.models import Place
    from scheduling.demo import load_demo
    from scheduling.selectors import open_places, places_offering_at
    from services.selectors import available_offers

    started = time.perf_counter()
    load_demo(places=n, seed=seed, fast=True, rebuild=True)
    load_s = time.perf_counter() - started
    radius = BASE_RADIUS_KM * math.sqrt(1000 / n)
    at = fixed_now()
    offers = available_offers(on=timezone.localdate(at)).filter(kind__slug__in=KINDS)
    base = within(Place.objects.filter(status=Place.Status.PUBLISHED), *CENTRE, radius_km=radius)

    def place_level():
        with_offer = base.filter(Exists(offers.filter(place_id=OuterRef("pk"))))
        return list(open_places(at, with_offer, narrowed=True).values_list("pk", flat=True))

    def service_level():
        return list(places_offering_at(at, base, offers).values_list("pk", flat=True))

    counts = {"place": len(place_level()), "service": len(service_level())}
    times = {"place": [], "service": []}
    for index in range(runs):
        order = (("place", place_level), ("service", service_level))
        for name, query in order if index % 2 == 0 else reversed(order):
            start = time.perf_counter()
            query()
            times[name].append((time.perf_counter() - start) * 1000)
    return {"n": n, "load_s": load_s, "radius": radius, "counts": counts, "times": times}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"database: {connection.vendor}")
        for n in args.places:
            result = run(n, args.runs, args.seed)
            p, s = result["times"]["place"], result["times"]["service"]
            print(
                f"{n} places (loaded in {result['load_s']:.0f} s), radius {result['radius']:.2f} km, "
                f"results place-level {result['counts']['place']}, service-level {result['counts']['service']}"
            )
            for name, values in (("place-level", p), ("service-level", s)):
                print(
                    f"  {name:14} median {statistics.median(values):7.2f} ms  p95 {percentile(values, 0.95):7.2f} ms"
                )
            print(
                f"  ratio service/place: median {statistics.median(s) / statistics.median(p):.2f}, "
                f"p95 {percentile(s, 0.95) / percentile(p, 0.95):.2f}",
                flush=True,
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
