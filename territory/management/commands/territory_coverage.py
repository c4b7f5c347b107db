"""`manage.py territory_coverage`: coverage of a whole region (or department, or France)."""

from __future__ import annotations

import csv
import datetime
import sys
from itertools import groupby

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from places.csvsafe import safe_row
from scheduling.materialise import current_window
from territory import selectors
from territory.coverage import (
    TIME_CONDITIONS,
    ConditionError,
    Coverage,
    Subject,
    candidate_places,
    compute,
    instants,
)


class Command(BaseCommand):
    help = (
        "Distance from every commune of a region (or a department, or all of France) to the "
        "nearest place offering a service kind, profile or typology at a time of week, and "
        "the residents beyond the radius. Shows a progress bar; --csv writes every commune."
    )

    def add_arguments(self, parser):
        area = parser.add_mutually_exclusive_group(required=True)
        area.add_argument("--region", help="INSEE region code, e.g. 84")
        area.add_argument("--department", help="department code, e.g. 69")
        area.add_argument("--all", action="store_true", help="every loaded commune")
        parser.add_argument(
            "--subject", required=True, help="kind:<slug>, profile:<name> or typology:<code>"
        )
        parser.add_argument("--time", default="any", choices=list(TIME_CONDITIONS))
        parser.add_argument("--radius", type=int, default=10, help="km (default 10)")
        parser.add_argument(
            "--on",
            type=datetime.date.fromisoformat,
            help="first day the time condition looks at (default: today, in the calendar)",
        )
        parser.add_argument("--csv", help="write every commune's row to this file ('-': stdout)")

    def handle(self, *args, **options):
        try:
            subject = Subject.parse(options["subject"])
        except ConditionError as exc:
            raise CommandError(str(exc)) from None
        communes = selectors.communes_of(
            department=options["department"] or "", region=options["region"] or ""
        )
        if not communes:
            raise CommandError("No commune in that area: is `manage.py load_communes` done?")
        window = current_window()
        communes.sort(key=lambda c: (c[2], c[0]))
        rows = []
        points_by_instants: dict[tuple, list] = {}
        bar = tqdm(total=len(communes), unit="commune", file=sys.stderr, disable=None)
        try:
            for department, group in groupby(communes, key=lambda c: c[2]):
                try:
                    at = instants(
                        options["time"], on=options["on"], department=department, window=window
                    )
                except ConditionError as exc:
                    raise CommandError(str(exc)) from None
                key = tuple(at)
                if key not in points_by_instants:  # one query per distinct set of instants
                    points_by_instants[key] = candidate_places(subject, at)
                part = compute(
                    list(group),
                    points_by_instants[key],
                    radius_km=options["radius"],
                    progress=bar.update,
                )
                rows.extend(part.rows)
        finally:
            bar.close()
        result = Coverage(rows=rows, radius_km=options["radius"], places=0)
        if options["csv"]:
            self._write_csv(options["csv"], result)
        for km, people, count in result.bands:
            self.stdout.write(
                f"beyond {km} km: {people} residents in {count} communes "
                f"(of {result.population} residents, {len(rows)} communes)"
            )

    def _write_csv(self, path: str, result: Coverage) -> None:
        if path == "-":
            self._rows(csv.writer(self.stdout), result)
            return
        with open(path, "w", newline="", encoding="utf-8") as handle:
            self._rows(csv.writer(handle), result)

    @staticmethod
    def _rows(writer, result: Coverage) -> None:
        writer.writerow(
            ["insee_code", "commune", "department", "population", "nearest_km", "nearest"]
        )
        for r in result.rows:
            writer.writerow(
                safe_row(
                    [r.insee_code, r.name, r.department, r.population, r.distance_km, r.nearest]
                )
            )
