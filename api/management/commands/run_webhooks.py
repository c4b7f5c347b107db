"""The webhook worker: posts due deliveries, forever (or once with --once)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from api.webhooks import process_due


class Command(BaseCommand):
    help = "Send pending webhook deliveries (signed, retried with backoff for a day)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=_("One pass, then exit."))
        parser.add_argument(
            "--interval", type=float, default=5.0, help=_("Seconds between passes.")
        )
        parser.add_argument("--batch", type=int, default=50, help=_("Deliveries per pass."))

    def handle(self, *args, once, interval, batch, **options):
        while True:
            sent = process_due(limit=batch)
            if sent:
                self.stdout.write(_("%(n)s deliveries attempted") % {"n": sent})
            if once:
                return
            if sent < batch:  # the queue is drained: wait before looking again
                time.sleep(interval)
