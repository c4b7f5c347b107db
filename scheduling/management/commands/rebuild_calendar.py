"""Roll the calendar window to today and rebuild every place's materialised hours."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from places.models import Place
from places.planner import refresh_planner_statistics
from scheduling import school_holidays
from scheduling.actions import trim_unavailable_offers
from scheduling.materialise import (
    current_window,
    default_window,
    rebuild_places,
    sweep_orphan_rows,
)
from scheduling.models import OpeningInterval
from scheduling.school_holidays import SchoolCalendarNotCovered


class Command(BaseCommand):
    help = "Roll the calendar window (yesterday to +120 days) and rebuild every place."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=20, help="Places per transaction (default 20)."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, batch: int, no_progress: bool, **options):
        window = current_window()
        start, end = default_window()
        # While rows are rebuilt, only days every place already has are promised: the
        # start moves forward now, the end only once every place reaches the new end.
        window.start = max(window.start, start) if window.end > start else start
        window.end = min(window.end, end)
        window.build_end = end
        window.save()
        ids = list(Place.objects.order_by("pk").values_list("pk", flat=True))
        failures = []
        rows = 0
        bar = tqdm(total=len(ids), unit="place", disable=no_progress)

        def rebuild(place_ids: list[int]) -> int:
            # Suspended and ended offers lose their rows in the same transaction.
            with transaction.atomic():
                built = rebuild_places(place_ids, window)
                return built - trim_unavailable_offers(place_ids=place_ids)

        for index in range(0, len(ids), batch):
            chunk = ids[index : index + batch]
            try:
                rows += rebuild(chunk)
            except SchoolCalendarNotCovered as exc:
                # One place's rules outrun the school calendar: rebuild the others alone.
                for place_id in chunk:
                    try:
                        rows += rebuild([place_id])
                    except SchoolCalendarNotCovered:
                        failures.append((place_id, str(exc)))
            bar.update(len(chunk))
        bar.close()
        swept = sweep_orphan_rows()
        refresh_planner_statistics(OpeningInterval)
        window.start, window.end = start, end
        window.rebuilt_at = timezone.now()
        window.save()
        self.stdout.write(
            f"Calendar {start} – {end} (end excluded): {len(ids)} places, {rows} intervals."
            + (f" {swept} rows of deleted places removed." if swept else "")
        )
        for place_id, message in failures:
            self.stderr.write(f"place {place_id}: {message}")
        notice = school_holidays.coverage_notice(end)
        if notice:
            self.stderr.write(self.style.WARNING(notice))
