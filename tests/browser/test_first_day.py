"""The first day of a new city, as one story in the browser: the organisation is set up
from the command line, then everything else happens in the pages. The registry admin
chooses a password from the printed link, invites a place manager (who chooses hers from
the email), creates and publishes a place, finds it on the "Places to check" page once it
is stale, sends the reminder from there, the manager confirms from the email link without
signing in, the admin exports the registry and grants a provider an agreement.

Typing budgets in French notation is the story of test_budget_editor.py; bulk actions of
test_bulk_actions.py; a spent reminder link of test_invitation_and_reminder.py.
"""

from __future__ import annotations

import datetime
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from api.models import PlaceProviderAgreement
from places.models import Place
from tests.browser.test_suggestions import _log_in
from tests.factories import ProviderFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

ADMIN_PASSWORD = "nantes-2026-registre"
MANAGER_PASSWORD = "jardin-42-partage"


def _link(text: str, base: str, marker: str) -> str:
    match = re.search(rf"{re.escape(base)}{re.escape(marker)}\S+", text)
    assert match, text
    return match.group(0)


def _choose_password(page, link: str, password: str) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your password")
    page.locator("#id_new_password1").fill(password)
    page.locator("#id_new_password2").fill(password)
    page.get_by_role("button", name="Save my password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your password is saved")


def _log_out(page) -> None:
    page.get_by_role("button", name=re.compile("log out", re.I)).click()


def test_first_day_of_a_new_city(page, live_server, snap, settings):
    settings.SITE_URL = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    provider = ProviderFactory(slug="emmaus-connect", name="Emmaüs Connect")

    # The organisation and its first registry admin, from the command line.
    out = StringIO()
    call_command(
        "setup_organisation",
        "--slug=ville-de-nantes",
        "--name=Ville de Nantes",
        "--username=claire",
        "--email=claire@nantes.example.org",
        stdout=out,
    )
    _choose_password(
        page, _link(out.getvalue(), live_server.url, "/manage/invitation/"), ADMIN_PASSWORD
    )
    _log_in(page, live_server, "claire", ADMIN_PASSWORD)

    # She invites a place manager, who chooses her password from the email.
    page.get_by_role("link", name="Members", exact=True).click()
    page.locator("#id_username").fill("nadia")
    page.locator("#id_email").fill("nadia@example.org")
    page.locator("#id_role").select_option("place_manager")
    page.get_by_role("button", name="Add this person").click()
    expect(
        page.get_by_text("An invitation with a link to choose a password was sent")
    ).to_be_visible()
    _log_out(page)
    (invitation,) = mail.outbox
    assert invitation.to == ["nadia@example.org"]
    _choose_password(
        page, _link(invitation.body, live_server.url, "/manage/invitation/"), MANAGER_PASSWORD
    )

    # The admin creates the first place, with its manager and how often to check it.
    _log_in(page, live_server, "claire", ADMIN_PASSWORD)
    page.get_by_role("link", name="Add a place").click()
    page.locator("#id_name").fill("Atelier vélo de Chantenay")
    page.get_by_label("Repair café", exact=True).check()
    page.locator("#id_address").fill("12 rue des Usines")
    page.locator("#id_postcode").fill("44100")
    page.locator("#id_commune").fill("Nantes")
    page.get_by_label("nadia", exact=True).check()
    page.locator("#id_update_every_days").select_option("90")
    snap(page, "new-place")
    page.get_by_role("button", name="Create the place").click()
    expect(page.get_by_text("was created as a draft")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".badge").first).to_have_text("Published")
    place = Place.objects.get(name="Atelier vélo de Chantenay")
    assert place.update_every_days == 90
    assert [m.username for m in place.managers.all()] == ["nadia"]

    # Months pass: the place falls due and shows on "Places to check".
    place.verified_at = timezone.now() - datetime.timedelta(days=100)
    place.save()
    page.get_by_role("link", name="Places to check").click()
    page.get_by_label("Remind the managers of Atelier vélo de Chantenay").check()
    snap(page, "places-to-check")
    page.get_by_role("button", name="Send a reminder to the selected places").click()
    expect(page.get_by_role("cell", name="nadia@example.org")).to_be_visible()
    reminder = mail.outbox[-1]
    assert reminder.to == ["nadia@example.org"]
    _log_out(page)

    # The manager confirms from the email link, without signing in.
    page.goto(_link(reminder.body, live_server.url, "/verifier/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Atelier vélo de Chantenay")
    page.get_by_role("button", name="Confirm this information").click()
    expect(page.get_by_role("status")).to_contain_text("the information is confirmed")
    place.refresh_from_db()
    assert place.verification_method == Place.VerificationMethod.SELF_SERVICE
    assert timezone.localdate(place.verified_at) == timezone.localdate()

    # The admin exports the registry...
    _log_in(page, live_server, "claire", ADMIN_PASSWORD)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Atelier vélo de Chantenay" in content and "nadia" in content

    # ... and lets a provider publish its services at the place through the partner API.
    page.get_by_role("link", name="Atelier vélo de Chantenay", exact=True).click()
    page.get_by_role("link", name="Provider agreements").click()
    page.get_by_role("link", name="New agreement").click()
    page.get_by_label("Provider").select_option(label="Emmaüs Connect")
    page.get_by_label("Terms").fill("Ateliers numériques le mardi, sans frais pour le lieu.")
    snap(page, "agreement")
    page.get_by_role("button", name="Save the agreement").click()
    expect(page.get_by_role("cell", name="Emmaüs Connect")).to_be_visible()
    agreement = PlaceProviderAgreement.objects.get(place=place)
    assert agreement.provider == provider
    assert agreement.terms.startswith("Ateliers numériques")
