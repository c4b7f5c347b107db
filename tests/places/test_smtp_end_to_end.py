"""Email end to end, through a real SMTP server (aiosmtpd) on 127.0.0.1 and Django's SMTP
backend: an invited manager sets a password, receives a reminder and confirms the place
from its link; an address the server refuses is recorded and not tried again."""

from __future__ import annotations

import datetime
import email
import email.policy
import re
import socket
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from places.models import BouncedAddress, Place, Reminder, Role
from tests.factories import MembershipFactory, PlaceFactory, UserFactory

User = get_user_model()
REFUSED = "parti@example.org"


class Mailbox:
    """An SMTP handler that keeps what it accepts and refuses one address."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refused: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            self.refused.append(address)
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"

    def bodies_to(self, address: str) -> list[str]:
        return [m.get_content() for m in self.messages if address in m["To"]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    settings.LANGUAGE_CODE = "en"
    yield mailbox
    controller.stop()


def _link(body: str, marker: str) -> str:
    match = re.search(rf"http://localhost:8000({re.escape(marker)}\S+)", body)
    assert match, body
    return match.group(1)


def test_invitation_reminder_and_bounce_over_smtp(
    smtp_server, admin_client_, client, organisation, django_capture_on_commit_callbacks
):
    # 1. The registry admin adds a place manager: the invitation travels over SMTP.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client_.post(
            reverse("manage:member_add", args=[organisation.slug]),
            {"username": "nadia", "email": "nadia@example.org", "role": "place_manager"},
        )
    (invitation,) = smtp_server.bodies_to("nadia@example.org")
    response = client.get(_link(invitation, "/manage/invitation/"), follow=True)
    form_url = response.redirect_chain[-1][0]
    client.post(
        form_url, {"new_password1": "jardin-42-partage", "new_password2": "jardin-42-partage"}
    )
    assert client.login(username="nadia", password="jardin-42-partage")
    client.logout()

    # 2. Two places are due; one manager's address is refused by the server.
    nadia = User.objects.get(username="nadia")
    gone = UserFactory(username="parti", email=REFUSED)
    MembershipFactory(user=gone, organisation=organisation, role=Role.PLACE_MANAGER)
    long_ago = timezone.now() - datetime.timedelta(days=400)
    ours = PlaceFactory(organisation=organisation, name="Repair café Croix-Rousse")
    theirs = PlaceFactory(organisation=organisation, name="Jardin des Pentes")
    ours.managers.add(nadia)
    theirs.managers.add(gone)
    for place in (ours, theirs):
        place.verified_at = long_ago
        place.save()

    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "bounced: 1" in out.getvalue() and "sent: 1" in out.getvalue()
    (reminder_body,) = smtp_server.bodies_to("nadia@example.org")[1:]
    assert "Repair café Croix-Rousse" in reminder_body
    assert smtp_server.refused == [REFUSED]
    assert BouncedAddress.objects.get().email == REFUSED
    assert Reminder.objects.get(email=REFUSED).status == Reminder.Status.BOUNCED

    # 3. The next run sends nothing: the period's reminder went out, the refused address
    #    is not tried again.
    call_command("send_reminders", stdout=StringIO())
    assert len(smtp_server.messages) == 2
    assert smtp_server.refused == [REFUSED]

    # 4. The manager confirms from the email, without signing in.
    path = _link(reminder_body, "/verifier/")
    page = client.get(path)
    assert page.status_code == 200
    client.post(
        path,
        {
            "phone": "04 72 00 00 00",
            "email": "",
            "website": "",
            "opening_hours": "",
            "services_note": "",
            "version": ours.version,
        },
    )
    ours.refresh_from_db()
    assert ours.phone == "04 72 00 00 00"
    assert ours.verification_method == Place.VerificationMethod.SELF_SERVICE
    assert client.get(path).status_code == 410
