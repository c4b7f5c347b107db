"""manage.py import_places --format FORMAT PATH: load partners' open data into the registry."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from api.imports.formats import FORMATS
from api.imports.pipeline import BATCH_SIZE, run_import
from api.imports.readers import ImportFileError
from api.imports.runs import import_run_record
from api.models import ImportRun
from places.models import Organisation, Place


class Command(BaseCommand):
    help = _(
        "Import places from an open-data file (lieux de médiation numérique, data·inclusion, "
        "France Services, tiers-lieux 2019, or any CSV with a column mapping)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument("path", type=Path)
        parser.add_argument(
            "--dry-run", action="store_true", help=_("Do everything, then roll it back.")
        )
        parser.add_argument(
            "--organisation",
            help=_("Slug of the organisation the places are catalogued by."),
        )
        parser.add_argument(
            "--status",
            choices=[Place.Status.PUBLISHED, Place.Status.DRAFT],
            default=Place.Status.PUBLISHED,
            help=_("Status of the places created (default: published)."),
        )
        parser.add_argument("--mapping", type=Path, help=_("Column mapping for --format csv."))
        parser.add_argument("--encoding", help=_("Encoding of a CSV file (default: detected)."))
        parser.add_argument("--delimiter", help=_("CSV delimiter (default: ',')."))
        parser.add_argument("--report", type=Path, help=_("Also write the report as JSON here."))
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--atomic",
            action="store_true",
            help=_(
                "All or nothing: if any row is rejected, store nothing (the report still "
                "lists every rejected row)."
            ),
        )

    def handle(self, *args, fmt, path, organisation, status, **options):
        org = self._organisation(organisation)
        try:
            report = run_import(
                fmt=fmt,
                path=path,
                organisation=org,
                status=status,
                dry_run=options["dry_run"],
                mapping_path=options["mapping"],
                encoding=options["encoding"],
                delimiter=options["delimiter"],
                batch_size=max(1, options["batch_size"]),
                atomic=options["atomic"],
            )
        except ImportFileError as exc:
            raise CommandError(_("Nothing imported: %(error)s") % {"error": exc}) from None
        if options["verbosity"] >= 1:
            for issue in report.rejections:
                self.stdout.write(_("REJECTED %(issue)s") % {"issue": issue})
            for issue in report.warnings:
                self.stdout.write(_("warning %(issue)s") % {"issue": issue})
        counts = report.as_dict()["counts"]
        summary = _(
            "%(format)s %(path)s%(dry)s: %(rows)s rows, %(created)s created, %(updated)s "
            "updated, %(unchanged)s unchanged, %(queued)s held as possible duplicates, "
            "%(rejected)s rejected, %(warnings)s warnings."
        ) % {
            **counts,
            "format": fmt,
            "path": path,
            "dry": _(" (dry run, nothing written)")
            if report.dry_run
            else _(" (all or nothing: rolled back, nothing written)")
            if report.rolled_back
            else "",
        }
        self.stdout.write(self.style.SUCCESS(summary))
        for code, count in sorted(report.rejection_counts().items()):
            self.stdout.write(_("  rejected %(code)s: %(count)s") % {"code": code, "count": count})
        for code, count in sorted(report.warning_counts().items()):
            self.stdout.write(f"  {code}: {count}")
        if options["report"]:
            options["report"].write_text(
                json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
            )
        import_run_record(
            report=report, organisation=org, file_name=str(path), via=ImportRun.Via.COMMAND
        )
        if report.rolled_back:
            raise CommandError(
                _(
                    "Nothing imported: %(count)s rows rejected and --atomic was given (the "
                    "counts above say what the run would have done)."
                )
                % {"count": report.rejected}
            )

    def _organisation(self, slug: str | None) -> Organisation:
        if slug:
            org = Organisation.objects.filter(slug=slug).first()
            if org is None:
                raise CommandError(_("No organisation with slug %(slug)r.") % {"slug": slug})
            return org
        orgs = list(Organisation.objects.all()[:2])
        if len(orgs) == 1:
            return orgs[0]
        raise CommandError(
            _("Give --organisation SLUG: the places must belong to one organisation.")
        )
