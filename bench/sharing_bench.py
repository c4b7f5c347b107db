# ruff: noqa: E501
"""Sharing benchmark: "free at T" over every shared space of a registry, with and without
accepted uses (issue #15: p95 with 50,000 uses within 2x of the same search with none).

Usage (from the repository root):
    DEBUG=1 .venv/bin/python bench/sharing_bench.py --places 10000 --uses 50000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench DEBUG=1 \
        .venv/bin/python bench/sharing_bench.py --places 10000 --uses 50000

Writes a throw-away test database directly (bulk inserts, no calendar): `--places`
published places, a shared meeting room in every `--every`-th one (the demo's sharing
rules: Tuesday and Thursday 18:00-22:00, Saturday 09:00-13:00), then times
`economics.selectors.shared_spaces(at=T)` — what /espaces/?day=&time= and
GET /api/v1/shared-spaces/?day=&time= call — `--runs` times with no use, inserts `--uses`
accepted uses spread over the shared evenings of the coming weeks (a tenth of them, at
most half the spaces, covering T), and times it again. Prints the median and p95 of each, the ratio of the p95s,
the query counts and how many spaces each search returned.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def timed(fn, runs: int):
    times, counts, sizes = [], set(), set()
    for _ in range(runs):
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            found = fn()
            times.append((time.perf_counter() - started) * 1000)
        counts.add(len(ctx.captured_queries))
        sizes.add(len(found))
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, sorted(counts), sorted(sizes)


def build(places: int, every: int) -> list[int]:
    from economics.demo import SHARE_RULES
    from economics.models import SharingOffer, Space
    from places.models import Organisation, Place

    organisation = Organisation.objects.create(slug="bench", name="Bench")
    rng = random.Random(15)
    Place.objects.bulk_create(
        [
            Place(
                organisation=organisation,
                slug=f"bench-{i}",
                name=f"Lieu {i}",
                status=Place.Status.PUBLISHED,
                postcode="69003",
                commune="Lyon",
                insee_code="69123",
                latitude=round(45.70 + rng.random() * 0.1, 6),
                longitude=round(4.80 + rng.random() * 0.1, 6),
            )
            for i in range(places)
        ],
        batch_size=2000,
    )
    ids = list(Place.objects.order_by("pk").values_list("pk", flat=True))[::every]
    Space.objects.bulk_create(
        [
            Space(place_id=pk, name="Salle", kind="meeting_room", capacity=12, visibility="public")
            for pk in ids
        ],
        batch_size=2000,
    )
    spaces = list(Space.objects.order_by("pk").values_list("pk", flat=True))
    SharingOffer.objects.bulk_create(
        [
            SharingOffer(
                space_id=pk, rules=SHARE_RULES, visibility="public", public_holidays_closed=False
            )
            for pk in spaces
        ],
        batch_size=2000,
    )
    return spaces


def add_uses(spaces: list[int], count: int, at_local: datetime.datetime, tz) -> None:
    """`count` one-hour uses on the Tuesday and Thursday evenings of the 26 weeks from T's
    week, never overlapping within a space; a tenth of them (at most half the spaces)
    cover T."""
    from economics.models import SpaceRequest, SpaceUse

    rng = random.Random(16)
    monday = at_local.date() - datetime.timedelta(days=at_local.weekday())
    evenings = [monday + datetime.timedelta(weeks=w, days=d) for w in range(26) for d in (1, 3)]
    slots = [(day, hour) for day in evenings for hour in (18, 19, 20, 21)]
    requests, uses, taken = [], [], set()
    covering = min(count // 10, len(spaces) // 2)
    while len(uses) < count:
        space = rng.choice(spaces)
        if len(uses) < covering:
            day, hour = at_local.date(), at_local.hour
        else:
            day, hour = rng.choice(slots)
        if (space, day, hour) in taken:
            continue
        taken.add((space, day, hour))
        start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=tz)
        end = start + datetime.timedelta(hours=1)
        requests.append(SpaceRequest(space_id=space, start=start, end=end, people=5, purpose="bench",
                                     name="Bench", email="bench@example.org", status="accepted"))  # fmt: skip
        uses.append((space, start, end))
    SpaceRequest.objects.bulk_create(requests, batch_size=5000)
    SpaceUse.objects.bulk_create(
        [
            SpaceUse(space_id=s, request=r, start=a, end=b)
            for (s, a, b), r in zip(uses, requests, strict=True)
        ],
        batch_size=5000,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, default=10000)
    parser.add_argument("--every", type=int, default=5, help="a shared room in every N-th place")
    parser.add_argument("--uses", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    setup_test_environment()
    old = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )
    try:
        from django.conf import settings

        from economics import selectors

        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        today = datetime.date.today()
        tuesday = today + datetime.timedelta(days=(1 - today.weekday()) % 7 or 7)
        at_local = datetime.datetime.combine(tuesday, datetime.time(19, 30))
        started = time.perf_counter()
        spaces = build(args.places, args.every)
        print(
            f"database: {connection.vendor}  date: {today}  cpus: {os.cpu_count()}  places: {args.places}  shared spaces: {len(spaces)}  built in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
        search = lambda: selectors.shared_spaces(audience="public", at=at_local)  # noqa: E731
        search()  # warm caches (rule parsing, zones)
        none = timed(search, args.runs)
        print(
            f"no use:        median {none[0]:.0f} ms, p95 {none[1]:.0f} ms, queries {none[2]}, spaces found {none[3]}",
            flush=True,
        )
        started = time.perf_counter()
        add_uses(spaces, args.uses, at_local.replace(tzinfo=tz), tz)
        print(f"{args.uses} uses inserted in {time.perf_counter() - started:.1f}s", flush=True)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        search()
        some = timed(search, args.runs)
        print(
            f"{args.uses} uses: median {some[0]:.0f} ms, p95 {some[1]:.0f} ms, queries {some[2]}, spaces found {some[3]}",
            flush=True,
        )
        print(f"p95 ratio: {some[1] / none[1]:.2f}", flush=True)
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
