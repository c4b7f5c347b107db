"""`manage.py load_demo [--places N] [--seed S] [--fast] [--rebuild]`: the demo registry.

The command lives in the highest app whose data it loads (see
docs/decisions/0004-demo-data.md): `economics`, calling scheduling/demo.py (which builds
on places/demo.py and services/demo.py), then economics/demo.py.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from economics.demo import load_economics_demo
from places.demo import DEMO_PASSWORD, DEMO_USERS
from scheduling.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load a generated demo registry (places, offers, opening hours, budgets, spaces, "
        "one user per role)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--places", type=int, default=150, help="Number of places.")
        parser.add_argument("--seed", type=int, default=2024, help="Random seed.")
        parser.add_argument(
            "--fast",
            action="store_true",
            help="Bulk inserts without history, for benchmarks (10,000 places in seconds).",
        )
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Delete the demo registry first, if it exists, then load it again.",
        )

    def handle(self, *args, places, seed, fast, rebuild, **options):
        if places < 1:
            raise CommandError("--places must be at least 1.")
        started = time.monotonic()
        summary = load_demo(places=places, seed=seed, fast=fast, rebuild=rebuild)
        if not summary.created:
            self.stdout.write(
                f"The demo registry is already loaded ({summary.places} places, "
                f"{summary.offers} offers, {summary.schedules} schedules): nothing to do. "
                "Use --rebuild to load it again."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {summary.places} places, {summary.offers} offers and "
                    f"{summary.schedules} schedules (calendar materialised) "
                    f"in {time.monotonic() - started:.1f} s."
                )
            )
        economics = load_economics_demo(seed=seed)
        if economics["created"]:
            self.stdout.write(
                f"Economics: {economics['spaces']} spaces, {economics['lines']} budget lines, "
                f"{economics['offers']} sharing offers."
            )
        users = ", ".join(DEMO_USERS)
        self.stdout.write(f"Demo users: {users} (password: {DEMO_PASSWORD}).")
