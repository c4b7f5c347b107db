""" "Near me" and the "Where?" field on the home page, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.data import POINT, build_registry

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_near_me_searches_around_the_position(
    context, page, live_server, assert_accessible, frozen_now
):
    registry = build_registry()
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": POINT[0], "longitude": POINT[1]})
    page.goto(f"{live_server.url}/")
    button = page.get_by_role("button", name="Near me")
    expect(button).to_be_visible()
    assert_accessible(page)
    button.focus()
    page.keyboard.press("Enter")  # reachable and usable with the keyboard
    expect(page).to_have_url(re.compile(r"/lieux/\?.*lat=45\.\d+.*lon=4\.\d+"))
    expect(page.locator(".result-count")).to_contain_text("nearest first")
    expect(page.get_by_role("link", name=registry.open_caf.name)).to_be_visible()
    expect(page.get_by_role("link", name=registry.far_caf.name)).to_have_count(0)


def test_a_typed_arrondissement_from_the_home_page(page, live_server, frozen_now):
    registry = build_registry()
    page.goto(f"{live_server.url}/")
    page.get_by_label("Where? Commune, postcode or address").fill("Lyon 3e")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("Searching around Lyon 3e Arrondissement (69).")).to_be_visible()
    expect(page.get_by_role("link", name=registry.open_caf.name)).to_be_visible()


def test_refused_position_asks_for_a_commune(context, page, live_server, frozen_now):
    build_registry()
    context.clear_permissions()
    page.goto(f"{live_server.url}/lieux/")
    page.get_by_role("button", name="Near me").click()
    expect(page.locator("[data-near-me-status]")).to_have_text(
        "You did not allow access to your position. Type your commune or postcode instead."
    )
    expect(page).to_have_url(re.compile(r"/lieux/$"))
    expect(page.get_by_label("Where? Commune, postcode or address")).to_be_focused()
