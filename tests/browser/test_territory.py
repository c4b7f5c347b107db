"""A city's staff study who is far from a CAF desk on Saturday morning, test an extra
Saturday opening of an existing place and a new place, compare them, and turn the new
place into a draft place with its service and hours: all in the browser, axe on each page."""

from __future__ import annotations

import datetime
import re

import pytest
from playwright.sync_api import expect

from places.models import Place
from territory.models import Commune, Scenario
from tests.browser.data import build_registry
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Four communes of the Rhône around the registry's places (Lyon 3e is next to the
# Guillotière desk, Vénissieux and Givors are farther; the Vaise desk is 9.6 km away).
COMMUNES = [
    ("69383", "Lyon 3e Arrondissement", 100_000, 45.7597, 4.8470),
    ("69266", "Villeurbanne", 150_000, 45.7700, 4.8800),
    ("69259", "Vénissieux", 65_000, 45.6970, 4.8860),
    ("69091", "Givors", 20_000, 45.5900, 4.7700),
]


def _communes():
    for code, name, population, lat, lon in COMMUNES:
        Commune.objects.create(
            insee_code=code,
            name=name,
            department="69",
            region="84",
            population=population,
            latitude=lat,
            longitude=lon,
            source="test",
            recorded_on=datetime.date(2026, 1, 1),
        )


def test_staff_study_coverage_try_openings_and_create_a_draft_place(
    page, live_server, snap, assert_accessible
):
    registry = build_registry()
    _communes()

    page.goto(f"{live_server.url}/manage/login/")
    page.get_by_label("Username").fill(registry.admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    page.get_by_role("link", name="Territory", exact=True).click()

    # Who lives more than 5 km from a CAF desk open on Saturday morning?
    page.get_by_label("Department").select_option("69")
    page.get_by_label("What residents need").select_option("kind:caf")
    page.get_by_label("When").select_option("saturday_morning")
    page.get_by_label("Radius (km)").fill("5")
    page.get_by_role("button", name="Compute").click()
    # Only the Vaise desk is open then (Guillotière's CAF desk is on Tuesday mornings).
    expect(page.locator("p.lead")).to_contain_text(
        "335,000 residents of department 69 live more than 5 km from a place offering"
    )
    expect(page.locator("p.lead")).to_contain_text("on Saturday morning (4 communes of 4)")
    assert_accessible(page)
    snap(page, "coverage")

    # The places that offer it at other times: Guillotière first (then Saxe, same reach).
    openings = page.get_by_role("table", name=re.compile("if they opened on Saturday morning"))
    first = openings.get_by_role("row").nth(1)
    expect(first).to_contain_text("France Services Guillotière")
    expect(first).to_contain_text("250,000")
    first.get_by_role("link").click()

    # The form keeps its hours for the CAF desk and adds Saturday morning.
    expect(page.get_by_label("Weekly hours")).to_have_value(
        "Tu 09:00-12:00, Sa 09:00-12:00; PH off"
    )
    assert_accessible(page)
    page.get_by_role("button", name="Compute and save the scenario").click()
    expect(page.get_by_role("status").first).to_contain_text("saved")
    saturday = page.locator("section.card").filter(has_text="Guillotière")
    expect(saturday).to_contain_text("Other hours for the existing place")
    expect(saturday.get_by_role("row").nth(1)).to_contain_text("250,000")

    # Bad input: a new place with no position and unreadable hours, input kept.
    page.get_by_label("Name of the scenario").fill("Maison à Givors")
    page.get_by_label("Department studied").select_option("69")
    page.get_by_label("Service kinds it would offer").select_option(
        label="Family and social benefits (CAF)"
    )
    page.get_by_label("Weekly hours").fill("samedi matin")
    page.get_by_role("button", name="Compute and save the scenario").click()
    expect(page.locator("#id_opening_hours_errors")).to_contain_text("cannot be read")
    expect(page.locator("#id_commune_errors")).to_contain_text("Say where the new place would be")
    expect(page.get_by_label("Name of the scenario")).to_have_value("Maison à Givors")
    assert Scenario.objects.count() == 1

    page.get_by_label("At the town hall of the commune (INSEE code)").fill("69091")
    page.get_by_label("Weekly hours").fill("Mo-Fr 09:00-12:00; Sa 09:00-12:00")
    page.get_by_role("button", name="Compute and save the scenario").click()
    expect(page.get_by_role("status").first).to_contain_text("saved")
    givors = page.locator("section.card").filter(has_text="Maison à Givors")
    expect(givors).to_contain_text("At the town hall of Givors")

    # Side by side.
    page.get_by_label(re.compile("Compare “France Services Guillotière")).check()
    page.get_by_label("Compare “Maison à Givors”").check()
    page.get_by_role("button", name="Compare the ticked scenarios").click()
    expect(page.get_by_role("row").filter(has_text="250,000")).to_have_count(1)
    assert_accessible(page)
    page.go_back()

    # The new place becomes a draft place, with its CAF service and its hours.
    page.get_by_role("button", name="Create a draft place from “Maison à Givors”").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maison à Givors")
    place = Place.objects.get(name="Maison à Givors")
    assert place.status == Place.Status.DRAFT and place.insee_code == "69091"
    assert [o.kind.slug for o in place.offers.all()] == ["caf"]
    assert place.schedule.osm_source == "Mo-Fr 09:00-12:00; Sa 09:00-12:00"
    # The existing place's scenario offers no draft place.
    expect(page.get_by_role("button", name=re.compile("Guillotière"))).to_have_count(0)
