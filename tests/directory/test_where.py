"""The search's "Where?" field: a commune, a postcode or an address sets the search point."""

from __future__ import annotations

import html
import re

import pytest

from tests.directory.conftest import make_place
from tests.directory.test_search import names
from tests.places import test_geocoding

# The local fake address API of the adapter's own tests.
fake_geocoder = test_geocoding.geocoder


@pytest.fixture
def around_brignais(window, frozen, registry_admin, organisation):
    """Two places in and near Brignais, one in Lyon's centre about 13 km away."""
    return {
        "town_hall": make_place(
            registry_admin,
            name="Espace France Services Brignais",
            organisation=organisation,
            slug="efs-brignais",
            lat="45.674000",
            lon="4.755000",
        ),
        "neighbour": make_place(
            registry_admin,
            name="Fab lab de Chaponost",
            organisation=organisation,
            slug="fablab-chaponost",
            lat="45.700000",
            lon="4.742000",
        ),
        "far": make_place(
            registry_admin,
            name="Médiathèque de la Part-Dieu",
            organisation=organisation,
            slug="mediatheque-part-dieu",
            lat="45.760500",
            lon="4.857000",
        ),
    }


def search(client, query: str):
    return client.get(f"/lieux/?{query}", HTTP_ACCEPT_LANGUAGE="en")


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("where", ["Brignais", "brignais", "69530", "Brignais+69530"])
def test_a_commune_or_postcode_finds_the_places_around_it(client, around_brignais, where):
    response = search(client, f"where={where}&radius=5")
    assert response.status_code == 200
    # Nearest first, from Brignais's town hall; Lyon's centre is beyond 5 km.
    assert names(response) == ["Espace France Services Brignais", "Fab lab de Chaponost"]
    body = text(response)
    assert "Searching around Brignais (69)." in body
    assert "nearest first" in body
    assert 'value="' + where.replace("+", " ") + '"' in body  # the text is kept


def test_the_radius_still_applies(client, around_brignais):
    assert len(names(search(client, "where=Brignais&radius=1"))) == 1
    assert "Médiathèque de la Part-Dieu" in names(search(client, "where=Brignais&radius=20"))


def test_the_default_radius_is_five_km(client, around_brignais):
    assert names(search(client, "where=Brignais")) == [
        "Espace France Services Brignais",
        "Fab lab de Chaponost",
    ]


def test_an_arrondissement_finds_the_places_in_it(client, around_brignais):
    assert names(search(client, "where=Lyon+3e&radius=2")) == ["Médiathèque de la Part-Dieu"]


def test_a_shared_postcode_links_to_its_other_communes(client, around_brignais):
    body = text(search(client, "where=69530"))
    assert "The same postcode also serves:" in body
    link = re.search(r'<a href="\?([^"]+)">Orliénas \(69\)</a>', body)
    assert link and "where=69530+Orli" in link.group(1)


def test_an_ambiguous_name_offers_each_commune_as_a_link(client, around_brignais):
    response = search(client, "where=Saint-Denis&radius=10&need=caf")
    assert response.status_code == 400
    body = text(response)
    assert "Several communes match “Saint-Denis”: choose one." in body
    assert names(response) == []
    pattern = r'<a href="\?([^"]+)">(Saint-Denis[^<]+)</a>'
    links = {label: url for url, label in re.findall(pattern, body)}
    assert "Saint-Denis (93), postcode 93200, 93210, 93380" in links
    url = html.unescape(links["Saint-Denis (93), postcode 93200, 93210, 93380"])
    # The other filters are kept; the choice gives a search that runs.
    assert "radius=10" in url and "need=caf" in url
    follow = search(client, url)
    assert follow.status_code == 200
    assert "Searching around Saint-Denis (93)." in text(follow)


def test_an_unknown_postcode_says_so_and_keeps_the_text(client, around_brignais):
    response = search(client, "where=99999")
    assert response.status_code == 400
    body = text(response)
    assert "No commune has the postcode 99999." in body
    assert 'value="99999"' in body
    assert names(response) == []


def test_an_unknown_name_suggests_close_names_as_links(client, around_brignais):
    response = search(client, "where=Brignai")
    assert response.status_code == 400
    body = text(response)
    assert "No commune is called “Brignai”." in body
    follow = re.search(r'<a href="\?([^"]+)">Brignais</a>', body)
    assert follow
    assert names(search(client, html.unescape(follow.group(1)))) == [
        "Espace France Services Brignais",
        "Fab lab de Chaponost",
    ]


def test_a_street_address_without_address_service(client, around_brignais, settings):
    settings.GEOCODER_URL = ""
    response = search(client, "where=12+rue+Paul+Bert+69003+Lyon")
    assert response.status_code == 400
    assert "Only communes and postcodes are understood here" in text(response)


def test_a_street_address_goes_to_the_address_service(client, around_brignais, fake_geocoder):
    geocoder = fake_geocoder
    response = search(client, "where=12+rue+Paul+Bert+Lyon&radius=2")
    assert response.status_code == 200
    assert geocoder.requests[0][1]["q"] == ["12 rue Paul Bert Lyon"]
    assert "Searching around 12 Rue Paul Bert 69003 Lyon." in text(response)
    assert names(response) == ["Médiathèque de la Part-Dieu"]


@pytest.mark.parametrize("where", ["x" * 1000, "%00", "<script>", "   "])
def test_bad_where_never_fails(client, around_brignais, where):
    response = search(client, f"where={where}")
    assert response.status_code in (200, 400)
    assert "<script>" not in response.content.decode().split("</form>")[0].split("where")[-1]


def test_a_1000_character_where_is_refused_with_the_text_kept(client, around_brignais):
    response = search(client, "where=" + "a" * 1000)
    assert response.status_code == 400
    assert "at most 200 characters" in text(response)


def test_where_wins_over_coordinates_left_in_the_form(client, around_brignais):
    response = search(client, "where=Brignais&lat=48.85&lon=2.35&radius=5")
    assert names(response) == ["Espace France Services Brignais", "Fab lab de Chaponost"]


def test_where_costs_no_query(client, around_brignais, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    search(client, "where=Brignais")  # the dataset is read once per process, not per query
    with CaptureQueriesContext(connection) as by_point:
        search(client, "lat=45.675094&lon=4.758747&radius=5")
    with django_assert_max_num_queries(len(by_point)):
        search(client, "where=Brignais&radius=5")


def test_home_page_offers_where_and_near_me(client, around_brignais):
    body = text(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert 'name="where"' in body and 'for="home-where"' in body
    assert "data-near-me-button" in body and 'aria-live="polite"' in body
    assert "Type your commune or postcode instead." in body
    assert "js/directory-search" in body


def test_near_me_messages_are_in_french(client, around_brignais):
    body = text(client.get("/lieux/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Près de moi" in body
    assert "Tapez votre commune ou votre code postal" in body
    assert "Où\u00a0? Commune, code postal ou adresse" in body


# --- The embed reads "where" too --------------------------------------------------------


def embed(client, query: str):
    return client.get(f"/embed/?{query}", HTTP_ACCEPT_LANGUAGE="en")


def embed_names(response) -> list[str]:
    """Result names in page order (the embed's links open in a new window)."""
    return re.findall(
        r'class="place-card-title"><a href="/lieux/[^/]+/" target="_blank"[^>]*>([^<]+)</a>',
        response.content.decode(),
    )


def test_the_embed_finds_the_places_around_a_typed_commune(client, around_brignais):
    response = embed(client, "where=69530")
    assert response.status_code == 200
    assert embed_names(response) == ["Espace France Services Brignais", "Fab lab de Chaponost"]
    body = text(response)
    assert "Searching around Brignais (69)." in body
    assert 'name="where" id="id_where" value="69530"' in body


def test_the_embed_offers_each_commune_of_an_ambiguous_name(client, around_brignais):
    response = embed(client, "where=Saint-Martin&q=fab")
    assert response.status_code == 400
    body = text(response)
    assert 'aria-invalid="true"' in body
    links = re.findall(r'href="\?([^"]+)"', body)
    assert len([link for link in links if "where=" in link]) >= 2
    # Each link keeps what else was typed.
    assert all("q=fab" in link for link in links if "where=" in link)


def test_the_embed_refuses_an_unknown_commune_with_the_text_kept(client, around_brignais):
    response = embed(client, "where=Zzyzxville")
    assert response.status_code == 400
    assert 'value="Zzyzxville"' in text(response)


# --- A typed time is a time where the person searches ----------------------------------

SATURDAY_MORNING = {"kind": "weekly", "days": [5], "times": ["09:00-12:00"]}


@pytest.fixture
def fort_de_france(window, frozen, registry_admin, organisation):
    return make_place(
        registry_admin,
        name="Maison France Services de Fort-de-France",
        organisation=organisation,
        slug="mfs-fort-de-france",
        hours=(SATURDAY_MORNING,),
        insee_code="97209",
        postcode="97200",
        lat="14.607000",
        lon="-61.067000",
    )


@pytest.mark.parametrize(
    ("time", "found"),
    # Martinique is 5 hours behind Paris in March: 10:00 there is 15:00 in Paris.
    [("10:00", True), ("11:59", True), ("12:00", False), ("15:00", False), ("08:59", False)],
)
def test_a_typed_time_near_fort_de_france_is_martiniques(client, fort_de_france, time, found):
    response = search(client, f"where=Fort-de-France&open=at&date=2026-03-14&time={time}")
    assert response.status_code == 200
    assert ("Maison France Services de Fort-de-France" in names(response)) is found


def test_a_typed_time_around_coordinates_is_the_territorys(client, fort_de_france):
    response = search(client, "lat=14.61&lon=-61.07&open=at&date=2026-03-14&time=10:30")
    assert names(response) == ["Maison France Services de Fort-de-France"]
    response = search(client, "lat=14.61&lon=-61.07&open=at&date=2026-03-14&time=16:30")
    assert names(response) == []


def test_a_typed_time_in_metropolitan_france_stays_the_sites(client, around_brignais):
    # Tuesday 10 March 2026 at 10:00 in Brignais (the places open 09:00-12:00 on weekdays)
    response = search(client, "where=Brignais&open=at&date=2026-03-10&time=10:00")
    assert names(response) == ["Espace France Services Brignais", "Fab lab de Chaponost"]
    response = search(client, "where=Brignais&open=at&date=2026-03-10&time=12:30")
    assert names(response) == []
