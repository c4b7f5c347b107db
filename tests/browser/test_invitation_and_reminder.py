"""A registry admin invites a place manager, who sets a password from the email; the place
falls due, the manager confirms it from the reminder email without signing in."""

from __future__ import annotations

import datetime
import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from places.models import Membership, Place, Role
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, OrganisationFactory, PlaceFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _link(body: str, base: str, marker: str) -> str:
    match = re.search(rf"{re.escape(base)}{re.escape(marker)}\S+", body)
    assert match, body
    return match.group(0)


def test_invite_a_manager_then_confirm_a_place_from_the_reminder(
    page, live_server, snap, assert_accessible, settings
):
    settings.SITE_URL = live_server.url
    organisation = OrganisationFactory(slug="ville-de-lyon", name="Ville de Lyon")
    admin = UserFactory(username="admin")
    MembershipFactory(user=admin, organisation=organisation, role=Role.REGISTRY_ADMIN)
    place = PlaceFactory(organisation=organisation, name="Repair café", phone="04 78 00 00 00")

    # The admin adds a place manager from the members page.
    page.goto(f"{live_server.url}/manage/login/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    page.get_by_role("link", name="Members", exact=True).click()
    page.locator("#id_username").fill("nadia")
    page.locator("#id_email").fill("nadia@example.org")
    page.locator("#id_role").select_option("place_manager")
    page.get_by_role("button", name="Add this person").click()
    expect(
        page.get_by_text("An invitation with a link to choose a password was sent")
    ).to_be_visible()
    page.get_by_role("button", name=re.compile("log out", re.I)).click()

    # Nadia chooses her password from the email.
    (invitation,) = mail.outbox
    page.goto(_link(invitation.body, live_server.url, "/manage/invitation/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    assert_accessible(page)
    snap(page, "invitation")
    page.locator("#id_new_password1").fill("jardin-42-partage")
    page.locator("#id_new_password2").fill("jardin-42-partage")
    page.get_by_role("button", name="Save my password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is saved")

    # Her place falls due; the daily cron reminds her.
    nadia = Membership.objects.get(user__username="nadia").user
    place.managers.add(nadia)
    place.verified_at = timezone.now() - datetime.timedelta(days=200)
    place.save()
    call_command("send_reminders", stdout=StringIO())
    reminder = mail.outbox[-1]
    assert reminder.to == ["nadia@example.org"]

    # She confirms from the link, correcting the phone, without signing in.
    link = _link(reminder.body, live_server.url, "/verifier/")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Repair café")
    assert_accessible(page)
    snap(page, "reminder")
    page.get_by_label("Phone").fill("04 72 11 22 33")
    page.get_by_role("button", name="Confirm this information").click()
    expect(page.get_by_role("status")).to_contain_text("the information is confirmed")
    place.refresh_from_db()
    assert place.phone == "04 72 11 22 33"
    assert place.verification_method == Place.VerificationMethod.SELF_SERVICE

    # The link is spent: it says so and offers a new one.
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("already used")
    expect(page.get_by_role("button", name="Send me a new link")).to_be_visible()
    assert_accessible(page)

    # Residents see the check on the place page.
    page.goto(f"{live_server.url}/lieux/{place.slug}/")
    expect(page.get_by_text("Information checked on")).to_be_visible()
