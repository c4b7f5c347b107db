"""Search behaviour: text, filters (OR within, AND across), distance, opening, map markers."""

from __future__ import annotations

import re

import pytest

from places.textsearch import one_typo_patterns


def names(response) -> list[str]:
    """Result names in page order."""
    return re.findall(
        r'class="place-card-title"><a href="/lieux/[^/]+/">([^<]+)</a>', response.content.decode()
    )


def search(client, query: str, **extra):
    return client.get(f"/lieux/?{query}", HTTP_ACCEPT_LANGUAGE="en", **extra)


@pytest.mark.parametrize("q", ["mediatheque", "Médiathèque", "MEDIATHEQUE", "médiathèque jean"])
def test_text_is_accent_and_case_insensitive(client, registry, q):
    assert names(search(client, f"q={q}")) == ["Médiathèque Jean Macé"]


def test_one_typo_is_tolerated_and_said(client, registry):
    response = search(client, "q=mediathaque")
    assert names(response) == ["Médiathèque Jean Macé"]
    assert "close spelling" in response.content.decode()
    assert names(search(client, "q=mediathqeue")) == ["Médiathèque Jean Macé"]  # swapped
    assert names(search(client, "q=xyzxyzxyz")) == []


def test_typo_patterns_cover_each_kind_of_slip():
    patterns = one_typo_patterns("caf")
    assert "%c_f%" in patterns and "%ca_f%" in patterns and "%acf%" in patterns


def test_no_filter_lists_every_published_place_by_name(client, registry):
    assert names(search(client, "")) == [
        "Coworking de Villefranche",
        "France Services Guillotière",
        "Jardin partagé des Canuts",
        "Médiathèque Jean Macé",
        "Repair Café des Pentes",
    ]


def test_values_of_one_filter_combine_with_or(client, registry):
    found = names(search(client, "typology=mediatheque&typology=coworking"))
    assert found == ["Coworking de Villefranche", "Médiathèque Jean Macé"]
    found = names(search(client, "need=caf&need=reparer"))
    assert found == ["France Services Guillotière", "Repair Café des Pentes"]


def test_filters_combine_with_and(client, registry):
    assert names(search(client, "typology=mediatheque&need=caf")) == []
    assert names(search(client, "network=france-services&need=caf")) == [
        "France Services Guillotière"
    ]


def test_need_shows_the_matching_services(client, registry):
    body = search(client, "need=imprimer").content.decode()
    assert "Printing and scanning" in body
    assert "Computer and Internet access" not in body  # offered, but not this need


def test_free_and_wheelchair(client, registry):
    assert names(search(client, "need=imprimer&free=on")) == []
    assert names(search(client, "need=ordinateur&free=on")) == ["Médiathèque Jean Macé"]
    assert names(search(client, "wheelchair=on")) == ["Médiathèque Jean Macé"]


def test_commune_and_profile_filters(client, registry):
    assert names(search(client, "commune=69264")) == ["Coworking de Villefranche"]
    assert names(search(client, "profile=work")) == []  # no profile recorded in these places


def test_distance_sort_radius_and_distance_shown(client, registry):
    response = search(client, "lat=45.7701&lon=4.8301&radius=5")
    assert names(response) == [
        "Repair Café des Pentes",
        "Jardin partagé des Canuts",
        "Médiathèque Jean Macé",
        "France Services Guillotière",
    ]  # Villefranche, 25 km away, is outside 5 km
    body = response.content.decode()
    assert "0.0 km away" in body and "nearest first" in body
    assert "Coworking de Villefranche" in names(search(client, "lat=45.7701&lon=4.8301&radius=50"))


def test_open_now_at_the_fixed_instant(client, registry):
    # Tuesday 10:30: the weekday places are open, the Saturday one and the one without hours not.
    response = search(client, "open=now")
    assert names(response) == [
        "Coworking de Villefranche",
        "France Services Guillotière",
        "Médiathèque Jean Macé",
    ]
    assert "Open until 12 h" in response.content.decode()


def test_open_on_a_given_day_and_time(client, registry):
    assert names(search(client, "open=at&date=2026-03-14&time=11:00")) == ["Repair Café des Pentes"]


def test_open_now_and_near_and_need_together(client, registry):
    found = names(search(client, "open=now&lat=45.7601&lon=4.8501&radius=2&need=caf"))
    assert found == ["France Services Guillotière"]


def test_status_words_on_cards(client, registry):
    body = search(client, "").content.decode()
    assert "Opens Saturday at 10 h" in body
    assert "Opening hours not known" in body


def test_map_markers_are_grouped_by_cell_and_split_when_zoomed(client, registry):
    wide = client.get("/lieux/carte.json?bbox=4,45,5.5,46.5&zoom=5").json()
    assert sum(m["count"] for m in wide["markers"]) == 5
    assert any(m["count"] > 1 for m in wide["markers"])
    close = client.get("/lieux/carte.json?bbox=4,45,5.5,46.5&zoom=18").json()
    assert len(close["markers"]) == 5
    assert {m["url"] for m in close["markers"]} >= {"/lieux/mediatheque-jean-mace/"}


def test_map_markers_follow_the_filters(client, registry):
    data = client.get("/lieux/carte.json?bbox=4,45,5.5,46.5&zoom=18&need=caf").json()
    assert [m["name"] for m in data["markers"]] == ["France Services Guillotière"]


@pytest.mark.parametrize(
    "query", ["bbox=1,2,3&zoom=5", "bbox=4,45,5,46&zoom=40", "bbox=4,45,5,46&zoom=5&radius=10000"]
)
def test_map_bad_input_is_a_400_with_reasons(client, registry, query):
    response = client.get(f"/lieux/carte.json?{query}")
    assert response.status_code == 400
    assert response.json()["errors"]
