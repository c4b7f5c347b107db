"""The budget editor in a real browser: an amount typed the French way with spare rows left
blank is saved to the cent, and the editor fits a 1,280 px screen and a 390 px phone."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from economics.models import BudgetLine
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.data import build_registry
from tests.browser.test_suggestions import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_HORIZONTAL_SCROLL = (
    "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


def test_a_french_amount_with_blank_spare_rows_is_saved_to_the_cent(
    page, live_server, snap, assert_accessible
):
    registry = build_registry()
    place = registry.fablab
    _log_in(page, live_server, registry.admin.username)
    url = reverse("economics:budget_edit", args=[place.public_id, 2025, "actual"])
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}{url}")

    assert page.evaluate(NO_HORIZONTAL_SCROLL), "the budget editor overflows at 1,280 px"
    first = page.locator("tr.budget-row").first
    first.get_by_label(re.compile("^Cost or revenue")).select_option("cost")
    first.get_by_label(re.compile("^Category")).select_option("premises")
    # A narrow no-break space between thousands, as French keyboards' layouts and Babel write.
    first.get_by_label(re.compile("^Amount")).fill("1\u202f500,50")
    first.get_by_label(re.compile("^Label")).fill("Loyer")
    assert page.locator("tr.budget-row").count() > 1  # the spare rows stay blank
    snap(page, "typed")
    page.get_by_role("button", name="Save the budget").click()

    expect(page.get_by_text("The budget was saved.")).to_be_visible()
    line = BudgetLine.objects.get(place=place, year=2025, scenario="actual")
    assert line.amount == Decimal("1500.50")
    assert line.label == "Loyer"
    # Read back on the economics page in English notation (the test's language).
    expect(page.locator("table", has_text="Loyer")).to_contain_text("1,500.50")

    # Opened again, the editor shows the amount and still fits; on a phone too.
    page.goto(f"{live_server.url}{url}")
    expect(page.locator("tr.budget-row").first.get_by_label(re.compile("^Amount"))).to_have_value(
        "1,500.50"
    )
    assert page.evaluate(NO_HORIZONTAL_SCROLL)
    page.set_viewport_size(PHONE)
    assert page.evaluate(NO_HORIZONTAL_SCROLL), "the budget editor overflows on a phone"
    expect(page.locator("tr.budget-row").first.get_by_text("Amount (EUR)")).to_be_visible()
    assert_accessible(page)
    snap(page, "saved")


def test_an_ambiguous_amount_is_refused_next_to_its_field(page, live_server):
    registry = build_registry()
    place = registry.fablab
    _log_in(page, live_server, registry.admin.username)
    url = reverse("economics:budget_edit", args=[place.public_id, 2025, "actual"])
    page.goto(f"{live_server.url}{url}")
    first = page.locator("tr.budget-row").first
    first.get_by_label(re.compile("^Category")).select_option("premises")
    first.get_by_label(re.compile("^Amount")).fill("1,500")
    page.get_by_role("button", name="Save the budget").click()

    amount = page.locator("tr.budget-row").first.get_by_label(re.compile("^Amount"))
    expect(amount).to_have_value("1,500")  # the input is kept
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(page.locator("tr.budget-row").first.locator(".col-amount .errorlist")).to_contain_text(
        "ambiguous"
    )
    assert not BudgetLine.objects.filter(place=place).exists()
