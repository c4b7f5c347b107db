"""Email that works: suggestion notices (immediate or daily digest), invitations with a
single-use expiring link, outcomes to residents, and refused addresses."""

from __future__ import annotations

import datetime
import smtplib
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from places import actions, emails
from places.models import BouncedAddress, Membership, Role, Suggestion
from tests.factories import MembershipFactory, PlaceFactory, UserFactory

User = get_user_model()


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _submit(place, **data):
    return actions.suggestion_submit(
        kind=Suggestion.Kind.CORRECTION, place=place, data=data, email="resident@example.org"
    )


def _new_place(name="Jardin des Pentes"):
    return actions.suggestion_submit(kind=Suggestion.Kind.NEW_PLACE, data={"name": name})


# ----------------------------------------------------------------- suggestion notices


def test_admins_and_the_places_managers_hear_of_a_correction(
    managed_place,
    registry_admin,
    place_manager,
    viewer,
    outsider,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        suggestion = _submit(managed_place, phone="04 78 00 00 01")
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["admin@example.org", "manager@example.org"]
    message = mail.outbox[0]
    assert "Médiathèque Jean Macé" in message.subject
    assert reverse("manage:suggestion_detail", args=[suggestion.pk]) in message.body
    assert message.body.startswith("A resident sent a suggestion")


def test_a_manager_of_another_place_is_not_told(
    organisation, managed_place, registry_admin, django_capture_on_commit_callbacks
):
    other_manager = UserFactory(username="autre")
    MembershipFactory(user=other_manager, organisation=organisation, role=Role.PLACE_MANAGER)
    PlaceFactory(organisation=organisation).managers.add(other_manager)
    with django_capture_on_commit_callbacks(execute=True):
        _submit(managed_place, phone="04 78 00 00 01")
    assert "autre@example.org" not in [m.to[0] for m in mail.outbox]


def test_a_new_place_goes_to_every_registry_admin_once(
    registry_admin, outsider, organisation, django_capture_on_commit_callbacks
):
    # The admin is admin of a second organisation too: still one email.
    MembershipFactory(
        user=registry_admin,
        organisation=PlaceFactory().organisation,
        role=Role.REGISTRY_ADMIN,
    )
    with django_capture_on_commit_callbacks(execute=True):
        _new_place()
    assert sorted(m.to[0] for m in mail.outbox) == ["admin@example.org", "outsider@example.org"]


def test_digest_and_silent_preferences_get_no_immediate_email(
    managed_place, registry_admin, place_manager, django_capture_on_commit_callbacks
):
    Membership.objects.filter(user=registry_admin).update(
        suggestion_emails=Membership.SuggestionEmails.DAILY
    )
    Membership.objects.filter(user=place_manager).update(
        suggestion_emails=Membership.SuggestionEmails.NONE
    )
    with django_capture_on_commit_callbacks(execute=True):
        _submit(managed_place, phone="04 78 00 00 01")
    assert mail.outbox == []


def test_nothing_is_sent_when_the_submission_is_refused(
    managed_place, registry_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        _submit(managed_place, phone="x" * 200)
    assert mail.outbox == []


def test_the_daily_digest_lists_new_suggestions_once(managed_place, registry_admin):
    Membership.objects.filter(user=registry_admin).update(
        suggestion_emails=Membership.SuggestionEmails.DAILY
    )
    first = _submit(managed_place, phone="04 78 00 00 01")
    second = _new_place()
    now = timezone.now() + datetime.timedelta(minutes=1)
    assert emails.send_suggestion_digests(now=now) == 1
    (digest,) = mail.outbox
    assert digest.to == ["admin@example.org"]
    assert digest.subject == "2 new suggestions for Ville de Lyon"
    for suggestion in (first, second):
        assert reverse("manage:suggestion_detail", args=[suggestion.pk]) in digest.body
    # The same day again: nothing. The next day, only what came after the digest.
    assert emails.send_suggestion_digests(now=now + datetime.timedelta(hours=2)) == 0
    Suggestion.objects.filter(pk__in=[first.pk, second.pk]).update(
        created_at=now - datetime.timedelta(minutes=5)
    )
    third = _submit(managed_place, phone="04 78 00 00 03")
    Suggestion.objects.filter(pk=third.pk).update(created_at=now + datetime.timedelta(hours=3))
    assert emails.send_suggestion_digests(now=now + datetime.timedelta(days=1)) == 1
    body = mail.outbox[1].body
    assert reverse("manage:suggestion_detail", args=[third.pk]) in body
    assert reverse("manage:suggestion_detail", args=[first.pk]) not in body


def test_a_digest_with_nothing_new_is_not_sent(registry_admin):
    Membership.objects.filter(user=registry_admin).update(
        suggestion_emails=Membership.SuggestionEmails.DAILY
    )
    assert emails.send_suggestion_digests() == 0
    assert mail.outbox == []


def test_the_digest_command_reports_what_it_sent(managed_place, registry_admin):
    from io import StringIO

    from django.core.management import call_command

    Membership.objects.filter(user=registry_admin).update(
        suggestion_emails=Membership.SuggestionEmails.DAILY
    )
    _submit(managed_place, phone="04 78 00 00 01")
    out = StringIO()
    call_command("send_suggestion_digest", stdout=out)
    assert "Digests sent: 1." in out.getvalue()
    assert len(mail.outbox) == 1


# ------------------------------------------------------------------------ preferences


def test_a_person_chooses_a_daily_digest(admin_client_, registry_admin, organisation):
    membership = Membership.objects.get(user=registry_admin, organisation=organisation)
    url = reverse("manage:email_preferences")
    assert admin_client_.get(url).status_code == 200
    response = admin_client_.post(url, {f"m{membership.pk}": "daily"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.suggestion_emails == "daily"


def test_an_unknown_preference_is_refused_next_to_the_organisation(
    admin_client_, registry_admin, organisation
):
    membership = Membership.objects.get(user=registry_admin, organisation=organisation)
    response = admin_client_.post(
        reverse("manage:email_preferences"), {f"m{membership.pk}": "hourly"}
    )
    assert response.status_code == 400
    assert "Choose one of the options." in response.content.decode()
    membership.refresh_from_db()
    assert membership.suggestion_emails == "immediate"


def test_outsiders_without_a_role_cannot_reach_preferences(client, db):
    lonely = UserFactory(username="lonely")
    client.force_login(lonely)
    assert client.get(reverse("manage:email_preferences")).status_code == 403


# ------------------------------------------------------------------------- invitations


def _invite(organisation, admin, username="nadia", email="nadia@example.org", **kwargs):
    return actions.person_invite(
        organisation=organisation,
        user=admin,
        username=username,
        email=email,
        role=Role.PLACE_MANAGER,
        **kwargs,
    )


def _link_path(body: str) -> str:
    line = next(line for line in body.splitlines() if "/manage/invitation/" in line)
    return line.strip().removeprefix("http://localhost:8000")


def test_adding_a_member_emails_an_invitation(
    admin_client_, organisation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            reverse("manage:member_add", args=[organisation.slug]),
            {"username": "nadia", "email": "nadia@example.org", "role": "place_manager"},
            follow=True,
        )
    assert "An invitation with a link to choose a password was sent to nadia@example.org." in (
        response.content.decode()
    )
    (message,) = mail.outbox
    assert message.to == ["nadia@example.org"]
    assert "Ville de Lyon" in message.subject
    assert "/manage/invitation/" in message.body and "place manager" in message.body


def test_the_invitation_link_sets_the_password_once(
    client, organisation, registry_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(organisation, registry_admin)
    path = _link_path(mail.outbox[0].body)
    response = client.get(path, follow=True)
    assert response.status_code == 200 and "Choose your password" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "un-jardin-partage-42", "new_password2": "un-jardin-partage-42"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("manage:invitation_complete")
    nadia = User.objects.get(username="nadia")
    assert nadia.check_password("un-jardin-partage-42")
    # Used: the same link now says so and offers a new one.
    client.logout()
    html = client.get(path, follow=True).content.decode()
    assert "expired or was already used" in html
    assert reverse("manage:invitation_request") in html


def test_an_expired_invitation_says_so(
    client, organisation, registry_admin, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(organisation, registry_admin)
    path = _link_path(mail.outbox[0].body)
    later = datetime.datetime.now() + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT + 60
    )
    with mock.patch.object(emails.invitation_token, "_now", return_value=later):
        html = client.get(path, follow=True).content.decode()
    assert "expired or was already used" in html
    assert User.objects.get(username="nadia").has_usable_password() is False


def test_a_tampered_invitation_token_is_refused(client, organisation, registry_admin):
    _invite(organisation, registry_admin)
    nadia = User.objects.get(username="nadia")
    path = emails.invitation_link(nadia).removeprefix("http://localhost:8000")
    html = client.get(path[:-3] + "abc/", follow=True).content.decode()
    assert "expired or was already used" in html


def test_a_password_reset_token_is_no_invitation(client, organisation, registry_admin):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    _invite(organisation, registry_admin)
    nadia = User.objects.get(username="nadia")
    uid = urlsafe_base64_encode(force_bytes(nadia.pk))
    path = reverse(
        "manage:invitation_accept", args=[uid, default_token_generator.make_token(nadia)]
    )
    assert "expired or was already used" in client.get(path, follow=True).content.decode()


def test_a_new_link_can_be_requested_for_an_unused_invitation(client, organisation, registry_admin):
    _invite(organisation, registry_admin)
    response = client.post(reverse("manage:invitation_request"), {"email": "NADIA@example.org"})
    assert response.status_code == 200
    (message,) = mail.outbox
    assert message.to == ["nadia@example.org"] and "/manage/invitation/" in message.body


def test_requesting_a_link_tells_nothing_about_unknown_addresses(client, registry_admin):
    known = client.post(reverse("manage:invitation_request"), {"email": "admin@example.org"})
    unknown = client.post(reverse("manage:invitation_request"), {"email": "nobody@example.org"})
    # The admin has a password: no invitation; and the page reads the same for both.
    assert mail.outbox == []
    assert known.status_code == unknown.status_code == 200
    for response, email in ((known, "admin@example.org"), (unknown, "nobody@example.org")):
        assert f"If {email} was invited and has not chosen a password yet" in (
            response.content.decode()
        )


def test_a_malformed_address_is_refused_next_to_the_field(client):
    response = client.post(reverse("manage:invitation_request"), {"email": "pas une adresse"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_an_existing_account_with_a_password_gets_no_invitation(
    organisation, registry_admin, django_capture_on_commit_callbacks
):
    UserFactory(username="already", email="already@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        membership = _invite(organisation, registry_admin, username="already")
    assert membership.invitation_sent is False
    assert mail.outbox == []


# --------------------------------------------------------------- outcome and bounces


def test_the_resident_gets_the_outcome(
    managed_place, registry_admin, django_capture_on_commit_callbacks
):
    suggestion = _submit(managed_place, phone="04 78 00 00 01")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.suggestion_reject(suggestion=suggestion, user=registry_admin, reason="Doublon.")
    (message,) = mail.outbox
    assert message.to == ["resident@example.org"]
    assert "Doublon." in message.body


def test_a_refused_address_is_recorded_and_not_tried_again(db):
    refused = smtplib.SMTPRecipientsRefused({"gone@example.org": (550, b"No such user")})
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=refused) as send:
        outcome, error = emails.send(to="Gone@example.org", subject="s", body="b")
        assert (outcome, error) == (emails.BOUNCED, "550 No such user")
        again, _error = emails.send(to="gone@example.org", subject="s", body="b")
    assert again == emails.SKIPPED
    assert send.call_count == 1
    bounce = BouncedAddress.objects.get()
    assert (bounce.email, bounce.count) == ("gone@example.org", 1)


def test_a_server_failure_is_no_bounce(db):
    with mock.patch(
        "django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("refused")
    ):
        outcome, _error = emails.send(to="someone@example.org", subject="s", body="b")
    assert outcome == emails.FAILED
    assert not BouncedAddress.objects.exists()
