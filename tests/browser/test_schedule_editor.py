"""The schedule editor in a real browser: the France Services example typed by a registry
admin, previewed in French, saved, exported as OSM text and iCalendar; the OSM text box
checked while it is typed."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from scheduling import selectors
from scheduling.materialise import local_zone
from scheduling.models import Schedule
from tests.browser.data import build_registry
from tests.browser.test_suggestions import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEEKDAY_HOURS = "09:00-12:00, 14:00-17:00"


def _next_weekday(weekday: int, hour: int) -> datetime.datetime:
    """The next such weekday at least two days ahead that is no public holiday."""
    from scheduling.calendars import is_public_holiday

    day = datetime.date.today() + datetime.timedelta(days=2)
    while day.weekday() != weekday or is_public_holiday(day, "69"):
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), local_zone())


def _in_french(page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])


def test_france_services_week_typed_previewed_in_french_and_exported(
    page, live_server, snap, assert_accessible
):
    registry = build_registry()
    place = registry.closed_caf  # no hours yet
    _log_in(page, live_server, registry.admin.username)
    _in_french(page, live_server)
    page.goto(live_server.url + reverse("scheduling:place_hours", args=[place.public_id]))
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    for day in range(5):
        page.locator(f"#id_grid-day_{day}").fill(WEEKDAY_HOURS)
    page.locator("#rules-form button[value=preview]").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text(re.compile("mardi", re.IGNORECASE))
    expect(preview).to_contain_text("9 h – 12 h, 14 h – 17 h")
    assert not Schedule.objects.filter(place=place).exists(), "a preview saves nothing"
    # What was typed is still there, to be saved as previewed.
    expect(page.locator("#id_grid-day_1")).to_have_value(WEEKDAY_HOURS)
    assert_accessible(page)
    snap(page, "preview")

    page.locator("#rules-form button[value=save]").click()
    expect(page.locator("#osm-export")).to_have_text("Mo-Fr 09:00-12:00,14:00-17:00; PH off")
    tuesday = _next_weekday(1, 10)
    assert selectors.is_open(place, tuesday)
    assert not selectors.is_open(place, tuesday.replace(hour=13))
    assert not selectors.is_open(place, tuesday + datetime.timedelta(days=4))  # Saturday

    with page.expect_download() as caught:
        page.locator("#osm-export").locator("xpath=../..").get_by_role("link").click()
    with open(caught.value.path(), encoding="utf-8") as downloaded:
        ics = downloaded.read()
    assert "RRULE:FREQ=WEEKLY" in ics and "BYDAY=MO,TU,WE,TH,FR" in ics
    assert_accessible(page)
    snap(page, "saved")


def test_osm_text_is_checked_while_typed(page, live_server, snap):
    registry = build_registry()
    place = registry.closed_caf
    _log_in(page, live_server, registry.admin.username)
    page.goto(live_server.url + reverse("scheduling:place_hours", args=[place.public_id]))
    box = page.get_by_label("Opening hours in OSM opening_hours format")
    status = page.locator("#osm-status")

    box.fill("Mo-Fr 09:00-12:00; Sa 25:00-26:00")
    expect(status).to_contain_text(re.compile("25:00"))
    expect(box).to_have_attribute("aria-invalid", "true")
    snap(page, "faulty")

    box.fill("Mo-Fr 09:00-12:00; Sa 10:00-12:00")
    expect(status).to_contain_text("Valid")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    assert not Schedule.objects.filter(place=place).exists(), "checking saves nothing"
