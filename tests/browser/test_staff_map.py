"""Staff place form: a click on the map fills latitude and longitude (tiles stay offline)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.data import build_registry
from tests.browser.test_suggestions import _log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_click_on_the_map_fills_the_coordinates(page, live_server, snap):
    registry = build_registry()
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, live_server, registry.admin.username)
    page.goto(f"{live_server.url}/manage/places/{registry.open_caf.public_id}/edit/")
    latitude = page.get_by_label("Latitude")
    longitude = page.get_by_label("Longitude")
    expect(latitude).to_have_value("45.758900")
    map_element = page.locator("[data-place-map] .map")
    expect(map_element).to_be_visible()
    map_element.scroll_into_view_if_needed()
    box = map_element.bounding_box()
    # Click right of and below the centre (the marker sits at the centre).
    map_element.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.75})
    expect(latitude).not_to_have_value("45.758900")
    new_lat, new_lon = float(latitude.input_value()), float(longitude.input_value())
    assert new_lat < 45.7589 and new_lon > 4.845  # south-east of the old point
    assert len(latitude.input_value().split(".")[1]) == 6
    snap(page, "map-click")
