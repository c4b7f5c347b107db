"""First day of an installation: an organisation and its first registry admin."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from places import actions, emails
from places.models import Organisation, Role


class Command(BaseCommand):
    help = (
        "Create an organisation and its first registry admin, and print the link with which "
        "the admin chooses a password (also emailed when --send-email is given)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="Short name in URLs, e.g. ville-de-lyon")
        parser.add_argument("--name", required=True, help="e.g. Ville de Lyon")
        parser.add_argument(
            "--kind", default=Organisation.Kind.CITY, choices=Organisation.Kind.values
        )
        parser.add_argument("--username", required=True, help="The first registry admin's login")
        parser.add_argument("--email", required=True, help="The first registry admin's address")
        parser.add_argument(
            "--send-email", action="store_true", help="Also email the invitation link."
        )

    def handle(self, *args, slug, name, kind, username, email, send_email, **options):
        if Organisation.objects.filter(slug=slug).exists():
            raise CommandError(f"An organisation with the slug {slug!r} already exists.")
        try:
            with transaction.atomic():
                organisation = actions.organisation_create(
                    user=None, slug=slug, name=name, kind=kind
                )
                membership = actions.person_invite(
                    organisation=organisation,
                    user=None,
                    username=username,
                    email=email,
                    role=Role.REGISTRY_ADMIN,
                    send_invitation=send_email,
                )
        except ValidationError as exc:
            problems = (
                [f"{field}: {'; '.join(msgs)}" for field, msgs in exc.message_dict.items()]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            raise CommandError("Nothing was created. " + " ".join(problems)) from None
        person = membership.user
        self.stdout.write(f"Created the organisation {organisation.name} ({organisation.slug}).")
        self.stdout.write(f"{person.get_username()} is its registry admin.")
        if person.has_usable_password():
            self.stdout.write("This person already has a password: they sign in as usual.")
            return
        self.stdout.write(
            f"Link to choose a password (single use, valid {emails.invitation_days()} days):"
        )
        self.stdout.write(emails.invitation_link(person))
        if send_email:
            self.stdout.write(f"The same link was emailed to {person.email}.")
