"""The printable sheet of a place on a phone and in print, reached from the place page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.data import build_registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The CAF desk's Tuesday morning, "9 h – 12 h" in French typography, "9:00–12:00" elsewhere.
ADVISOR_HOURS = re.compile(r"(?<!\d)9(:00|\s*h)\D+12(:00|\s*h)")


def test_sheet_on_a_phone_and_in_print(
    page, context, live_server, snap, assert_accessible, frozen_now
):
    registry = build_registry()
    place_url = f"{live_server.url}/lieux/{registry.open_caf.slug}/"
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(place_url)
    share = page.locator("section.place-share")
    expect(share.get_by_label("Link to copy")).to_have_value(place_url)
    share.get_by_role("button", name="Copy the link").click()
    expect(share.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == place_url
    expect(share.get_by_role("link", name="On WhatsApp")).to_have_attribute(
        "href", re.compile(r"^https://wa\.me/\?text=.*" + re.escape("%2Flieux%2F"))
    )

    share.get_by_role("link", name="Print the information sheet").click()
    expect(page).to_have_url(re.compile(r"/fiche/$"))
    assert page.viewport_size["width"] == 390
    place_week = page.locator("table.sheet-week").first
    expect(place_week.locator("tr", has_text="Tuesday").first).to_contain_text("0 h – 24 h")
    caf = page.locator("section", has=page.get_by_role("heading", name=re.compile("CAF")))
    expect(caf.locator("tr", has_text="Tuesday").first).to_contain_text(ADVISOR_HOURS)
    expect(caf.locator("tr", has_text="Wednesday").first).to_contain_text("Closed")
    expect(page.locator(".sheet-qr svg")).to_be_visible()
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    assert_accessible(page)
    snap(page, "sheet")

    page.emulate_media(media="print")
    expect(place_week).to_be_visible()
    expect(caf.locator("tr", has_text="Tuesday").first).to_be_visible()
    expect(page.locator(".sheet-qr svg")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main menu")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".signage-tools")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    snap(page, "sheet-print")
    page.emulate_media(media="screen")

    page.get_by_role("link", name="Door poster in large type").click()
    expect(page).to_have_url(re.compile(r"/affiche/\?lang=en$"))
    poster_day = page.locator("table.sheet-week tr", has_text="Tuesday").first
    sheet_size = 17.0  # the body's 1.0625 rem
    poster_size = float(poster_day.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
    assert poster_size >= 1.4 * sheet_size
    assert_accessible(page)
    snap(page, "poster")
