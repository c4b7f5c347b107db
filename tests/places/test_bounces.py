"""Late bounces: delivery status notifications (RFC 3464) read from an mbox file or a
Maildir by `manage.py record_bounces`; permanent failures block an address at once,
temporary ones from BOUNCE_TRANSIENT_LIMIT on; reminders and notices skip blocked
addresses; staff see the refusal on the place and members pages and clear it."""

from __future__ import annotations

import datetime
import mailbox
import smtplib
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from places import bounces, emails
from places.models import BouncedAddress, OrganisationEvent, Reminder

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.BOUNCE_TRANSIENT_LIMIT = 3


def raw_dsn(recipient: str, *, action: str = "failed", status: str = "5.1.1", n: int = 1) -> bytes:
    """A delivery status notification as a mail server writes it (RFC 3464, section 9)."""
    return (
        "From: MAILER-DAEMON@mail.example.org\r\n"
        "To: registre@ville.example.org\r\n"
        f"Subject: Undelivered Mail Returned to Sender ({n})\r\n"
        f"Message-ID: <dsn-{n}@mail.example.org>\r\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0100\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"\r\n'
        "\r\n"
        "--B0UND\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n"
        "\r\n"
        "--B0UND\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mail.example.org\r\n"
        "Arrival-Date: Tue, 01 Dec 2026 09:59:00 +0100\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} Recipient address rejected: User unknown\r\n"
        "\r\n"
        "--B0UND\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "Subject: Is the information about the place still true?\r\n"
        "\r\n"
        "--B0UND--\r\n"
    ).encode()


def built_dsn(recipients: list[tuple[str, str, str]]) -> Message:
    """A report with several recipients, composed with the email package."""
    report = MIMEMultipart("report", report_type="delivery-status")
    report["Subject"] = "Delivery Status Notification (Failure)"
    report["From"] = "postmaster@relay.example.net"
    report.attach(MIMEText("Delivery to the following recipients failed."))
    status = Message()
    status.set_type("message/delivery-status")
    blocks = [Message()]
    blocks[0]["Reporting-MTA"] = "dns; relay.example.net"
    for address, action, code in recipients:
        block = Message()
        block["Final-Recipient"] = f"rfc822; {address}"
        block["Action"] = action
        block["Status"] = code
        blocks.append(block)
    status.set_payload(blocks)
    report.attach(status)
    return report


def ordinary(n: int = 1) -> bytes:
    return (
        f"From: someone@example.org\r\nSubject: Question {n}\r\nMessage-ID: <q{n}@example.org>"
        "\r\n\r\nWhen are you open?\r\n"
    ).encode()


def _mbox(tmp_path, *messages) -> str:
    path = str(tmp_path / "bounces.mbox")
    box = mailbox.mbox(path)
    for message in messages:
        box.add(message)
    box.flush()
    box.close()
    return path


def _run(path: str, *args: str) -> str:
    out = StringIO()
    call_command("record_bounces", path, *args, stdout=out)
    return out.getvalue()


# ------------------------------------------------------------------------- reading


def test_a_permanent_failure_in_an_mbox_blocks_the_address(tmp_path):
    path = _mbox(
        tmp_path,
        raw_dsn("Gone@Example.org"),
        ordinary(),
        raw_dsn("slow@example.org", action="delayed", status="4.4.7", n=2),
    )
    output = _run(path)
    assert "Read 3 messages: 2 delivery reports, 1 other messages" in output
    assert "permanent failure: gone@example.org" in output
    assert "not counted (delayed): slow@example.org" in output
    assert "Recorded 1 permanent and 0 temporary failures." in output
    bounce = BouncedAddress.objects.get()
    assert bounce.email == "gone@example.org" and bounce.permanent
    assert bounce.status == "5.1.1" and "User unknown" in bounce.error
    assert emails.is_bouncing("gone@example.org")
    assert not emails.is_bouncing("slow@example.org")


def test_temporary_failures_count_and_block_from_the_limit(tmp_path):
    maildir = tmp_path / "Maildir"
    box = mailbox.Maildir(str(maildir), create=True)
    for n in range(2):
        box.add(raw_dsn("full@example.org", status="4.2.2", n=n))
    box.close()
    output = _run(str(maildir), "--remove")
    assert output.count("temporary failure: full@example.org") == 2
    bounce = BouncedAddress.objects.get()
    assert not bounce.permanent and bounce.transient_count == 2
    assert not emails.is_bouncing("full@example.org")  # 2 of 3: mail still goes
    box = mailbox.Maildir(str(maildir), create=False)
    assert len(box) == 0  # the reports read were removed
    box.add(raw_dsn("full@example.org", status="4.2.2", n=3))
    box.close()
    _run(str(maildir))
    bounce.refresh_from_db()
    assert bounce.transient_count == 3 and bounce.count == 3
    assert emails.is_bouncing("full@example.org")


def test_a_report_with_several_recipients_built_with_the_email_package(tmp_path):
    message = built_dsn(
        [
            ("a@example.org", "failed", "5.7.1"),
            ("b@example.org", "failed", "4.7.0"),
            ("c@example.org", "delivered", "2.0.0"),
        ]
    )
    found = {f.email: f for f in bounces.failures(message)}
    assert found["a@example.org"].permanent
    assert found["b@example.org"].transient
    assert not found["c@example.org"].permanent and not found["c@example.org"].transient
    output = _run(_mbox(tmp_path, message.as_bytes()))
    assert "Recorded 1 permanent and 1 temporary failures." in output
    assert "not counted (delivered): c@example.org" in output
    assert set(BouncedAddress.objects.values_list("email", flat=True)) == {
        "a@example.org",
        "b@example.org",
    }


def test_remove_deletes_the_reports_only_and_a_second_run_counts_nothing(tmp_path):
    path = _mbox(tmp_path, ordinary(1), raw_dsn("gone@example.org"), ordinary(2))
    assert "Removed 1 reports from the mailbox." in _run(path, "--remove")
    box = mailbox.mbox(path)
    assert sorted(m["Subject"] for m in box) == ["Question 1", "Question 2"]
    box.close()
    assert "Recorded 0 permanent and 0 temporary failures." in _run(path, "--remove")
    assert BouncedAddress.objects.get().count == 1


def test_a_dry_run_records_and_removes_nothing(tmp_path):
    path = _mbox(tmp_path, raw_dsn("gone@example.org"))
    output = _run(path, "--dry-run", "--remove")
    assert "permanent failure: gone@example.org" in output and "Dry run" in output
    assert not BouncedAddress.objects.exists()
    assert len(mailbox.mbox(path)) == 1


def test_a_missing_mailbox_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No mbox file or Maildir directory"):
        _run(str(tmp_path / "nowhere"))


def test_an_immediate_4xx_refusal_is_temporary_and_a_5xx_permanent():
    temporary = smtplib.SMTPRecipientsRefused({"x@example.org": (452, b"Mailbox full")})
    permanent = smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"No such user")})
    assert emails._smtp_refusal(temporary) == ("452 Mailbox full", False, "452")
    assert emails._smtp_refusal(permanent) == ("550 No such user", True, "550")


# ------------------------------------------------------------- sending skips them


def _make_due(place):
    place.verified_at = timezone.now() - datetime.timedelta(days=400)
    place.save()
    return place


def test_reminders_and_notices_skip_an_address_that_bounced_late(
    tmp_path, managed_place, place_manager
):
    _run(_mbox(tmp_path, raw_dsn(place_manager.email)))
    _make_due(managed_place)
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "skipped" in out.getvalue()
    assert not mail.outbox
    assert not Reminder.objects.exists()
    outcome, _error = emails.send(to=place_manager.email, subject="Notice", body="b")
    assert outcome == emails.SKIPPED and not mail.outbox


# --------------------------------------------------------------- staff see and clear


def test_the_place_page_shows_the_refusal_and_staff_clear_it(
    tmp_path, admin_client_, managed_place, place_manager, organisation
):
    _run(_mbox(tmp_path, raw_dsn(place_manager.email)))
    page = reverse("manage:place_detail", args=[managed_place.public_id])
    html = admin_client_.get(page).content.decode()
    assert "Refused email addresses" in html
    assert f"Mail to {place_manager.email} is refused" in html and "5.1.1" in html
    response = admin_client_.post(
        reverse("manage:place_bounce_clear", args=[managed_place.public_id]),
        {"email": place_manager.email},
        follow=True,
    )
    assert f"Mail will be sent to {place_manager.email} again" in response.content.decode()
    assert not BouncedAddress.objects.exists()
    event = OrganisationEvent.objects.get(kind=OrganisationEvent.Kind.EMAIL)
    assert event.organisation == organisation and event.target == place_manager.email
    assert event.action == OrganisationEvent.Action.CLEARED
    assert "Refused email addresses" not in admin_client_.get(page).content.decode()
    # mail goes again
    _make_due(managed_place)
    call_command("send_reminders", stdout=StringIO())
    assert [m.to for m in mail.outbox] == [[place_manager.email]]


def test_only_an_address_shown_on_the_page_may_be_cleared(
    tmp_path, admin_client_, manager_client, viewer_client, managed_place
):
    _run(_mbox(tmp_path, raw_dsn("stranger@example.org")))
    url = reverse("manage:place_bounce_clear", args=[managed_place.public_id])
    response = admin_client_.post(url, {"email": "stranger@example.org"}, follow=True)
    assert "not one of those shown on this page" in response.content.decode()
    assert BouncedAddress.objects.exists()
    assert viewer_client.post(url, {"email": "stranger@example.org"}).status_code == 403


def test_the_members_page_shows_the_refusal_and_the_admin_clears_it(
    tmp_path, admin_client_, viewer_client, organisation, place_manager
):
    _run(_mbox(tmp_path, raw_dsn(place_manager.email, status="4.2.2")))
    html = admin_client_.get(reverse("manage:members", args=[organisation.slug])).content.decode()
    assert f"Mail to {place_manager.email} failed temporarily 1 times" in html
    url = reverse("manage:member_bounce_clear", args=[organisation.slug])
    assert viewer_client.post(url, {"email": place_manager.email}).status_code in (403, 404)
    assert BouncedAddress.objects.exists()
    response = admin_client_.post(url, {"email": place_manager.email})
    assert response.status_code == 302
    assert not BouncedAddress.objects.exists()
