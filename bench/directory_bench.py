# ruff: noqa: E402, E501
"""Directory benchmark: server time of the search page and of a place page.

Usage (from the repository root):
    .venv/bin/python bench/directory_bench.py --places 1000 10000 --requests 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench \
        .venv/bin/python bench/directory_bench.py --places 1000 10000

Works on a throw-away test database. Data: the demo generator (scheduling.demo.load_demo,
fast path: bulk inserts then the calendar is materialised). Each request goes through the
whole Django stack in-process with the test Client (middleware, view, queries, template
rendering; no network, no web server), with DEBUG off and "now" fixed on a weekday at
10:30 inside the calendar window. The search is "open now + within 5 km of the demo's
centre + a need"; place pages are drawn at random among published places. The free-text
search cycles through TEXT_QUERIES (a vocabulary word, plain words of names, a misspelt
name that takes the close-spelling path), with no other filter.
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
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone

NEED = "demarches-en-ligne"
TEXT_QUERIES = ["aide+CAF", "maison+quartier", "mediatheque+tileuls", "imprimer+un+document"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_gets(client: Client, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def fixed_now() -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() > 3:  # a Monday to Thursday
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 30)))


def run(n: int, requests: int, seed: int) -> dict:
    from django.db.models import Avg

    from places.models import Place
    from scheduling import status
    from scheduling.demo import load_demo
    from scheduling.models import OpeningInterval

    started = time.perf_counter()
    load_demo(places=n, seed=seed, fast=True, rebuild=True)
    load_s = time.perf_counter() - started
    published = Place.objects.filter(status=Place.Status.PUBLISHED)
    centre = published.aggregate(lat=Avg("latitude"), lon=Avg("longitude"))
    now = fixed_now()
    status.clock = lambda: now
    client = Client()
    search_url = (
        f"/lieux/?open=now&lat={float(centre['lat']):.5f}&lon={float(centre['lon']):.5f}"
        f"&radius=5&need={NEED}"
    )
    found = client.get(search_url)
    count_line = found.content.decode().split('class="result-count">')[1].split("\n")[1].strip()
    slugs = list(published.values_list("slug", flat=True))
    rng = random.Random(seed)
    place_urls = [f"/lieux/{rng.choice(slugs)}/" for _ in range(requests)]
    timed_gets(client, [search_url] * 10 + place_urls[:10])  # warm-up
    search_ms = timed_gets(client, [search_url] * requests)
    place_ms = timed_gets(client, place_urls)
    text_urls = [f"/lieux/?q={TEXT_QUERIES[i % len(TEXT_QUERIES)]}" for i in range(requests)]
    timed_gets(client, text_urls[:8])  # warm-up
    text_ms = timed_gets(client, text_urls)
    return {
        "n": n,
        "published": len(slugs),
        "rows": OpeningInterval.objects.count(),
        "load_s": load_s,
        "found": count_line,
        "search": search_ms,
        "place": place_ms,
        "text": text_ms,
    }


def line(name: str, values: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms, "
        f"min {min(values):.1f}, max {max(values):.1f} (n={len(values)})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=200)
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
    results = []
    try:
        print(
            f"database: {connection.vendor}  date: {datetime.date.today()}  cpus: {os.cpu_count()}"
        )
        for n in args.places:
            r = run(n, args.requests, args.seed)
            results.append(r)
            print(
                f"N={r['n']} published={r['published']} calendar_rows={r['rows']} "
                f"load={r['load_s']:.0f}s search_found='{r['found']}'"
            )
            print("  " + line("search (open now + 5 km + need)", r["search"]))
            print("  " + line("place page", r["place"]))
            print("  " + line("free-text search", r["text"]), flush=True)
        if len(results) > 1:
            small, large = results[0], results[-1]
            for key in ("search", "place", "text"):
                ratio = statistics.median(large[key]) / statistics.median(small[key])
                print(f"ratio {key} median N={large['n']} / N={small['n']}: {ratio:.2f}x")
            ratio = percentile(large["text"], 0.95) / percentile(small["text"], 0.95)
            print(f"ratio text p95 N={large['n']} / N={small['n']}: {ratio:.2f}x")
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
