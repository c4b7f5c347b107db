"""A search that finds nothing says why and offers searches that give results."""

from __future__ import annotations

import datetime
import re

import pytest

from scheduling import actions as scheduling_actions
from services import actions as offers_actions
from services.models import ServiceOffer
from tests.directory.test_search import names, search

TUESDAY_MORNING = {"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}
LYON = "lat=45.7601&lon=4.8501"


@pytest.fixture
def caf(registry, registry_admin):
    offer = ServiceOffer.objects.get(place=registry["france_services"], kind__slug="caf")
    scheduling_actions.schedule_set_rules(user=registry_admin, offer=offer, rules=[TUESDAY_MORNING])
    return offer


def links(body: str) -> dict[str, str]:
    """Text → query of the "search again" links."""
    block = body.split('class="wider"', 1)[1].split("</ul>", 1)[0]
    return {
        text: query.replace("&amp;", "&")
        for query, text in re.findall(r'<a href="\?([^"]*)">([^<]+)</a>', block)
    }


def test_need_and_time_with_no_match_offer_the_next_opening(client, caf):
    response = search(client, f"need=caf&{LYON}&radius=2&open=at&date=2026-03-12&time=15:00")
    body = response.content.decode()
    assert response.status_code == 200
    assert names(response) == []
    # Why, condition by condition.
    assert "No place meets all of these conditions:" in body
    assert "offering: Do a CAF procedure (family and social benefits)" in body
    assert "within 2 km of the chosen point" in body
    assert "available on Thursday 12 March at 15 h" in body
    # The CAF desk opens on the next Tuesday morning: named with its day and time.
    upcoming = body.split('class="upcoming"', 1)[1].split("</ul>", 1)[0]
    assert "France Services Guillotière" in upcoming
    assert "Family and social benefits (CAF), opens Tuesday 17 March at 9 h" in upcoming
    # The same search at any time gives the place.
    found = links(body)
    assert list(found) == ["At any time: 1 place"]
    assert names(search(client, found["At any time: 1 place"])) == ["France Services Guillotière"]


def test_a_wider_radius_is_offered_only_when_it_finds_something(client, registry):
    response = search(client, f"typology=coworking&{LYON}&radius=5")
    assert names(response) == []
    found = links(response.content.decode())
    # Villefranche is about 27 km away: 10 and 20 km find nothing, 50 km finds it.
    assert list(found) == ["Within 50 km: 1 place"]
    assert names(search(client, found["Within 50 km: 1 place"])) == ["Coworking de Villefranche"]


def test_nothing_anywhere_says_why_without_dead_links(client, registry):
    response = search(client, f"need=jardiner&{LYON}&radius=50")
    body = response.content.decode()
    assert names(response) == []
    assert "offering: Garden" in body
    assert 'class="wider"' not in body
    assert 'class="upcoming"' not in body
    # Said plainly: nobody offers it, whatever the time or the distance; and where to
    # tell the directory about a place that does.
    assert "No place in this directory offers “Garden plots” yet, at any time or distance." in body
    assert 'href="/proposer-un-lieu/"' in body


def test_a_service_offered_somewhere_is_not_said_to_be_absent(client, registry_admin, caf):
    # No CAF desk within 2 km of this point is open on Sunday, but one exists.
    response = search(client, f"need=caf&{LYON}&radius=2&open=at&date=2026-03-15&time=11:00")
    body = response.content.decode()
    assert names(response) == []
    assert "No place in this directory offers" not in body
    # A desk suspended for now still exists: not "absent" either.
    offers_actions.offer_suspend(offer=caf, user=registry_admin, until=datetime.date(2099, 1, 1))
    body = search(client, "need=caf").content.decode()
    assert "No place in this directory offers" not in body


def test_a_day_outside_the_calendar_offers_the_search_at_any_time(client, caf):
    response = search(client, "need=caf&open=at&date=2027-06-01&time=10:00")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Opening hours are known from" in body
    found = links(body)
    assert list(found) == ["At any time: 1 place"]


def test_time_without_need_offers_the_places_opening_next(client, registry):
    # Sunday 15 March at 11:00: nothing is open; the weekday places open on Monday 9 h,
    # the repair café next Saturday; the garden without hours is not offered.
    response = search(client, f"{LYON}&radius=2&open=at&date=2026-03-15&time=11:00")
    body = response.content.decode()
    assert names(response) == []
    upcoming = body.split('class="upcoming"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r">([^<]+)</a>", upcoming) == [
        "Médiathèque Jean Macé",
        "France Services Guillotière",
        "Repair Café des Pentes",
    ]
    assert upcoming.count("opens Monday 16 March at 9 h") == 2
    assert "opens Saturday 21 March at 10 h" in upcoming


def test_words_read_as_a_service_are_named_as_such(client, registry):
    # "imprimer" names the printing service; "tileuls" is left as words to match.
    response = search(client, "q=imprimer+tileuls&open=at&date=2026-03-15&time=11:00")
    body = response.content.decode()
    assert names(response) == []
    assert "offering: Printing and scanning" in body
    assert "matching the words “tileuls”" in body
    assert "matching the words “imprimer" not in body
