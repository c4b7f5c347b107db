# ruff: noqa: E402, E501
"""Signage benchmark: server time of a place's sheet and poster PDFs (and the HTML sheet).

Usage (from the repository root):
    .venv/bin/python bench/signage_bench.py --places 300 --requests 60
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench \
        .venv/bin/python bench/signage_bench.py --places 300

Works on a throw-away test database filled by the demo generator (scheduling.demo.load_demo,
fast path). Each request goes through the whole Django stack in-process with the test
Client (middleware, view, the agenda's queries, segno, fpdf2; no network, no web server),
DEBUG off, "now" fixed on a weekday at 10:30 inside the calendar window. Half the requests
ask for the published place with the most services (the longest sheet), half for places
drawn at random.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
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

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_gets(client: Client, urls: list[str]) -> tuple[list[float], list[int]]:
    times, sizes = [], []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        sizes.append(len(response.content))
    return times, sizes


def fixed_now() -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() > 3:  # a Monday to Thursday
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 30)))


def line(name: str, values: list[float], sizes: list[int]) -> str:
    return (
        f"{name}: median {statistics.median(values):.1f} ms, "
        f"p95 {percentile(values, 0.95):.1f} ms, max {max(values):.1f} ms "
        f"(n={len(values)}), size {min(sizes) // 1024}-{max(sizes) // 1024} KiB"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=300)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    setup_test_environment()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    old = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )
    try:
        from places.models import Place
        from scheduling import status
        from scheduling.demo import load_demo

        print(
            f"database: {connection.vendor}  date: {datetime.date.today()}  cpus: {os.cpu_count()}"
        )
        load_demo(places=args.places, seed=args.seed, fast=True, rebuild=True)
        now = fixed_now()
        status.clock = lambda: now
        published = Place.objects.filter(status=Place.Status.PUBLISHED)
        busiest = published.annotate(n=Count("offers")).order_by("-n", "pk").first()
        slugs = list(published.values_list("slug", flat=True))
        rng = random.Random(args.seed)
        chosen = [busiest.slug if k % 2 == 0 else rng.choice(slugs) for k in range(args.requests)]
        print(
            f"places={args.places} published={len(slugs)} busiest={busiest.slug} ({busiest.n} services)"
        )
        client = Client()
        for name, path in (
            ("sheet PDF", "fiche.pdf"),
            ("poster PDF", "affiche.pdf"),
            ("sheet HTML", "fiche/"),
        ):
            urls = [f"/lieux/{slug}/{path}" for slug in chosen]
            timed_gets(client, urls[:5])  # warm-up
            times, sizes = timed_gets(client, urls)
            print("  " + line(name, times, sizes), flush=True)
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
