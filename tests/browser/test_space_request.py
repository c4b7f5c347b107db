"""The sharing loop on a phone: a resident asks for a room, follows the emailed link, the
place's manager accepts, and the room is no longer free at that time."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from economics import actions
from places.models import Role
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, OrganisationFactory, PlaceFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _next_tuesday() -> datetime.date:
    day = datetime.date.today() + datetime.timedelta(days=7)
    return day + datetime.timedelta(days=(1 - day.weekday()) % 7)


def test_request_a_room_then_the_manager_accepts_it(page, live_server, snap, assert_accessible):
    organisation = OrganisationFactory(slug="ville-de-lyon", name="Ville de Lyon")
    manager = UserFactory(username="gestion", password=PASSWORD, email="gestion@example.org")
    MembershipFactory(user=manager, organisation=organisation, role=Role.PLACE_MANAGER)
    place = PlaceFactory(organisation=organisation, name="Maison des associations")
    place.managers.add(manager)
    room = actions.space_create(
        user=manager,
        place=place,
        data={"name": "Salle Louise Michel", "kind": "meeting_room", "capacity": 12},
    )
    actions.sharing_offer_set(
        user=manager,
        space=room,
        rules=[{"kind": "weekly", "days": [1, 3], "times": ["18:00-22:00"]}],
        data={"visibility": "public", "public_holidays_closed": False, "show_spare": True},
        expected_version=None,
    )
    tuesday = _next_tuesday()

    # A resident finds the room and asks for it, on a phone.
    page.goto(f"{live_server.url}/espaces/")
    expect(page.locator("[data-spaces-map]")).to_be_visible()
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)
    assert_accessible(page)
    snap(page, "listing")
    page.get_by_role("link", name="Ask to use this space").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Salle Louise Michel")
    assert_accessible(page)
    page.get_by_label("Date").fill(tuesday.isoformat())
    page.get_by_label("From").fill("19:00")
    page.get_by_label(re.compile(r"^To\b")).fill("21:00")
    page.get_by_label("Number of people").fill("8")
    page.get_by_label("What for?").fill("Assemblée générale des Jardins partagés")
    page.get_by_label("Your name").fill("Amina Diallo")
    page.get_by_label("Your email address").fill("amina@example.org")
    page.get_by_label("Association or group (optional)").fill("Jardins partagés")
    snap(page, "filled")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".request-status")).to_have_text("Waiting for the place's answer")
    snap(page, "sent")

    # The emailed link, followed.
    message = next(m for m in mail.outbox if m.to == ["amina@example.org"])
    link = re.search(r"https?://\S+/espaces/demandes/\S+/", message.body).group(0)
    link = link.replace(settings.SITE_URL.rstrip("/"), live_server.url)
    assert any(m.to == ["gestion@example.org"] for m in mail.outbox)

    # The manager accepts it from the staff list.
    page.goto(f"{live_server.url}/manage/login/")
    page.get_by_label("Username").fill("gestion")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/manage/$"))
    page.get_by_role("link", name="Space requests").click()
    page.get_by_role("link", name="Decide").click()
    snap(page, "decide")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("The request was accepted")).to_be_visible()

    # The room is no longer free then; the requester's page says it is theirs.
    page.goto(f"{live_server.url}/espaces/?day={tuesday.isoformat()}&time=20:00")
    expect(page.get_by_role("heading", level=2, name="0 spaces")).to_be_visible()
    page.goto(link)
    expect(page.locator(".request-status")).to_have_text("Accepted")
    expect(page.get_by_role("link", name="Add to my calendar (.ics)")).to_be_visible()
    snap(page, "accepted")
    # The place's occupancy shows the booked hours.
    page.goto(f"{live_server.url}/manage/economics/places/{place.public_id}/?month={tuesday:%Y-%m}")
    expect(
        page.get_by_text(re.compile(r"^2(\.0+)? hours booked by accepted requests"))
    ).to_be_visible()
