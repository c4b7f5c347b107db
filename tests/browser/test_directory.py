"""Residents' flows on the public pages, phone-sized, checked with axe-core at each page."""

from __future__ import annotations

import math
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from places.models import Suggestion
from tests.browser.data import POINT, build_registry
from tests.browser.test_suggestions import _log_in

# "9 h – 12 h" in French typography, "9:00–12:00" elsewhere.
ADVISOR_HOURS = re.compile(r"(?<!\d)9(:00|\s*h)\D+12(:00|\s*h)")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _cards(page):
    return page.locator("ol.place-cards > li.place-card")


def _search_open_now_with_caf_near_the_point(page):
    """From the search page: CAF, open now, around POINT within 2 km."""
    page.get_by_text("What I need", exact=True).first.click()
    page.get_by_label(re.compile("CAF procedure")).check()
    page.get_by_label("Open now").check()
    page.get_by_text("Around a point (latitude, longitude)").click()
    page.get_by_label("Latitude").fill(str(POINT[0]))
    page.get_by_label("Longitude").fill(str(POINT[1]))
    page.get_by_label("Distance").select_option("2")
    page.get_by_role("button", name="Search", exact=True).click()


def _from_home_caf_open_now_near_the_point(page, live_server):
    """From the home page: the CAF need, open now, around POINT (default distance)."""
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name=re.compile("CAF procedure")).click()
    expect(page).to_have_url(re.compile(r"need=caf"))
    page.get_by_label("Open now").check()
    page.get_by_text("Around a point (latitude, longitude)").click()
    page.get_by_label("Latitude").fill(str(POINT[0]))
    page.get_by_label("Longitude").fill(str(POINT[1]))
    page.get_by_role("button", name="Search", exact=True).click()


def _advisor_hours_then_calendar_file(page):
    """On a place page: the CAF advisor's dated slots, then one visit's .ics download."""
    page.locator("summary", has_text="the next 14 days").first.click()
    tuesday = page.locator(".offer table.agenda tr", has_text="Tuesday").first
    expect(tuesday).to_contain_text(ADVISOR_HOURS)
    with page.expect_download() as caught:
        tuesday.get_by_role("link", name=re.compile("add this visit to my calendar")).first.click()
    with open(caught.value.path(), encoding="utf-8") as downloaded:
        content = downloaded.read()
    # One visit: a single event, no recurrence, at the place's address.
    assert content.count("BEGIN:VEVENT") == 1 and "RRULE" not in content
    assert "\nLOCATION:" in content


def test_open_now_near_a_point(page, live_server, snap, assert_accessible, frozen_now):
    registry = build_registry()
    page.goto(f"{live_server.url}/")
    assert_accessible(page)
    snap(page, "home")
    page.goto(f"{live_server.url}/lieux/")
    _search_open_now_with_caf_near_the_point(page)
    cards = _cards(page)
    # Open now with CAF near the point: only the Guillotière desk. Saxe has no opening
    # hours (not open now), Vaise is too far, the fab lab offers no CAF service.
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(registry.open_caf.name)
    expect(page.get_by_text(registry.closed_caf.name)).to_have_count(0)
    assert_accessible(page)
    snap(page, "results")

    # Without the CAF need, the open fab lab nearby shows too, nearest first.
    page.goto(f"{live_server.url}/lieux/?open=now&lat={POINT[0]}&lon={POINT[1]}&radius=2")
    names = [t.strip() for t in page.locator(".place-card-title a").all_inner_texts()]
    assert names == [registry.open_caf.name, registry.fablab.name]


def test_place_page_timetable_and_calendar(page, live_server, snap, assert_accessible, frozen_now):
    registry = build_registry()
    page.goto(f"{live_server.url}/lieux/{registry.open_caf.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(registry.open_caf.name)
    assert_accessible(page)
    snap(page, "place")
    # The place's next 14 days, dated, today first.
    expect(page.locator("table.agenda tr[aria-current=date]").first).to_contain_text("today")
    # When the CAF advisor is there: Tuesday mornings.
    page.locator("summary", has_text="the next 14 days").first.click()
    tuesday = page.locator(".offer table.agenda tr", has_text="Tuesday").first
    expect(tuesday).to_contain_text(ADVISOR_HOURS)
    assert_accessible(page)
    snap(page, "advisor-hours")
    with page.expect_download() as caught:
        page.get_by_role("link", name="Add these hours to my calendar (.ics)").click()
    with open(caught.value.path(), encoding="utf-8") as downloaded:
        content = downloaded.read()
    assert content.startswith("BEGIN:VCALENDAR")
    assert "BEGIN:VEVENT" in content


def test_search_with_the_keyboard_only(page, live_server, snap, frozen_now):
    registry = build_registry()
    page.goto(f"{live_server.url}/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "home-q":
            break
    else:
        pytest.fail("the search field cannot be reached with Tab")
    page.keyboard.type("Guillotiere")
    page.keyboard.press("Enter")
    expect(_cards(page)).to_have_count(1)
    snap(page, "results")
    target = f"/lieux/{registry.open_caf.slug}/"
    for _ in range(80):
        page.keyboard.press("Tab")
        if (page.evaluate("document.activeElement.getAttribute('href')") or "") == target:
            break
    else:
        pytest.fail("the result link cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    # The focused element is always visible (an outline is drawn).
    outline = page.evaluate(
        "(() => { const l = document.querySelector('a'); l.focus();"
        " return getComputedStyle(l).outlineStyle; })()"
    )
    assert outline != "none"
    snap(page, "place")


def test_done_when_phone_story(page, live_server, snap, assert_accessible, frozen_now):
    """A person on a phone finds the nearest place open now for a CAF procedure, reads when
    the advisor is there, adds it to their calendar and reports an error; staff accept it."""
    registry = build_registry()
    assert page.viewport_size == {"width": 390, "height": 844}
    _from_home_caf_open_now_near_the_point(page, live_server)
    first = _cards(page).first
    expect(first).to_contain_text(registry.open_caf.name)
    assert_accessible(page)
    snap(page, "nearest-open")
    first.get_by_role("link").click()

    _advisor_hours_then_calendar_file(page)
    snap(page, "place")

    page.get_by_role("link", name="Report an error").click()
    page.get_by_label("Message").fill("The advisor now comes on Thursdays too.")
    page.get_by_label("Phone", exact=True).fill("04 72 11 22 33")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    snap(page, "reported")

    _log_in(page, live_server, registry.admin.username)
    page.get_by_role("link", name=re.compile(r"Suggestions \(1 pending\)")).click()
    page.get_by_role("link", name=registry.open_caf.name).click()
    page.get_by_role("button", name="Accept as proposed").click()
    expect(page.get_by_role("status")).to_contain_text("accepted")
    page.goto(f"{live_server.url}/lieux/{registry.open_caf.slug}/")
    expect(page.get_by_role("link", name="04 72 11 22 33")).to_be_visible()
    snap(page, "corrected")
    assert Suggestion.objects.get().status == Suggestion.Status.ACCEPTED


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance, written here so the expectation does not reuse the search."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_done_when_on_the_demo_registry(page, live_server, snap, assert_accessible, frozen_now):
    """The same story on the registry `make demo` loads (load_demo, default size)."""
    from places.demo import DEMO_PASSWORD
    from places.models import Place
    from scheduling.selectors import is_open
    from services.models import ServiceOffer

    call_command("load_demo", verbosity=0)
    candidates = []
    for offer in ServiceOffer.objects.filter(
        kind__slug="caf", status=ServiceOffer.Status.ACTIVE, place__status=Place.Status.PUBLISHED
    ).select_related("place"):
        place = offer.place
        distance = _km(POINT, (float(place.latitude), float(place.longitude)))
        if distance <= 5 and is_open(place, frozen_now):
            candidates.append((distance, place.name, place, offer))
    assert len(candidates) >= 2, "the demo should offer a choice of open CAF places"
    _, _, nearest, caf_offer = min(candidates)
    assert is_open(caf_offer, frozen_now), "the demo's CAF advisor is there on Tuesday mornings"

    _from_home_caf_open_now_near_the_point(page, live_server)
    expect(_cards(page)).to_have_count(len(candidates))
    first = _cards(page).first
    expect(first).to_contain_text(nearest.name)
    assert_accessible(page)
    snap(page, "nearest-open")
    first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(f"/lieux/{nearest.slug}/$"))

    _advisor_hours_then_calendar_file(page)
    assert_accessible(page)

    page.get_by_role("link", name="Report an error").click()
    page.get_by_label("Message").fill("Le conseiller CAF vient aussi le jeudi.")
    page.get_by_label("Phone", exact=True).fill("04 78 99 88 77")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")

    _log_in(page, live_server, "admin.demo", DEMO_PASSWORD)
    page.get_by_role("link", name=re.compile(r"Suggestions \(\d+ pending\)")).click()
    page.get_by_role("link", name=nearest.name).first.click()
    page.get_by_role("button", name="Accept as proposed").click()
    expect(page.get_by_role("status")).to_contain_text("accepted")
    page.goto(f"{live_server.url}/lieux/{nearest.slug}/")
    expect(page.get_by_role("link", name="04 78 99 88 77")).to_be_visible()
    snap(page, "corrected")
    nearest.refresh_from_db()
    assert nearest.phone == "04 78 99 88 77"
