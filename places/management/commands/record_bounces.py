"""For cron: record the addresses that delivery status notifications say bounced."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from places import bounces


class Command(BaseCommand):
    help = (
        "Read delivery status notifications (RFC 3464) from an mbox file or a Maildir "
        "directory and record the failed recipients: a permanent failure (5.x.x) stops all "
        "mail to the address; temporary ones (4.x.x) do from BOUNCE_TRANSIENT_LIMIT on."
    )

    def add_arguments(self, parser):
        parser.add_argument("mailbox", help="An mbox file or a Maildir directory.")
        parser.add_argument(
            "--remove",
            action="store_true",
            help="Delete the delivery reports read from the mailbox (other mail stays), so "
            "that the next run does not count them again.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be recorded; change nothing."
        )

    def handle(self, *args, mailbox, remove, dry_run, **options):
        try:
            report = bounces.record_mailbox(mailbox, remove=remove, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(f"No mbox file or Maildir directory at {mailbox}.") from None
        except (OSError, ValueError) as exc:
            raise CommandError(f"Could not read the mailbox {mailbox}: {exc}") from None
        for line in report.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write("Dry run: nothing was recorded or removed.")
