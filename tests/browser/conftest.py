"""Chromium through Playwright against pytest-django's live server.

Debian's Chromium only (/usr/bin/chromium, installed by `make chromium`), never a browser
downloaded by Playwright. Every step is photographed at phone and desktop widths under
tests/browser/screenshots/<database>/ (git-ignored), pages are checked with axe-core, and any
Content-Security-Policy violation a page reports fails its test.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# database access from it.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_settings(settings):
    """Plain-HTTP cookies for the live server; English texts for the assertions."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_CODE = "en"
    # Map tiles never leave the machine: an unreachable local address, failures ignored.
    settings.MAP_TILE_URL = "/static/tiles-for-tests/{z}/{x}/{y}.png"
    return settings


# Every page reports each Content-Security-Policy violation to its console, where the
# `context` fixture collects it (init scripts run outside the page's policy).
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error("Content Security Policy violation: " + event.violatedDirective
    + " blocked " + (event.blockedURI || "inline") + " at " + event.sourceFile
    + ":" + event.lineNumber);
});
"""


# The one refusal we want: Redoc asks for Redocly's logo on Redocly's own server, which the
# policy blocks (no page loads anything from a third-party server; decision 0021).
EXPECTED_VIOLATIONS = re.compile(
    r"^\S+/api/v1/redoc/: .*(image|img-src).*https://cdn\.redoc\.ly/redoc/logo-mini\.svg"
)


def csp_messages(messages: list[str]) -> list[str]:
    """The console messages that tell of a Content-Security-Policy violation."""
    return [
        text
        for text in messages
        if "content security policy" in text.lower() and not EXPECTED_VIOLATIONS.search(text)
    ]


@pytest.fixture
def context(chromium, browser_settings, live_server):
    """A browser context for the live server; the test fails if any page in it reports a
    Content-Security-Policy violation (Chromium's console message or the DOM event)."""
    context = chromium.new_context(viewport=PHONE, locale="en-GB", accept_downloads=True)
    # Nothing but the live server: any other request (tiles, fonts) is refused offline.
    context.route(
        re.compile(r"^(?!" + re.escape(live_server.url) + ").*"), lambda route: route.abort()
    )
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    messages: list[str] = []

    def watch(page) -> None:
        page.on("console", lambda message: messages.append(f"{page.url}: {message.text}"))

    context.on("page", watch)
    yield context
    context.close()
    violations = csp_messages(messages)
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def snap(request):
    """snap(page, "step") saves the page at phone and desktop widths, then restores it."""
    from django.db import connection

    # One folder per database: `make test` runs the SQLite and PostgreSQL suites at the same
    # time, and both photograph the same steps.
    folder = SCREENSHOTS / connection.vendor
    folder.mkdir(parents=True, exist_ok=True)
    test_name = request.node.name.replace("test_", "", 1)
    counter = {"n": 0}

    def take(page, step: str) -> None:
        counter["n"] += 1
        original = page.viewport_size
        for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            path = folder / f"{test_name}-{counter['n']:02d}-{step}-{label}.png"
            page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size(original)

    return take


def axe_violations(page) -> list[str]:
    """axe-core's violations on the current page, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    lines = []
    for violation in results.response["violations"]:
        targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return lines


@pytest.fixture
def assert_accessible():
    def check(page) -> None:
        violations = axe_violations(page)
        assert not violations, f"axe-core on {page.url}:\n" + "\n".join(violations)

    return check


@pytest.fixture
def frozen_now(monkeypatch):
    """A fixed instant: next Tuesday at 10:30, Paris time (the CAF advisor is there)."""
    import zoneinfo

    from django.conf import settings

    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = datetime.datetime.now(tz).date()
    tuesday = today + datetime.timedelta(days=(1 - today.weekday()) % 7 or 7)
    instant = datetime.datetime.combine(tuesday, datetime.time(10, 30), tzinfo=tz)
    import scheduling.status

    # The one place the pages read "now" from (scheduling.status.clock).
    monkeypatch.setattr(scheduling.status, "clock", lambda: instant)
    return instant


SEEDED_APPS = ("places", "services", "scheduling", "economics", "initiatives", "directory", "api")


@pytest.fixture(scope="session")
def seed_rows(django_db_setup, django_db_blocker):
    """The rows our data migrations wrote (typologies, the service catalogue...), captured
    before any browser test flushes the database."""
    from django.apps import apps
    from django.core import serializers

    with django_db_blocker.unblock():
        rows = [
            obj
            for name in SEEDED_APPS
            for model in apps.get_app_config(name).get_models()
            for obj in model._default_manager.order_by("pk")
        ]
        return serializers.serialize("json", rows)


@pytest.fixture(autouse=True)
def _seeded_database(seed_rows, transactional_db):
    """Live-server tests flush the database after them; put the seeded rows back first.

    (Django's serialized_rollback keeps its copy on the connection object, which is not the
    one the test sees once Playwright's event loop runs, so it cannot be relied on here.)
    """
    from django.core import serializers
    from django.db import connection, transaction

    from places.models import Typology

    if Typology.objects.exists():
        return
    with transaction.atomic(), connection.constraint_checks_disabled():
        for obj in serializers.deserialize("json", seed_rows):
            obj.save()


@pytest.fixture(scope="session", autouse=True)
def _communes_read_once():
    """The commune index is read from its package on a process's first "where" search
    (seconds): read it before the pages time out waiting for that first answer."""
    from places.communes import commune_index

    commune_index()
