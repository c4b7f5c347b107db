"""Write an export of the published registry to a file or to standard output."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from api.exports import FORMATS, export


class Command(BaseCommand):
    help = "Export the published places in an open-data format (streamed, bounded memory)."

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=sorted(FORMATS), dest="fmt")
        parser.add_argument(
            "--output", required=True, help=_("File path, or - for standard output.")
        )
        parser.add_argument(
            "--chunk-size", type=int, default=500, help="Places read per database query."
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="Site address used in links (jsonld), e.g. https://lieux.example.fr",
        )

    def handle(self, *args, fmt, output, chunk_size, base_url, **options):
        if chunk_size < 1:
            raise CommandError(_("--chunk-size must be at least 1."))
        chunks = export(fmt, chunk_size=chunk_size, base_url=base_url)
        if output == "-":
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            self.stdout.flush()
            return
        try:
            # newline="" keeps the CSV writer's CRLF as written.
            with open(output, "w", encoding="utf-8", newline="") as handle:
                for chunk in chunks:
                    handle.write(chunk)
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s") % {"path": output, "error": exc}
            ) from None
