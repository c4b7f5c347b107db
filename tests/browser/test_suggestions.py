"""Residents report an error without an account; staff accept it; the public page shows it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from places.models import Suggestion
from tests.browser.data import build_registry
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _log_in(page, live_server, username, password=PASSWORD):
    page.goto(f"{live_server.url}/manage/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/manage/$"))


def test_report_an_error_then_staff_accept_it(
    page, live_server, snap, assert_accessible, frozen_now
):
    registry = build_registry()
    place = registry.open_caf

    page.goto(f"{live_server.url}/lieux/{place.slug}/")
    page.get_by_role("link", name="Report an error").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(place.name)
    assert_accessible(page)
    snap(page, "form")

    phone = page.get_by_label("Phone", exact=True)
    expect(phone).to_have_value("04 72 00 00 01")
    phone.fill("04 72 99 99 99")
    page.get_by_label("Message").fill("The phone number changed in May.")
    page.get_by_label("Your email address (optional)").fill("resident@example.org")
    snap(page, "filled")
    page.get_by_role("button", name="Send").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("Thank you")
    expect(page).to_have_url(re.compile(rf"/lieux/{place.slug}/$"))
    snap(page, "thanks")
    suggestion = Suggestion.objects.get()
    assert suggestion.data == {"phone": "04 72 99 99 99"}

    # Staff: the queue, the diff, accept.
    _log_in(page, live_server, registry.admin.username)
    page.get_by_role("link", name="Suggestions (1 pending)").click()
    snap(page, "queue")
    page.get_by_role("link", name=place.name).click()
    diff = page.get_by_role("table", name="Proposed changes")
    row = diff.get_by_role("row", name=re.compile("Phone"))
    expect(row).to_contain_text("04 72 00 00 01")
    expect(row).to_contain_text("04 72 99 99 99")
    assert_accessible(page)
    snap(page, "diff")
    page.get_by_role("button", name="Accept as proposed").click()
    expect(page.get_by_role("status")).to_contain_text("accepted")
    expect(page.get_by_role("link", name="Suggestions (0 pending)")).to_be_visible()
    snap(page, "accepted")

    # The public page shows the correction.
    page.goto(f"{live_server.url}/lieux/{place.slug}/")
    expect(page.get_by_role("link", name="04 72 99 99 99")).to_be_visible()
    snap(page, "public")
    place.refresh_from_db()
    assert place.changes.filter(source=f"suggestion:{suggestion.pk}").exists()


def test_edit_then_accept_and_reject(page, live_server, snap, frozen_now):
    registry = build_registry()
    from places import actions

    first = actions.suggestion_submit(
        kind="correction",
        place=registry.open_caf,
        data={"address": "14 rue de Marseille"},
        message="It moved next door.",
    )
    second = actions.suggestion_submit(
        kind="correction", place=registry.fablab, data={}, message="It is closed for good."
    )
    _log_in(page, live_server, registry.admin.username)

    page.goto(f"{live_server.url}/manage/suggestions/{first.pk}/")
    page.get_by_role("link", name="Edit, then accept").click()
    address = page.get_by_label("Address")
    expect(address).to_have_value("14 rue de Marseille")
    address.fill("16 rue de Marseille")
    snap(page, "edit")
    page.get_by_role("button", name="Accept with these values").click()
    expect(page.get_by_role("status")).to_contain_text("accepted")

    page.goto(f"{live_server.url}/manage/suggestions/{second.pk}/")
    page.get_by_role("button", name="Reject").click()
    # The browser does not validate (novalidate): the server says what is missing.
    reason = page.get_by_label("Reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    reason.fill("It reopened last week.")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status")).to_contain_text("rejected")
    snap(page, "rejected")

    registry.open_caf.refresh_from_db()
    assert registry.open_caf.address == "16 rue de Marseille"
    second.refresh_from_db()
    assert second.status == Suggestion.Status.REJECTED


def test_propose_a_place(page, live_server, snap, assert_accessible):
    page.goto(f"{live_server.url}/proposer-un-lieu/")
    assert_accessible(page)
    page.get_by_role("button", name="Send").click()
    name = page.get_by_label(re.compile("^Name"))
    expect(name).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    snap(page, "errors")
    name.fill("Jardin partagé des Capucins")
    page.get_by_label("Shared garden").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    suggestion = Suggestion.objects.get()
    assert suggestion.kind == Suggestion.Kind.NEW_PLACE
    assert suggestion.data["typologies"] == ["jardin_partage"]
