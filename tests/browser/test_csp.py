"""The pages the other flows do not visit still work under the Content-Security-Policy:
the embed builder and its framed preview, the API documentation (Swagger UI and Redoc), the
staff login. The `context` fixture fails any test whose pages report a violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPORT_CSP_VIOLATIONS, csp_messages
from tests.browser.data import build_registry

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_embed_builder_shows_the_framed_directory(page, live_server, snap, frozen_now):
    build_registry()
    page.goto(f"{live_server.url}/integrer/")
    page.get_by_role("button", name="Make the code").click()
    expect(page.get_by_label("Copy this code into your page")).to_contain_text("<iframe")
    preview = page.frame_locator("iframe[title='Preview of the embedded directory']")
    expect(preview.locator("h1, .embed-title").first).to_be_visible()
    # The preview's border comes from the style sheet, not from a style attribute.
    border = page.locator("iframe.embed-preview").evaluate(
        "element => getComputedStyle(element).borderTopStyle"
    )
    assert border == "solid"
    snap(page, "embed-builder")


def test_swagger_ui_lists_the_endpoints(page, live_server, snap):
    page.goto(f"{live_server.url}/api/v1/docs/")
    title = page.locator(".swagger-ui .info .title")
    expect(title).to_contain_text("Lieux partagés API", timeout=30_000)
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    snap(page, "swagger")


def test_redoc_shows_the_reference(page, live_server, snap):
    page.goto(f"{live_server.url}/api/v1/redoc/")
    # The schema is generated on first request: give it more than the usual five seconds.
    heading = page.get_by_role("heading", name="Lieux partagés API").first
    expect(heading).to_be_visible(timeout=30_000)
    expect(page.get_by_text("/api/v1/places/").first).to_be_attached()
    snap(page, "redoc")


def test_staff_login_page(page, live_server):
    page.goto(f"{live_server.url}/manage/login/")
    expect(page.get_by_label("Password")).to_be_visible()


def test_a_violation_is_reported(chromium, live_server):
    """The watch itself: an inline style on one of our pages is refused and reported."""
    context = chromium.new_context()
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(f"{live_server.url}/manage/login/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>p{}</style>')")
    page.wait_for_timeout(200)  # let the console events arrive (not a timing assertion)
    context.close()
    assert len(csp_messages(messages)) >= 2, messages
