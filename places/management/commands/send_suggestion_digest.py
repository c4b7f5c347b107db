"""For cron, once a day: the digest of new suggestions for staff who chose it."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from places import emails


class Command(BaseCommand):
    help = (
        "Email each staff member who chose a daily digest the suggestions that arrived since "
        "their last one (nothing is sent twice; a second run the same day sends nothing)."
    )

    def handle(self, *args, **options):
        sent = emails.send_suggestion_digests()
        self.stdout.write(f"Digests sent: {sent}.")
