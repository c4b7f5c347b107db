"""Import throughput and peak memory: a generated France-Services-like CSV, then the real files.

    DATABASE_URL=sqlite:////tmp/import_bench.sqlite3 DEBUG=1 \
        .venv/bin/python bench/import_bench.py [ROWS] [--once] [--generated-only]

--once skips the second (all unchanged) run; --generated-only skips the four real files;
--real fs|tl|cnfs|hub (repeatable) imports only those real files; --debug keeps DEBUG's
statement log, which the figures before 2026-12-02 (afternoon) included.

Each import runs in a fresh database (migrated here). Prints rows/s, the CPU seconds of
this process (and, on PostgreSQL, of its server backend, read from /proc) for each run,
and the process's peak RSS (resource.getrusage, KB on Linux) after each step; peak RSS
only ever grows, so the figure after the generated file is the one that matters for the
500 MB budget.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

# DEBUG=1 above only spares the bench the production settings' checks (SECRET_KEY...). The
# import runs without DEBUG in production; with it, Django formats and keeps every
# statement (connection.queries), which on SQLite costs an extra query per statement to
# quote its parameters: 10-20 % of the import's CPU, measured 2026-12-02. --debug keeps it.
if "--debug" not in sys.argv:
    settings.DEBUG = False

from django.core.management import call_command  # noqa: E402

from api.imports.pipeline import run_import  # noqa: E402
from api.models import PossibleDuplicate  # noqa: E402
from places.models import ChangeRecord, Network, Organisation, Place  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
COLUMNS = [
    "id_fs",
    "insee_dep",
    "lib_fs",
    "adresse",
    "complement_adresse",
    "insee_com",
    "code_postal",
    "lib_com",
    "latitude",
    "longitude",
    "mail",
    "telephone",
    "h_lundi",
    "h_mardi",
    "h_mercredi",
    "h_jeudi",
    "h_vendredi",
    "h_samedi",
    "prise_rdv",
    "commentaire",
    "type_fs",
    "format_fs",
    "groupe_fs",
    "labellisation_fs",
]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(42)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(COLUMNS)
        for n in range(1, rows + 1):
            day = "09:00 - 12:00 / 13:30 - 17:00" if n % 3 else "08:30 - 12:30"
            writer.writerow(
                [
                    n,
                    "69",
                    f"France services n°{n}",
                    f"{n} rue de la République",
                    "",
                    "69123",
                    "69003",
                    "Lyon",
                    f"{rng.uniform(42.5, 50.5):.6f}",
                    f"{rng.uniform(-4.5, 7.5):.6f}",
                    f"fs{n}@example.org",
                    "04 72 00 00 00",
                    day,
                    day,
                    day,
                    day,
                    day,
                    "",
                    "Oui" if n % 2 else "Non",
                    "Ligne 1\nligne 2" if n % 50 == 0 else "",
                    "Principal",
                    "Itinérante" if n % 40 == 0 else "Fixe",
                    "",
                    "",
                ]
            )


def cpu_s() -> float:
    """This process's CPU time: on a loaded machine, a steadier measure than the clock
    (on SQLite all the work is in this process; PostgreSQL's server time is not in it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu_s() -> float | None:
    """CPU time of this connection's PostgreSQL backend (same machine), from /proc: the
    server's share of the work, which cpu_s() does not see. None on SQLite or when the
    backend's /proc entry cannot be read."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of stat(5); fields[0] is field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_org() -> Organisation:
    # Not `flush`: it would also empty the typologies seeded by a migration.
    ChangeRecord.objects.all().delete()
    PossibleDuplicate.objects.all().delete()
    Place.objects.all().delete()
    Network.objects.all().delete()
    Organisation.objects.all().delete()
    return Organisation.objects.create(slug="bench", name="Bench", kind="city")


def server_part(before: float | None, cpu: float, rows: int) -> str:
    """The ", server CPU …" part for PostgreSQL: the backend's CPU since `before`, and rows per
    CPU second of client and server together."""
    if before is None:
        return ""
    server = server_cpu_s() - before
    return (
        f"; server CPU {server:.1f}s, {rows / (cpu + server):.0f} rows per CPU second "
        f"client and server"
    )


def timed(fmt: str, path: Path, *, once: bool = False) -> None:
    org = fresh_org()
    start, cpu, server = time.perf_counter(), cpu_s(), server_cpu_s()
    report = run_import(fmt=fmt, path=path, organisation=org)
    first, cpu = time.perf_counter() - start, cpu_s() - cpu
    first_cpu = cpu
    line = (
        f"{path.name}: {report.rows} rows, created={report.created} queued={report.queued} "
        f"rejected={report.rejected}; first run {first:.1f}s ({report.rows / first:.0f} rows/s; "
        f"CPU {cpu:.1f}s, {report.rows / cpu:.0f} rows per CPU second"
        f"{server_part(server, cpu, report.rows)})"
    )
    if not once:
        start, cpu, server = time.perf_counter(), cpu_s(), server_cpu_s()
        again = run_import(fmt=fmt, path=path, organisation=org)
        second, cpu = time.perf_counter() - start, cpu_s() - cpu
        line += (
            f", second run {second:.1f}s ({again.rows / second:.0f} rows/s, unchanged="
            f"{again.unchanged}; CPU {cpu:.1f}s, {again.rows / cpu:.0f} rows per CPU second"
            f"{server_part(server, cpu, again.rows)}); first / second: {first / second:.1f}x "
            f"wall, {first_cpu / cpu:.1f}x CPU"
        )
    print(f"{line}; peak RSS so far {peak_mb():.0f} MB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", type=int, nargs="?", default=100_000)
    parser.add_argument("--once", action="store_true", help="skip the all-unchanged re-run")
    parser.add_argument(
        "--debug", action="store_true", help="keep DEBUG's statement log (figures before 12-02)"
    )
    parser.add_argument("--generated-only", action="store_true", help="skip the real files")
    parser.add_argument(
        "--real", choices=["fs", "tl", "cnfs", "hub"], action="append", help="only these real files"
    )
    args = parser.parse_args()
    rows = args.rows
    call_command("migrate", verbosity=0)
    generated = Path(f"/tmp/import_bench_fs_{os.getpid()}.csv")
    generate(generated, rows)
    print(
        f"generated {rows} rows ({generated.stat().st_size / 1e6:.1f} MB); RSS {peak_mb():.0f} MB",
        flush=True,
    )
    timed("france-services", generated, once=args.once)
    real = {
        "fs": ("france-services", "liste-fs-20240801.csv"),
        "tl": ("tiers-lieux-2019", "CGET_TiersLieux_2019.csv"),
        "cnfs": ("lmn", "lieux-de-mediation-numerique.cnfs.json"),
        "hub": (
            "lmn",
            "20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json",
        ),
    }
    if DATA.is_dir() and not args.generated_only:
        for key, (fmt, name) in real.items():
            if not args.real or key in args.real:
                timed(fmt, DATA / name, once=args.once)


if __name__ == "__main__":
    main()
