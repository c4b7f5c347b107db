"""The resident's whole question on a phone: a need, a chosen day, a commune typed by name.

On a 390 px screen a resident types "Lyon 7e", asks for a CAF procedure next Thursday
afternoon (the France Services place is open, its CAF desk is not: no result, the next
opening is offered), then on Tuesday morning; reads the place's dated hours and adds that
visit to a calendar.
"""

from __future__ import annotations

import datetime
import re

import icalendar
import pytest
from playwright.sync_api import expect

from tests.browser.data import build_registry

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _ask(page, day: datetime.date, time: str) -> None:
    page.get_by_label("Where? Commune, postcode or address").fill("Lyon 7e")
    page.get_by_label("Distance").select_option("5")
    page.get_by_label("Open on a given day and time").check()
    page.locator("input[name=date]").fill(day.isoformat())
    page.locator("input[name=time]").fill(time)
    page.get_by_role("button", name="Search", exact=True).click()


def test_caf_on_a_chosen_day_near_a_commune_typed_by_name(
    page, live_server, snap, assert_accessible, frozen_now
):
    registry = build_registry()
    assert page.viewport_size == {"width": 390, "height": 844}
    tuesday = frozen_now.date() + datetime.timedelta(days=7)
    thursday = tuesday - datetime.timedelta(days=5)

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name=re.compile("CAF procedure")).click()
    expect(page).to_have_url(re.compile(r"need=caf"))
    _ask(page, thursday, "15:00")
    # The place is open on Thursday afternoon, but its CAF desk only on Tuesday mornings.
    expect(page.locator("ol.place-cards > li")).to_have_count(0)
    upcoming = page.locator("ul.upcoming")
    expect(upcoming).to_contain_text(registry.open_caf.name)
    expect(upcoming).to_contain_text(re.compile(r"opens Tuesday \d+ \w+ at 9 h"))
    assert_accessible(page)
    snap(page, "thursday-nothing")

    _ask(page, tuesday, "10:00")
    cards = page.locator("ol.place-cards > li")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(registry.open_caf.name)
    expect(cards.first.locator(".place-card-offers")).to_contain_text("open until 12 h")
    assert_accessible(page)
    snap(page, "tuesday-found")

    cards.first.get_by_role("link", name=registry.open_caf.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(registry.open_caf.name)
    page.locator(".offer summary", has_text="the next 14 days").first.click()
    offer_days = page.locator(".offer table.agenda").first
    day_words = f"{tuesday:%A} {tuesday.day} {tuesday:%B}"
    row = offer_days.locator("tr", has_text=day_words)
    expect(row).to_contain_text(re.compile(r"9 h\D+12 h"))
    assert_accessible(page)
    snap(page, "dated-hours")

    with page.expect_download() as caught:
        row.get_by_role("link", name=re.compile("add this visit to my calendar")).click()
    with open(caught.value.path(), "rb") as downloaded:
        calendar = icalendar.Calendar.from_ical(downloaded.read())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    start = events[0].decoded("DTSTART")
    assert start.date() == tuesday
    assert (start.hour, start.minute) == (9, 0)
    assert "RRULE" not in events[0]
    assert "12 rue de Marseille" in str(events[0]["LOCATION"])
