"""The directory's pages cost a fixed number of queries whatever the number of results."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import actions as scheduling_actions
from tests.directory.conftest import _kind, make_place
from tests.factories import PlaceFactory, ServiceOfferFactory

SEARCH = "/lieux/?open=now&lat=45.76&lon=4.85&radius=10&need=ordinateur"


@pytest.fixture
def more_places(registry, registry_admin, organisation):
    """Twelve more open places near the centre, each with a computer access, in the network."""
    for i in range(12):
        place = make_place(
            registry_admin,
            name=f"Espace numérique {i:02d}",
            organisation=organisation,
            lat=f"45.7{i:02d}000",
            lon="4.850000",
            networks=[registry["network"]],
        )
        ServiceOfferFactory(place=place, kind=_kind("acces-equipement"), fees="free")
    return registry


def _search_queries(django_assert_num_queries, client, expected_results):
    # 1 networks having published places (filter choices)
    # 2 communes having published places (filter choices)
    # 3 the calendar window (open_places checks the instant is inside it)
    # 4 COUNT of the results (paginator)
    # 5 the page of places (filters, open-now subquery, distance order)
    # 6 their typologies (prefetch)
    # 7 their offers meeting the need (prefetch)
    # 8 the calendar window again (statuses_for)
    # 9 the place-level calendar rows around now for the page's places
    # 10 which of them have opening hours at all
    # 11 which of the matching offers keep hours of their own (none here: no more queries)
    with django_assert_num_queries(11):
        response = client.get(SEARCH)
    assert response.status_code == 200
    assert response.content.decode().count('class="place-card"') == expected_results


def test_search_query_count_is_constant(client, registry, django_assert_num_queries):
    _search_queries(django_assert_num_queries, client, 1)


def test_search_query_count_is_constant_with_more_results(
    client, more_places, django_assert_num_queries
):
    _search_queries(django_assert_num_queries, client, 13)


def _place_queries(django_assert_num_queries, client):
    # 1 the place with its organisation and profiles
    # 2 its typologies, 3 its networks (prefetch)
    # 4 its live offers with kind, category and provider
    # 5 the calendar window, 6 which of the place and its offers have hours, 7 the calendar
    #   rows of the place and its offers over the coming 14 days (dated days and statuses)
    # 8 its schedule (JSON-LD), 9 its schedule again (week_timetable), 10 its upcoming exceptions
    # 11 the other published places of its networks
    with django_assert_num_queries(11):
        response = client.get("/lieux/mediatheque-jean-mace/")
    assert response.status_code == 200
    return response


def test_place_query_count(client, registry, django_assert_num_queries):
    _place_queries(django_assert_num_queries, client)


def test_place_query_count_with_more_offers_and_network_places(
    client, more_places, django_assert_num_queries
):
    for slug in ("caf", "france-travail", "impots"):
        ServiceOfferFactory(place=more_places["mediatheque"], kind=_kind(slug))
    _place_queries(django_assert_num_queries, client)


def test_place_query_count_with_offers_having_their_own_hours(
    client, registry, registry_admin, django_assert_num_queries
):
    """Each offer's own dated slots come from the same calendar query as the place's."""

    place = registry["mediatheque"]
    for index, slug in enumerate(("caf", "france-travail", "impots")):
        offer = ServiceOfferFactory(place=place, kind=_kind(slug))
        scheduling_actions.schedule_set_rules(
            user=registry_admin,
            offer=offer,
            rules=[{"kind": "weekly", "days": [index], "times": ["09:00-11:00"]}],
        )
    body = _place_queries(django_assert_num_queries, client).content.decode()
    assert body.count('class="agenda"') == 4  # the place's days and each offer's


def _listing_queries(django_assert_num_queries, client, url, expected_results):
    # 1 the network (or the commune's name), 2 COUNT, 3 the page of places, 4 typologies,
    # 5 the calendar window, 6 calendar rows around now, 7 which places have hours
    with django_assert_num_queries(7):
        response = client.get(url)
    assert response.content.decode().count('class="place-card"') == expected_results


@pytest.mark.parametrize("url", ["/reseaux/france-services/", "/communes/69123/"])
def test_network_and_commune_query_counts(client, registry, django_assert_num_queries, url):
    _listing_queries(django_assert_num_queries, client, url, 2 if "reseaux" in url else 4)


@pytest.mark.parametrize("url", ["/reseaux/france-services/", "/communes/69123/"])
def test_network_and_commune_query_counts_with_more_places(
    client, more_places, django_assert_num_queries, url
):
    _listing_queries(django_assert_num_queries, client, url, 14 if "reseaux" in url else 16)


def test_search_is_paginated_and_pages_keep_the_filters(client, more_places, monkeypatch):
    monkeypatch.setattr("directory.views.PER_PAGE", 5)
    url = "/lieux/?lat=45.76&lon=4.85&radius=50"
    body = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "17 places found" in body
    assert body.count('class="place-card"') == 5
    assert "Page 1 of 4" in body
    assert 'href="?lat=45.76&amp;lon=4.85&amp;radius=50&amp;page=2" rel="next"' in body
    last = client.get(url + "&page=4", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert last.count('class="place-card"') == 2


def test_place_page_shows_ten_network_neighbours_and_a_link_to_all(client, more_places):
    body = client.get("/lieux/mediatheque-jean-mace/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    section = body.split('id="networks-title"')[1]
    assert section.count('<li><a href="/lieux/') == 10
    assert (
        'href="/lieux/espace-numerique-00/"' not in section
        or "France Services Guillotière" in section
    )
    assert "All the places of this network" in section


TEXT_SEARCH = "/lieux/?open=now&lat=45.76&lon=4.85&radius=10&q=ordinateur+espace+numerique"


def _text_search_queries(django_assert_num_queries, client, expected_results):
    # the 11 queries above, plus:
    # 12 the search vocabulary (one read of every word)
    # 13 EXISTS: does any place hold the leftover word "espace"? (else typos are guessed)
    # 14 EXISTS: does it match among the places the filters leave?
    with django_assert_num_queries(14):
        response = client.get(TEXT_SEARCH)
    assert response.status_code == 200
    assert response.content.decode().count('class="place-card"') == expected_results


def test_text_search_query_count_is_constant(client, more_places, django_assert_num_queries):
    _text_search_queries(django_assert_num_queries, client, 12)


def _grow_registry(organisation, network, total):
    """Published places (half of them in the network) until the registry holds `total`, each
    in a commune of its own: what grows the filter choices grows with them. Inserted in
    bulk, as an import does, which then tells the filter choices."""
    from places.filter_choices import forget_filter_choices
    from places.models import Place

    start = Place.objects.count()
    rows = Place.objects.bulk_create(
        PlaceFactory.build(
            organisation=organisation,
            name=f"Lieu {i:04d}",
            slug=f"lieu-{i:04d}",
            commune=f"Commune {i:04d}",
            insee_code=f"{1000 + i:05d}",
            latitude=Decimal("45.7") + Decimal(i) / 10_000,
        )
        for i in range(start, total)
    )
    Place.networks.through.objects.bulk_create(
        Place.networks.through(place_id=p.pk, network_id=network.pk) for p in rows[::2]
    )
    forget_filter_choices()


def _warm_page_queries(client, url):
    client.get(url)  # the first page since the last change stores the filter choices
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode().count('class="place-card"')


# The pages that show the search's filter choices (networks and communes).
FILTER_PAGES = [SEARCH, "/lieux/", "/", "/embed/"]


def test_the_search_pages_cost_the_same_at_50_and_500_places(client, registry, organisation):
    _grow_registry(organisation, registry["network"], 50)
    small = {url: _warm_page_queries(client, url) for url in FILTER_PAGES}
    _grow_registry(organisation, registry["network"], 500)
    large = {url: _warm_page_queries(client, url) for url in FILTER_PAGES}
    assert {url: count for url, (count, _cards) in small.items()} == {
        url: count for url, (count, _cards) in large.items()
    }
    # The 11 queries of the search above, less the two filter choices stored in the cache.
    assert small[SEARCH][0] == 9
    assert small["/lieux/"][1] == large["/lieux/"][1] == 20  # a full page at both sizes
