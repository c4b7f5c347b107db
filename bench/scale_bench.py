# ruff: noqa: E402, E501
"""Scale benchmark at constant density: search page, API, place page and the SQL floor.

Usage (from the repository root):
    .venv/bin/python bench/scale_bench.py --places 1000 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lp_bench \
        .venv/bin/python bench/scale_bench.py --places 1000 10000 100000

Works on a throw-away test database. Data: bench/scale_data.py, the demo's 1,000-place
metropolis repeated on a grid of distinct areas (places, offers, hours, exceptions; the
calendar materialised), so a search around tile 0's centre finds the same places at every
size. "Now" is fixed on a Monday-to-Thursday at 10:30 inside the calendar window. Each
request goes through the whole Django stack in-process with the test Client (DEBUG off,
no web server). In one run, interleaved (one of each per round, `--requests` rounds after
10 warm-up rounds):

- search page: `/lieux/?open=now&lat=…&lon=…&radius=5&need=demarches-en-ligne`;
- API: `/api/v1/places/?near=…&radius_km=5&open_now=true&service_kind=demarches-en-ligne,numerique-bases`
  (the need's two kinds: the same question as the page);
- place page: a published place drawn at random among every tile's;
- SQL floor: FLOOR_SQL below, the best single statement we could write for the API's
  answer (the same ids in the same order, checked), run on a raw cursor.

Medians and p95 in ms, result counts printed; `--text` adds free-text search pages
(`q` only, no location: they match places of every tile).
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

from bench import scale_data

NEED = "demarches-en-ligne"
KINDS = ("demarches-en-ligne", "numerique-bases")
RADIUS_KM = 5.0
PAGE_SIZE = 100  # the API's default page
TEXT_QUERIES = ["maison+quartier", "mediatheque+tileuls", "espace+numerique", "aide+CAF"]

# The API's answer in one statement: published places in the circle (box on the indexed
# columns, then the haversine distance) having a live offer of the kinds that can be used
# at the instant: by its own calendar rows unless the place is closed by an exception,
# else (no schedule of its own) by the place's general hours. Nearest first, one page.
FLOOR_SQL = """
SELECT id, slug, name, km FROM (
  SELECT p.id, p.slug, p.name,
         2 * %(earth)s * ASIN(SQRT(
             POWER(SIN((RADIANS(p.latitude) - %(lat0)s) / 2), 2)
           + %(coslat0)s * COS(RADIANS(p.latitude))
             * POWER(SIN((RADIANS(p.longitude) - %(lon0)s) / 2), 2))) AS km
  FROM places_place p
  WHERE p.status = 'published'
    AND p.latitude >= %(south)s AND p.latitude <= %(north)s
    AND p.longitude >= %(west)s AND p.longitude <= %(east)s
    AND EXISTS (
      SELECT 1 FROM services_serviceoffer o
      WHERE o.place_id = p.id
        AND o.kind_id IN (%(kinds)s)
        AND (o.status = 'active' OR (o.status = 'suspended' AND o.suspended_until < %(today)s))
        AND (
          (EXISTS (SELECT 1 FROM scheduling_openinginterval i
                   WHERE i.offer_id = o.id AND i.kind = 'open'
                     AND i.start > %(since)s AND i.start <= %(at)s AND i."end" > %(at)s)
           AND NOT EXISTS (SELECT 1 FROM scheduling_openinginterval i
                   WHERE i.place_id = p.id AND (i.offer_id + 0) IS NULL AND i.kind = 'closed'
                     AND i.start > %(since)s AND i.start <= %(at)s AND i."end" > %(at)s))
          OR
          (EXISTS (SELECT 1 FROM scheduling_openinginterval i
                   WHERE i.place_id = p.id AND (i.offer_id + 0) IS NULL AND i.kind = 'open'
                     AND i.start > %(since)s AND i.start <= %(at)s AND i."end" > %(at)s)
           AND NOT EXISTS (SELECT 1 FROM scheduling_schedule s WHERE s.offer_id = o.id))
        )
    )
) AS near
WHERE km <= %(radius)s
ORDER BY km, id
LIMIT %(limit)s
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fixed_now() -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() > 3:  # a Monday to Thursday
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 30)))


def floor_statement(at: datetime.datetime, lat: float, lon: float) -> tuple[str, list]:
    """FLOOR_SQL with its parameters, in the driver's placeholder style."""
    import math

    from places.geo import EARTH_RADIUS_KM
    from scheduling.models import OpeningInterval
    from scheduling.selectors import MAX_ROW_LENGTH
    from services.models import ServiceKind

    start = OpeningInterval._meta.get_field("start")
    kind_ids = list(ServiceKind.objects.filter(slug__in=KINDS).values_list("pk", flat=True))
    dlat = RADIUS_KM / 111.0
    dlon = RADIUS_KM / (111.0 * math.cos(math.radians(lat)))
    values = {
        "earth": EARTH_RADIUS_KM,
        "lat0": math.radians(lat),
        "lon0": math.radians(lon),
        "coslat0": math.cos(math.radians(lat)),
        "south": lat - dlat,
        "north": lat + dlat,
        "west": lon - dlon,
        "east": lon + dlon,
        "today": timezone.localdate(at),
        "since": start.get_db_prep_value(at - MAX_ROW_LENGTH, connection),
        "at": start.get_db_prep_value(at, connection),
        "radius": RADIUS_KM,
        "limit": PAGE_SIZE,
    }
    params: list = []

    def placeholder(name: str) -> str:
        if name == "kinds":
            params.extend(kind_ids)
            return ", ".join(["%s"] * len(kind_ids))
        params.append(values[name])
        return "%s"

    class Names(dict):
        def __missing__(self, key):
            return placeholder(key)

    sql = FLOOR_SQL % Names()
    return sql, params


def run(n: int, requests: int, seed: int, text: bool) -> dict:
    from places.models import Place
    from scheduling import status
    from scheduling.models import OpeningInterval

    def progress(tile, seconds):
        if (tile + 1) % 10 == 0:
            print(f"    tile {tile + 1}: {seconds:.0f}s", flush=True)

    loaded = scale_data.load_tiles(n, seed, progress=progress if n >= 10000 else None)
    now = fixed_now()
    status.clock = lambda: now
    lat, lon = scale_data.CENTRE
    client = Client()
    search_url = f"/lieux/?open=now&lat={lat}&lon={lon}&radius={RADIUS_KM:g}&need={NEED}"
    api_url = (
        f"/api/v1/places/?near={lat},{lon}&radius_km={RADIUS_KM:g}&open_now=true"
        f"&service_kind={','.join(KINDS)}"
    )
    sql, params = floor_statement(now, lat, lon)

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    published = Place.objects.filter(status=Place.Status.PUBLISHED)
    slugs = list(published.values_list("slug", flat=True))
    rng = random.Random(seed)

    # Counts, and the floor's answer checked against the API's.
    page = client.get(search_url)
    assert page.status_code == 200, page.status_code
    api = client.get(api_url)
    assert api.status_code == 200, api.content[:300]
    api_slugs = [row["slug"] for row in api.json()["results"]]
    floor_rows = floor()
    counts = {
        "search page total": page.context["page"].paginator.count,
        "search page cards": len(page.context["cards"]),
        "API results (first page)": len(api_slugs),
        "floor rows": len(floor_rows),
        "floor == API (same places, same order)": [r[1] for r in floor_rows] == api_slugs,
    }
    steps = {
        "search page": lambda: client.get(search_url),
        "API near+open_now+service_kind": lambda: client.get(api_url),
        "place page": lambda: client.get(f"/lieux/{rng.choice(slugs)}/"),
        "SQL floor": floor,
    }
    if text:
        for q in TEXT_QUERIES:
            steps[f"free text q={q}"] = lambda q=q: client.get(f"/lieux/?q={q}")
            found = client.get(f"/lieux/?q={q}")
            counts[f"free text q={q}"] = (
                found.context["page"].paginator.count if found.context.get("page") else 0
            )
    times: dict[str, list[float]] = {name: [] for name in steps}
    for round_ in range(requests + 10):
        for name, step in steps.items():
            started = time.perf_counter()
            answer = step()
            elapsed = (time.perf_counter() - started) * 1000
            if hasattr(answer, "status_code"):
                assert answer.status_code == 200, (name, answer.status_code)
            if round_ >= 10:  # the first ten rounds warm up
                times[name].append(elapsed)
    return {
        "n": n,
        "loaded": loaded,
        "published": len(slugs),
        "rows": OpeningInterval.objects.count(),
        "counts": counts,
        "times": times,
    }


def line(name: str, values: list[float]) -> str:
    return (
        f"{name}: median {statistics.median(values):.1f} ms, p95 {percentile(values, 0.95):.1f} ms "
        f"(n={len(values)})"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--text", action="store_true", help="add free-text search pages")
    args = parser.parse_args()
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.API_RATE_LIMITS = {"anonymous": "1000000/min", "partner": "1000000/min"}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    old = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=False, serialize=False
    )
    results = []
    try:
        load = os.getloadavg()
        print(
            f"database: {connection.vendor}  date: {datetime.date.today()}  cpus: {os.cpu_count()}  "
            f"load average: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}",
            flush=True,
        )
        for n in args.places:
            r = run(n, args.requests, args.seed, args.text)
            results.append(r)
            loaded = r["loaded"]
            load = os.getloadavg()
            print(
                f"N={n} published={r['published']} offers={loaded['offers']} "
                f"schedules={loaded['schedules']} calendar_rows={r['rows']} "
                f"generation={loaded['seconds']:.0f}s load average now {load[0]:.1f}"
            )
            print(f"  counts: {r['counts']}")
            for name, values in r["times"].items():
                print("  " + line(name, values), flush=True)
        if len(results) > 1:
            small = results[0]
            for large in results[1:]:
                for name in small["times"]:
                    a, b = small["times"][name], large["times"][name]
                    print(
                        f"ratio {name} N={large['n']} / N={small['n']}: "
                        f"median {statistics.median(b) / statistics.median(a):.2f}x, "
                        f"p95 {percentile(b, 0.95) / percentile(a, 0.95):.2f}x"
                    )
        for r in results:
            api = r["times"]["API near+open_now+service_kind"]
            floor = r["times"]["SQL floor"]
            print(
                f"N={r['n']} API / SQL floor: median {statistics.median(api) / statistics.median(floor):.1f}x, "
                f"p95 {percentile(api, 0.95) / percentile(floor, 0.95):.1f}x"
            )
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
