# ruff: noqa: E402, E501
"""Free-text search benchmark: exact words, close spellings and the search page.

Usage (from the repository root):
    .venv/bin/python bench/textsearch_bench.py --places 1000 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench \
        .venv/bin/python bench/textsearch_bench.py --places 1000 100000

Works on a throw-away test database. Places only (no offers or hours are needed to
search words), laid out at constant density by bench/scale_data.py: the demo's
1,000-place tile repeated on a grid of distinct areas, so a word found in 70 places of one
tile is found in 7,000 at 100,000 places (a search with no location matches nationally).
For each size, in one run: `places.textsearch.matching` and `close_spelling` (the count
up to 1,000 and the 20 most relevant, as the page asks: decision 0035), and the
residents' search page with `q` only. Median and p95 over `--requests` runs cycling
through the words; result counts printed (">1000" when past the page's cap).
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
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")

import django

django.setup()

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment

from bench import scale_data

CAP = 1000  # directory.search.RESULT_COUNT_CAP

EXACT = [["maison", "quartier"], ["mediatheque"], ["espace", "numerique"]]
CLOSE = [["mediatheque", "tileuls"], ["mediateque"], ["fablab", "filatrue"]]
PAGES = ["maison+quartier", "mediatheque+tileuls", "espace+numerique", "aide+CAF"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(calls) -> tuple[list[float], list]:
    times, answers = [], []
    for call in calls:
        start = time.perf_counter()
        answers.append(call())
        times.append((time.perf_counter() - start) * 1000)
    return times, answers


def load(n: int, seed: int) -> None:
    scale_data.load_tiles(n, seed, places_only=True)


def run(n: int, requests: int, seed: int) -> dict:
    from places import textsearch
    from places.models import Place

    started = time.perf_counter()
    load(n, seed)
    load_s = time.perf_counter() - started
    places = Place.objects.all()

    def capped_count(found):
        count = found.order_by()[: CAP + 1].count()
        return f">{CAP}" if count > CAP else count

    def page(found):
        return lambda: (capped_count(found), list(found.order_by("-text_rank", "name")[:20]))

    out = {"n": n, "load_s": load_s}
    for name, words_list, reader in (
        ("exact words", EXACT, textsearch.matching),
        ("close spellings", CLOSE, textsearch.close_spelling),
    ):
        calls = []
        for i in range(requests):
            words = words_list[i % len(words_list)]
            calls.append(page(reader(places, words)))
        timed(calls[: len(words_list)])  # warm-up
        times, answers = timed(calls)
        out[name] = (
            times,
            sorted(
                {
                    (tuple(w), a[0])
                    for w, a in zip(
                        [words_list[i % len(words_list)] for i in range(requests)],
                        answers,
                        strict=True,
                    )
                }
            ),
        )
    client = Client()
    urls = [f"/lieux/?q={PAGES[i % len(PAGES)]}" for i in range(requests)]
    timed([lambda u=u: client.get(u) for u in urls[: len(PAGES)]])
    times, responses = timed([lambda u=u: client.get(u) for u in urls])
    assert all(r.status_code == 200 for r in responses)
    counts = sorted(
        {
            (
                u,
                len(r.context["cards"]),
                f">{CAP}"
                if r.context["page"].paginator.capped
                else r.context["page"].paginator.count,
            )
            for u, r in zip(urls, responses, strict=True)
        }
    )
    out["search page (q only)"] = (times, counts)
    return out


def line(name: str, values: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms "
        f"(n={len(values)})"
    )


KEYS = [
    "exact words",
    "close spellings",
    "search page (q only)",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--requests", type=int, default=120)
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
            f"database: {connection.vendor}  date: {datetime.date.today()}  cpus: {os.cpu_count()}  "
            f"load average: {os.getloadavg()[0]:.1f}"
        )
        for n in args.places:
            r = run(n, args.requests, args.seed)
            results.append(r)
            print(f"N={n} load={r['load_s']:.0f}s load average now {os.getloadavg()[0]:.1f}")
            for key in KEYS:
                times, counts = r[key]
                print("  " + line(key, times))
                print(f"    results: {counts}", flush=True)
        if len(results) > 1:
            small, large = results[0], results[-1]
            for key in KEYS:
                ratio = percentile(large[key][0], 0.95) / percentile(small[key][0], 0.95)
                print(f"ratio {key} p95 N={large['n']} / N={small['n']}: {ratio:.2f}x")
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
