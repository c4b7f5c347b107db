"""The words residents type, through the search page and the API's `q` (small registry)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def search(client, **params):
    return client.get("/lieux/", params)


def names(response):
    return [card["place"].name for card in response.context["cards"]]


def api_names(response):
    assert response.status_code == 200, response.content
    return sorted(p["name"] for p in response.json()["results"])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("aide CAF", ["France Services Guillotière"]),
        ("imprimer un document", ["Médiathèque Jean Macé"]),
        ("impression", ["Médiathèque Jean Macé"]),
        ("print", ["Médiathèque Jean Macé"]),
        ("réparer", ["Repair Café des Pentes"]),
        ("repair café", ["Repair Café des Pentes"]),
        ("CAF Guillotière", ["France Services Guillotière"]),
        ("caf macé", []),  # the CAF desk is not at the media library
    ],
)
def test_need_words_on_the_page_and_in_the_api(client, registry, q, expected):
    assert sorted(names(search(client, q=q))) == expected
    assert api_names(Client().get("/api/v1/places/", {"q": q})) == expected


def test_words_not_understood_are_named_and_the_query_is_kept(client, registry):
    response = search(client, q="zorglub")
    assert response.status_code == 200
    content = response.content.decode()
    assert names(response) == []
    assert "zorglub" in content and 'value="zorglub"' in content
    assert "close spelling" not in content  # never above an empty list


def test_unknown_word_next_to_a_need_is_left_out_and_said(client, registry):
    response = search(client, q="caf zorglub")
    assert names(response) == ["France Services Guillotière"]
    assert "zorglub" in response.content.decode()


def test_corrected_need_word_is_said_above_results(client, registry):
    response = search(client, q="imprimmer")
    assert names(response) == ["Médiathèque Jean Macé"]
    content = response.content.decode()
    assert "imprimmer" in content and "imprimer" in content


def test_only_stop_words_lists_every_place(client, registry):
    assert len(names(search(client, q="je cherche un lieu pour"))) == 5


@pytest.mark.parametrize("q", ['"', "*", "NEAR(a b)", "-caf", "caf:*", "a & b | !c", "'--"])
def test_query_syntax_characters_are_plain_text(client, registry, q):
    assert search(client, q=q).status_code == 200
    assert Client().get("/api/v1/places/", {"q": q}).status_code == 200


def test_a_thousand_characters_are_refused_with_a_message_and_kept(client, registry):
    response = search(client, q="caf " + "x" * 996)
    assert response.status_code == 400
    assert "200" in response.content.decode()  # the form says how long a query may be
    api = Client().get("/api/v1/places/", {"q": "caf " + "x" * 996})
    assert api.status_code == 200  # the API reads the first words only


def test_unknown_word_next_to_a_need_is_left_out_by_the_api_too(registry):
    # The page answers "caf zorglub" as "caf" (test above): the API answers the same.
    assert api_names(Client().get("/api/v1/places/", {"q": "caf zorglub"})) == [
        "France Services Guillotière"
    ]
    assert api_names(Client().get("/api/v1/places/", {"q": "zorglub"})) == []


@pytest.fixture
def ludotheques(registry, organisation):
    from tests.factories import PlaceFactory

    # The less relevant one first: older, it would come first in change-date order.
    once = PlaceFactory(
        organisation=organisation,
        name="Centre social Bonnefoi",
        short_description="À deux pas de la ludothèque.",
    )
    often = PlaceFactory(
        organisation=organisation,
        name="Ludothèque du Septième",
        short_description="La ludothèque prête des jeux; ludothèque itinérante le samedi.",
    )
    return [often.name, once.name]


def test_the_api_lists_the_most_relevant_first_and_its_cursors_follow(ludotheques):
    api = Client()
    response = api.get("/api/v1/places/", {"q": "ludotheque"})
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["results"]] == ludotheques
    # One place per page: the cursor walks the same order, each place once.
    seen, url, params = [], "/api/v1/places/", {"q": "ludotheque", "page_size": 1}
    while url:
        page = api.get(url, params).json()
        seen += [p["name"] for p in page["results"]]
        url, params = page["next"], None
    assert seen == ludotheques
    # The page ranks the same way.
    assert names(search(Client(), q="ludotheque")) == ludotheques
