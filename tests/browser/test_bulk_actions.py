"""Staff place list: "All places on this page" ticks the rows, then a bulk action is
confirmed and reported, under the strict Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from places.models import Place
from tests.browser.data import build_registry
from tests.browser.test_suggestions import _log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_select_all_then_verify_every_place(page, live_server, snap):
    registry = build_registry()
    count = Place.objects.count()
    page.set_viewport_size({"width": 1280, "height": 900})
    _log_in(page, live_server, registry.admin.username)
    rows = page.locator("[data-bulk-row]")
    expect(rows).to_have_count(count)
    page.get_by_label("All places on this page").check()
    for index in range(count):
        expect(rows.nth(index)).to_be_checked()
    rows.first.uncheck()
    expect(page.get_by_label("All places on this page")).not_to_be_checked()
    rows.first.check()
    expect(page.get_by_label("All places on this page")).to_be_checked()
    page.get_by_label("Action").select_option("verify")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{count} places")
    page.get_by_label("Checked by").select_option("visit")
    snap(page, "bulk-confirm")
    page.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(page).to_have_url(re.compile(r"/manage/places/bulk/report/$"))
    expect(page.get_by_role("status").first).to_contain_text(f"{count} places done")
    snap(page, "bulk-report")
    assert Place.objects.filter(verification_method="visit").count() == count
