"""The nightly roll: move the calendar window to today without rebuilding it."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from places.models import Place
from places.planner import refresh_planner_statistics
from scheduling import school_holidays
from scheduling.actions import trim_unavailable_offers
from scheduling.materialise import current_window, default_window, roll_places
from scheduling.models import OpeningInterval
from scheduling.school_holidays import SchoolCalendarNotCovered


class Command(BaseCommand):
    help = (
        "Roll the calendar window to today (yesterday to +120 days): drop the past days' "
        "rows and add the new days', place by place, without a full rebuild."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=500, help="Places per transaction (default 500)."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, batch: int, no_progress: bool, **options):
        window = current_window()
        start, end = default_window()
        if start >= window.build_end or window.rebuilt_at is None:
            # Nothing to keep (first run, or a window left behind for months).
            self.stdout.write("The window has no day to keep: rebuilding it whole.")
            call_command("rebuild_calendar", no_progress=no_progress, stdout=self.stdout)
            return
        if start <= window.start and end <= window.build_end:
            self.stdout.write(f"Calendar {window.start} – {window.end}: already rolled.")
            return
        old = (window.start, window.build_end)
        new = (max(start, window.start), max(end, window.build_end))
        # Promise only days every place has: the start moves now, the end once every
        # place has its new days.
        window.start, window.build_end = new
        window.save(update_fields=["start", "build_end"])
        ids = list(Place.objects.order_by("pk").values_list("pk", flat=True))
        added, failures = 0, []
        bar = tqdm(total=len(ids), unit="place", disable=no_progress)

        def roll(place_ids: list[int]) -> int:
            with transaction.atomic():
                rows = roll_places(place_ids, old, new)
                # Offers suspended or ended meanwhile lose their rows of the new days too.
                trim_unavailable_offers(place_ids=place_ids)
                return rows

        for index in range(0, len(ids), batch):
            chunk = ids[index : index + batch]
            try:
                added += roll(chunk)
            except SchoolCalendarNotCovered as exc:
                for place_id in chunk:
                    try:
                        added += roll([place_id])
                    except SchoolCalendarNotCovered:
                        failures.append((place_id, str(exc)))
            bar.update(len(chunk))
        bar.close()
        refresh_planner_statistics(OpeningInterval)
        window.end = new[1]
        window.rebuilt_at = timezone.now()
        window.save(update_fields=["end", "rebuilt_at"])
        self.stdout.write(
            f"Calendar {new[0]} – {new[1]} (end excluded): rolled from {old[0]} – {old[1]}, "
            f"{len(ids)} places, {added} intervals added."
        )
        for place_id, message in failures:
            self.stderr.write(f"place {place_id}: {message}")
        notice = school_holidays.coverage_notice(new[1])
        if notice:
            self.stderr.write(self.style.WARNING(notice))
