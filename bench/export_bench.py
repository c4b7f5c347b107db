"""Export benchmark: full GeoJSON export of the demo registry (time, peak memory).

    DATABASE_URL=sqlite:////tmp/export_bench.sqlite3 DEBUG=1 \
        .venv/bin/python bench/export_bench.py --places 10000 [--small 2000]

Migrates the database named by DATABASE_URL (use a scratch one), loads the demo registry
with `places` places unless it is already there, then:

- runs the GeoJSON export in a fresh child process and reports its wall time and peak
  RSS (VmHWM of the child); a child doing nothing but start Django gives the baseline;
- runs the export generator in this process under tracemalloc (peak Python allocations);
- with --small N, repeats the child export on the first N places only (--limit) to show
  that memory does not grow with the registry.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

PYTHON = sys.executable
CHILD = """
import os, sys, time, django
sys.path.insert(0, {root!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from api.exports import export
from places.models import Place
limit = {limit!r}
queryset = None
if limit:
    published = Place.objects.filter(status="published").order_by("pk")
    queryset = Place.objects.filter(pk__in=list(published.values_list("pk", flat=True)[:limit]))
start = time.perf_counter()
size = 0
if {run!r}:
    with open(os.devnull, "w") as out:
        for chunk in export("geojson", queryset):
            size += len(chunk)
            out.write(chunk)
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(time.perf_counter() - start, size, int(hwm) / 1024)
"""


def child(limit: int | None, run: bool = True) -> tuple[float, int, float]:
    """(seconds, characters, peak RSS in MB) of one export in a fresh process."""
    done = subprocess.run(
        [PYTHON, "-c", CHILD.format(root=str(ROOT), limit=limit, run=run)],
        check=True,
        capture_output=True,
        text=True,
    )
    # VmHWM, the child's own peak RSS: ru_maxrss would count the parent's pages that a
    # forked child holds until it execs.
    seconds, size, peak = done.stdout.split()
    return float(seconds), int(size), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, default=10000)
    parser.add_argument("--small", type=int, default=2000)
    args = parser.parse_args()

    from places.models import Place
    from services.demo import load_demo

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    summary = load_demo(places=args.places, fast=True)
    print(f"demo: {summary} in {time.perf_counter() - start:.1f} s")
    published = Place.objects.filter(status="published").count()

    _s, _n, baseline = child(None, run=False)
    print(f"baseline child (Django started, no export): peak RSS {baseline:.0f} MB")
    seconds, size, small_rss = child(args.small)
    print(
        f"export of {args.small} places: {seconds:.2f} s, {size / 1e6:.1f} MB, "
        f"peak RSS {small_rss:.0f} MB"
    )
    seconds, size, full_rss = child(None)
    print(
        f"export of {published} places: {seconds:.2f} s, {size / 1e6:.1f} MB, "
        f"{published / seconds:.0f} places/s, peak RSS {full_rss:.0f} MB"
    )

    from api.exports import export

    tracemalloc.start()
    start = time.perf_counter()
    for _chunk in export("geojson"):
        pass
    elapsed = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"in-process (tracemalloc on): {elapsed:.2f} s, peak Python allocations {peak / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
