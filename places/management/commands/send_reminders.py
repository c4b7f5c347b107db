"""For cron: email the managers of places whose information is due for a check."""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand
from django.utils import timezone

from places import freshness
from places.models import Place


class Command(BaseCommand):
    help = (
        "Send a reminder to the managers of every place due for a check. Safe to run daily: "
        "an address gets one reminder per place and period; refused addresses are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List the places due, send nothing."
        )

    def handle(self, *args, dry_run, **options):
        today = timezone.localdate()
        places = freshness.due_places(Place.objects.all(), today=today).prefetch_related("managers")
        if dry_run:
            for place in places.order_by("verification_due_on", "name"):
                self.stdout.write(f"{place.verification_due_on} {place.name}")
            return
        results = freshness.reminders_send(places=places.order_by("pk").iterator(chunk_size=200))
        counts = Counter(r.outcome for r in results)
        for result in results:
            if result.outcome not in ("sent", "already"):
                self.stdout.write(
                    f"{result.place.name} <{result.email}>: {result.outcome} {result.detail}"
                )
        summary = ", ".join(f"{outcome}: {n}" for outcome, n in sorted(counts.items()))
        self.stdout.write(f"Reminders for {today}: {summary or 'no place is due'}.")
