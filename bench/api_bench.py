# ruff: noqa: E501
"""API benchmark: GET /api/v1/places/?near=...&open_now=true&service_kind=... (median, p95).

Usage (from the repository root):
    DEBUG=1 .venv/bin/python bench/api_bench.py --places 1000 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench DEBUG=1 \
        .venv/bin/python bench/api_bench.py --places 1000 10000

Works on a throw-away test database. Places get general hours and 4–6 offers; the
calendar rows around "now" are written directly (09:00–18:00 every day for eight days,
and for half the places an opening from an hour ago to two hours ahead),
since this measures the API's reading path, not materialisation (see calendar_bench.py).
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

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

CENTRE = (45.76, 4.85)


def generate(n: int, seed: int = 1) -> str:
    from places.models import Organisation, Place, Typology
    from places.planner import refresh_planner_statistics
    from scheduling.materialise import local_zone
    from scheduling.models import OpeningInterval, Schedule
    from services.models import Provider, ServiceKind, ServiceOffer

    rng = random.Random(seed)
    org, _ = Organisation.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "kind": "city"}
    )
    kinds = list(ServiceKind.objects.filter(active=True)[:20])
    provider, _ = Provider.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "sector": "public"}
    )
    Place.objects.bulk_create(
        [
            Place(
                slug=f"bench-{i}", name=f"Bench {i}", organisation=org, status="published",
                postcode="69003", insee_code="69383",
                latitude=Decimal(f"{CENTRE[0] + rng.uniform(-0.5, 0.5):.6f}"),
                longitude=Decimal(f"{CENTRE[1] + rng.uniform(-0.7, 0.7):.6f}"),
            )
            for i in range(n)
        ],
        batch_size=2000,
    )  # fmt: skip
    places = list(Place.objects.filter(slug__startswith="bench-"))
    epn = Typology.objects.get(code="epn")
    Place.typologies.through.objects.bulk_create(
        [Place.typologies.through(place_id=p.pk, typology_id=epn.pk) for p in places],
        batch_size=5000,
    )
    ServiceOffer.objects.bulk_create(
        [
            ServiceOffer(place=p, kind=kinds[(p.pk + j) % len(kinds)], provider=provider)
            for p in places
            for j in range(rng.randint(4, 6))
        ],
        batch_size=5000,
    )
    rules = [{"kind": "weekly", "days": [0, 1, 2, 3, 4, 5, 6], "times": ["09:00-18:00"]}]
    Schedule.objects.bulk_create([Schedule(place=p, rules=rules) for p in places], batch_size=5000)
    tz = local_zone()
    today = datetime.date.today()
    rows = []
    now = datetime.datetime.now(tz)
    for p in places:
        if p.pk % 2:  # half the places are open now, for two hours more
            rows.append(
                OpeningInterval(
                    place=p,
                    start=now - datetime.timedelta(hours=1),
                    end=now + datetime.timedelta(hours=2),
                )
            )
        for d in range(-1, 8):
            day = today + datetime.timedelta(days=d)
            start = datetime.datetime.combine(day, datetime.time(9), tzinfo=tz)
            end = datetime.datetime.combine(day, datetime.time(18), tzinfo=tz)
            rows.append(OpeningInterval(place=p, start=start, end=end))
    OpeningInterval.objects.bulk_create(rows, batch_size=5000)
    refresh_planner_statistics()
    return kinds[0].slug


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup_test_environment()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.API_RATE_LIMITS = {"anonymous": "1000000/min", "partner": "1000000/min"}
    old = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )
    try:
        from django.test import Client

        from scheduling.materialise import local_zone

        now_local = datetime.datetime.now(local_zone())
        print(
            f"database: {connection.vendor}  date: {datetime.date.today()}  cpus: {os.cpu_count()}  local time: {now_local:%H:%M}"
        )
        for n in args.places:
            with connection.cursor() as cursor:
                for table in (
                    "scheduling_openinginterval",
                    "scheduling_schedule",
                    "services_serviceoffer",
                    "places_place_typologies",
                    "places_place",
                ):
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608
            kind = generate(n)
            client = Client()
            url = f"/api/v1/places/?near={CENTRE[0]},{CENTRE[1]}&radius_km=5&open_now=true&service_kind={kind}"
            first = client.get(url)
            assert first.status_code == 200, first.content[:500]
            found = len(first.json()["results"])
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
            print(
                f"N={n} results={found} median={statistics.median(times):.1f}ms "
                f"p95={p95:.1f}ms min={times[0]:.1f}ms max={times[-1]:.1f}ms (n={len(times)})"
            )
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
