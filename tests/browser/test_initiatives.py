"""A city publishes a call for initiatives; a resident answers it; staff retain the project
and turn it into a draft place. The guides are read from the home page. axe checks every
new public page (and the CSP watch of the conftest every page)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from initiatives.models import Submission
from places.models import Place
from tests.browser.data import build_registry
from tests.conftest import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _log_in(page, live_server, username):
    page.goto(f"{live_server.url}/manage/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page).to_have_url(re.compile(r"/manage/$"))


def _log_out(page):
    page.get_by_role("button", name=re.compile("Log out")).click()


def test_a_call_is_published_answered_and_a_project_becomes_a_draft_place(
    page, live_server, snap, assert_accessible
):
    registry = build_registry()

    # Staff publish a call.
    _log_in(page, live_server, registry.admin.username)
    page.get_by_role("link", name="Calls for initiatives").click()
    page.get_by_role("link", name="New call").click()
    page.get_by_label("Title").fill("Un repair café par quartier")
    page.get_by_label("Text").fill("## Ce que nous cherchons\n\nDes **bénévoles** et une salle.")
    page.get_by_label("Profile").select_option("creation")
    page.get_by_label("Area", exact=True).fill("Quartiers nord")
    page.get_by_label("Budget (EUR)").fill("12000")
    page.get_by_label("Deadline").fill("2099-06-30T18:00")
    page.get_by_label("Status").select_option("open")
    snap(page, "call-form")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("was saved")
    _log_out(page)

    # A resident finds it from the directory's menu, reads it and answers.
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Calls for initiatives"
    ).click()
    expect(page.get_by_role("heading", name="Open calls")).to_be_visible()
    assert_accessible(page)
    snap(page, "calls")
    page.get_by_role("link", name="Un repair café par quartier").click()
    expect(page.get_by_role("heading", level=2, name="Ce que nous cherchons")).to_be_visible()
    assert_accessible(page)

    # Bad input first: a clear message next to the field, nothing stored.
    page.get_by_label("Project title").fill("Repair café des Pentes")
    page.get_by_label("Description of the project").fill("Un repair café mensuel.")
    page.get_by_label("Your name").fill("Alice Martin")
    page.get_by_label("Your email address").fill("alice@example.org")
    page.get_by_label("Crowdfunding page (optional)").fill("javascript:alert(1)")
    page.get_by_role("button", name="Send my project").click()
    field_errors = page.locator("#id_crowdfunding_url_errors")
    expect(field_errors).to_contain_text("valid URL")
    expect(page.get_by_label("Description of the project")).to_have_value("Un repair café mensuel.")
    assert Submission.objects.count() == 0
    assert_accessible(page)
    snap(page, "bad-input")

    page.get_by_label("Crowdfunding page (optional)").fill("https://www.helloasso.com/bricoleurs")
    page.get_by_role("button", name="Send my project").click()
    expect(page.get_by_role("status")).to_contain_text("your project was received")
    snap(page, "sent")
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    submission = Submission.objects.get()

    # Staff review it, retain it, and make a draft place of it.
    _log_in(page, live_server, registry.admin.username)
    page.get_by_role("link", name="Calls for initiatives").click()
    page.get_by_role("link", name="Un repair café par quartier").click()
    page.get_by_role("link", name="Repair café des Pentes").click()
    page.get_by_role("combobox", name=re.compile("^Status")).select_option("retained")
    page.get_by_label("Comment on the change of status (optional)").fill("Choisi par le jury")
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("status")).to_contain_text("retained")
    expect(page.get_by_role("list").filter(has_text="Choisi par le jury")).to_contain_text(
        "Received → Retained"
    )
    snap(page, "retained")
    page.get_by_role("group", name=re.compile("Kind of place")).get_by_label("Repair café").check()
    page.get_by_role("button", name="Create the draft place").click()
    expect(page.get_by_role("status")).to_contain_text("draft place")
    place = Place.objects.get(name="Repair café des Pentes")
    assert (
        place.status == Place.Status.DRAFT
        and place.organisation == registry.admin.memberships.get().organisation
    )
    submission.refresh_from_db()
    assert submission.place == place
    snap(page, "draft-place")


def test_the_guides_are_read_from_the_home_page(page, live_server, snap, assert_accessible):
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="How to open a repair café").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How to open a repair café")
    expect(page.get_by_role("heading", level=2, name="Before you open")).to_be_visible()
    assert_accessible(page)
    snap(page, "guide")
    page.get_by_role("link", name=re.compile("Guides for opening a shared place")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Guides for opening a shared place")
    assert_accessible(page)
    snap(page, "guides")
