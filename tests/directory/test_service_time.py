"""Need + time: a place matches only when the service asked for is available at that time.

"CAF help, Thursday 15:00" must not list a France Services place whose CAF desk runs on
Tuesday mornings only, although the place itself is open then. The same cases go through
the residents' search and the partner API (`service_kind` with `open_at` / `open_now`).
"""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache

from scheduling import actions as scheduling_actions
from scheduling.selectors import offers_open_at
from scheduling.status import offer_statuses_for
from services import actions as service_actions
from services.models import ServiceOffer
from tests.directory.conftest import PARIS, _kind
from tests.directory.test_search import names, search
from tests.factories import PlaceFactory, ServiceOfferFactory

TUESDAY_MORNING = {"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}
SATURDAY_LATE_MORNING = {"kind": "weekly", "days": [5], "times": ["10:00-12:00"]}

# The fixed "now" of the registry is Tuesday 10 March 2026, 10:30 (tests/directory/conftest.py).
THURSDAY_15 = "open=at&date=2026-03-12&time=15:00"
TUESDAY_10 = "open=at&date=2026-03-17&time=10:00"
SATURDAY_11 = "open=at&date=2026-03-14&time=11:00"


def at(day: str, time: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=PARIS)


@pytest.fixture
def caf(registry, registry_admin):
    """The France Services place's CAF desk, open on Tuesday mornings only."""
    offer = ServiceOffer.objects.get(place=registry["france_services"], kind__slug="caf")
    scheduling_actions.schedule_set_rules(user=registry_admin, offer=offer, rules=[TUESDAY_MORNING])
    return offer


@pytest.fixture
def api_client(client, settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}
    yield client
    cache.clear()


def api_names(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/places/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return sorted(place["name"] for place in response.json()["results"])


def test_the_place_is_open_but_its_caf_desk_is_not(client, caf):
    # Thursday 15:00: the place is open (weekday hours), the CAF desk is not.
    assert names(search(client, THURSDAY_15)) == [
        "Coworking de Villefranche",
        "France Services Guillotière",
        "Médiathèque Jean Macé",
    ]
    assert names(search(client, f"{THURSDAY_15}&need=caf")) == []
    assert names(search(client, f"{TUESDAY_10}&need=caf")) == ["France Services Guillotière"]


def test_the_api_answers_the_same(api_client, caf):
    thursday = "open_at=2026-03-12T15:00:00%2B01:00"
    tuesday = "open_at=2026-03-17T10:00:00%2B01:00"
    assert "France Services Guillotière" in api_names(api_client, thursday)
    assert api_names(api_client, f"{thursday}&service_kind=caf") == []
    assert api_names(api_client, f"{tuesday}&service_kind=caf") == ["France Services Guillotière"]
    # A provider asks the same question through the offer it names.
    slug = caf.provider.slug
    assert api_names(api_client, f"{thursday}&provider={slug}") == []
    assert api_names(api_client, f"{tuesday}&provider={slug}") == ["France Services Guillotière"]


def test_the_card_names_the_service_and_its_own_status(client, caf, monkeypatch):
    # Thursday 15:00, need CAF at any time: the place is listed, open; its card says the
    # desk itself opens on Tuesday.
    from scheduling import status

    monkeypatch.setattr(status, "clock", lambda: at("2026-03-12", "15:00"))
    body = search(client, "need=caf").content.decode()
    card = body.split("France Services Guillotière</a>", 1)[1].split("</li>\n</ol>", 1)[0]
    assert "Open until 17 h" in card
    offers = card.split('class="place-card-offers"', 1)[1]
    assert "Family and social benefits (CAF)" in offers
    assert "opens Tuesday at 9 h" in offers
    assert "open until" not in offers


def test_an_offer_without_schedule_follows_the_place(client, registry):
    # The media library's printing follows the place's weekday hours.
    assert names(search(client, f"{THURSDAY_15}&need=imprimer")) == ["Médiathèque Jean Macé"]
    assert names(search(client, f"{SATURDAY_11}&need=imprimer")) == []


def test_a_suspended_offer_is_not_available(client, registry):
    offer = ServiceOffer.objects.get(place=registry["mediatheque"], kind__slug="acces-equipement")
    # Set as a row: offer_suspend refuses an end date before the real today, and this
    # registry lives in March 2026.
    ServiceOffer.objects.filter(pk=offer.pk).update(
        status="suspended", suspended_until=datetime.date(2026, 3, 13)
    )
    assert names(search(client, f"{THURSDAY_15}&need=ordinateur")) == []
    # The suspension is over on the Monday after: the offer follows the place again.
    query = "open=at&date=2026-03-16&time=15:00&need=ordinateur"
    assert names(search(client, query)) == ["Médiathèque Jean Macé"]


def test_an_exception_closes_the_offer_not_the_place(client, caf, registry_admin):
    scheduling_actions.exception_add(
        user=registry_admin,
        schedule=caf.schedule,
        kind="closure",
        start_date=datetime.date(2026, 3, 17),
        title="Conseillère CAF en formation",
    )
    assert names(search(client, f"{TUESDAY_10}&need=caf")) == []
    assert "France Services Guillotière" in names(search(client, TUESDAY_10))


def test_a_place_closure_closes_the_offers_inside(client, caf, registry, registry_admin):
    scheduling_actions.exception_add(
        user=registry_admin,
        schedule=registry["france_services"].schedule,
        kind="closure",
        start_date=datetime.date(2026, 3, 17),
        title="Inventaire",
    )
    assert names(search(client, f"{TUESDAY_10}&need=caf")) == []


def test_an_offer_slot_outside_the_place_hours_counts(client, caf, registry_admin):
    # The CAF advisor also comes on Saturday late mornings, when the place is otherwise shut.
    scheduling_actions.schedule_set_rules(
        user=registry_admin, offer=caf, rules=[TUESDAY_MORNING, SATURDAY_LATE_MORNING]
    )
    assert "France Services Guillotière" not in names(search(client, SATURDAY_11))
    assert names(search(client, f"{SATURDAY_11}&need=caf")) == ["France Services Guillotière"]


def test_an_ended_offer_never_matches(client, caf, registry_admin):
    service_actions.offer_end(user=registry_admin, offer=caf)
    assert names(search(client, f"{TUESDAY_10}&need=caf")) == []
    assert names(search(client, "need=caf")) == []


def test_selector_and_statuses_agree_at_every_half_hour(caf, registry):
    """offers_open_at and offer_statuses_for agree on both offers, over a whole week."""
    printing = ServiceOffer.objects.get(
        place=registry["mediatheque"], kind__slug="impression-numerisation"
    )
    offers = ServiceOffer.objects.filter(pk__in=[caf.pk, printing.pk])
    moment = at("2026-03-16", "00:00")
    seen_open = set()
    while moment < at("2026-03-23", "00:00"):
        open_ids = set(offers_open_at(moment, offers).values_list("pk", flat=True))
        statuses = offer_statuses_for(list(offers), moment)
        assert open_ids == {pk for pk, status in statuses.items() if status.is_open}, moment
        seen_open |= open_ids
        moment += datetime.timedelta(minutes=30)
    assert seen_open == {caf.pk, printing.pk}


def test_service_level_matching_costs_a_constant_number_of_queries(
    client, api_client, caf, registry, registry_admin
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api_query = "/api/v1/places/?open_at=2026-03-17T10:00:00%2B01:00&service_kind=caf"

    def count(query):
        with CaptureQueriesContext(connection) as queries:
            search(client, query)
        with CaptureQueriesContext(connection) as api_queries:
            assert api_client.get(api_query).status_code == 200
        return len(queries), len(api_queries)

    search(client, TUESDAY_10)  # the first page stores the filter choices
    before = count(f"{TUESDAY_10}&need=caf")
    for index in range(5):
        place = PlaceFactory(
            name=f"France Services {index}",
            latitude=registry["france_services"].latitude,
            longitude=registry["france_services"].longitude,
        )
        offer = ServiceOfferFactory(place=place, kind=_kind("caf"), provider=caf.provider)
        scheduling_actions.schedule_set_rules(
            user=registry_admin, offer=offer, rules=[TUESDAY_MORNING]
        )
        scheduling_actions.schedule_set_rules(
            user=registry_admin, place=place, rules=[TUESDAY_MORNING]
        )
    assert len(names(search(client, f"{TUESDAY_10}&need=caf"))) == 6
    assert len(api_client.get(api_query).json()["results"]) == 6
    assert count(f"{TUESDAY_10}&need=caf") == before


def test_a_day_and_time_in_the_words_ask_for_the_service_then(client, caf):
    # Tuesday 10:30 now: "mardi 10h" is next Tuesday (17 March) 10:00, when the desk runs.
    tuesday = search(client, "q=caf+mardi+10h")
    assert names(tuesday) == ["France Services Guillotière"]
    body = tuesday.content.decode()
    assert "Your words “mardi 10h” were read as: open on Tuesday 17 March, 10:00" in body
    assert "not understood" not in body
    assert names(search(client, "q=caf+jeudi+15h")) == []
    assert names(search(client, "q=CAF+Thursday+3pm")) == []
    # A time chosen in the filters wins over the words.
    assert names(search(client, f"q=caf+jeudi+15h&{TUESDAY_10}")) == ["France Services Guillotière"]


def test_the_api_reads_a_time_in_q_as_the_page_does(api_client, caf):
    assert api_names(api_client, "q=caf+mardi+10h") == ["France Services Guillotière"]
    assert api_names(api_client, "q=caf+jeudi+15h") == []
    # ...and a need named in `q` is matched at the service level with `open_at` too.
    assert api_names(api_client, "q=caf&open_at=2026-03-12T15:00:00%2B01:00") == []
    assert api_names(api_client, "q=caf+jeudi+15h&open_at=2026-03-17T10:00:00%2B01:00") == [
        "France Services Guillotière"
    ]
