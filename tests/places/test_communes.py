"""Communes and postcodes resolved offline from the packaged dataset (places.communes)."""

from __future__ import annotations

import math

import pytest
from django.utils import translation

from places import communes
from places.communes import find_communes, normalize, resolve_location


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English source strings (French is the default language)."""
    with translation.override("en"):
        yield


# (typed text, expected status, expected INSEE code of the point or of every choice)
CASES = [
    ("Brignais", "found", "69027"),
    ("brignais", "found", "69027"),
    ("  BRIGNAIS ", "found", "69027"),
    ("69530", "found", "69027"),  # shared with Orliénas: the most populous first
    ("Orliénas 69530", "found", "69148"),
    ("Lyon 3e", "found", "69383"),
    ("Lyon 3", "found", "69383"),
    ("lyon 3eme arrondissement", "found", "69383"),
    ("69003", "found", "69383"),  # the arrondissement, not Lyon as a whole
    ("Paris 15e", "found", "75115"),
    ("Paris 1er", "found", "75101"),
    ("Marseille 8", "found", "13208"),
    ("Lyon", "found", "69123"),
    ("st etienne", "found", "42218"),
    ("Saint-Étienne", "found", "42218"),
    ("SAINT ETIENNE", "found", "42218"),
    ("L'Isle-d'Abeau", "found", "38193"),
    ("l isle d abeau", "found", "38193"),
    ("Isle-d'Abeau", "found", "38193"),
    ("Saint-Denis (974)", "found", "97411"),
    ("93200 Saint-Denis", "found", "93066"),
    ("97400", "found", "97411"),
    ("Saint-Denis", "choices", {"97411", "93066"}),
    ("99999", "not_found", None),
    ("Brignai", "not_found", None),
    ("", "not_found", None),
    ("x" * 1000, "not_found", None),
]


@pytest.mark.parametrize(("text", "status", "expected"), CASES)
def test_lookup_table(text, status, expected):
    result = resolve_location(text)
    assert result.status == status, result
    codes = {c.insee_code for c in result.communes}
    if status == "found":
        assert result.communes[0].insee_code == expected
        assert result.point == result.communes[0].point
    elif status == "choices":
        assert expected <= codes
    else:
        assert result.point is None and result.message


def test_points_are_where_the_communes_are():
    brignais = find_communes("Brignais")[0]
    assert abs(brignais.latitude - 45.67) < 0.05 and abs(brignais.longitude - 4.75) < 0.05
    assert brignais.department == "69" and brignais.postcodes == ("69530",)
    assert brignais.population > 5000
    reunion = find_communes("Saint-Denis (974)")[0]
    assert reunion.latitude < -20 and reunion.longitude > 55


def test_every_commune_has_a_point_in_france_or_overseas():
    index = communes.commune_index()
    assert len(index.communes) > 34000
    # Town halls' positions, territory centres where the data have none (or an empty one).
    assert all(math.isfinite(c.latitude) and math.isfinite(c.longitude) for c in index.communes)
    assert all(-22 < c.latitude < 51.2 and -62 < c.longitude < 56 for c in index.communes)
    lanester = find_communes("Lanester")[0]  # an empty town-hall point in the data
    assert 47.7 < lanester.latitude < 47.8 and -3.4 < lanester.longitude < -3.3
    metropolitan = [c for c in index.communes if c.department == "69"]
    assert all(45 < c.latitude < 46.5 and 4 < c.longitude < 5.2 for c in metropolitan)


def test_a_postcode_shared_by_several_communes():
    found = find_communes("69530")
    assert [c.name for c in found] == ["Brignais", "Orliénas"]  # by population
    result = resolve_location("69530")
    assert [c.name for c in result.alternatives] == ["Orliénas"]


def test_ambiguous_name_lists_each_commune_best_first():
    result = resolve_location("Saint-Denis")
    assert "Several communes" in result.message
    populations = [c.population for c in result.communes]
    assert populations == sorted(populations, reverse=True)
    # Each choice carries the text that resolves to it alone.
    for choice in result.communes:
        assert resolve_location(choice.query).communes[0] == choice


def test_a_name_start_offers_the_communes_it_begins():
    result = resolve_location("Villefranche")
    assert result.status == "choices"
    assert result.communes[0].name == "Villefranche-sur-Saône"  # the most populous
    assert all(c.name.startswith("Villefranche") for c in result.communes)


def test_unknown_postcode_and_name_say_why_and_suggest():
    assert resolve_location("99999").message == "No commune has the postcode 99999."
    result = resolve_location("Brignai")
    assert result.message == "No commune is called “Brignai”."
    assert "Brignais" in result.suggestions
    assert resolve_location("Lyon 69530").status == "choices"  # 69530 is not Lyon's


def test_bad_input_is_answered_not_raised():
    assert resolve_location("").message == "Type a commune or a postcode."
    assert "too long" in resolve_location("x" * 1000).message
    assert resolve_location("%%%").status == "not_found"
    assert resolve_location("\x00").status == "not_found"


@pytest.mark.parametrize(
    "address", ["12 rue Paul Bert 69003 Lyon", "rue de la République 69002", "avenue Foch"]
)
def test_street_address_without_geocoder_says_only_communes_and_postcodes(settings, address):
    settings.GEOCODER_URL = ""
    result = resolve_location(address)
    assert result.status == "not_found"
    assert "Only communes and postcodes are understood here" in result.message


@pytest.mark.parametrize(("name", "code"), [("Cours", "69066"), ("Le Passage", "47201")])
def test_communes_named_like_streets_are_communes(settings, name, code):
    settings.GEOCODER_URL = ""
    result = resolve_location(name)
    assert result.status in ("found", "choices")
    assert code in {c.insee_code for c in result.communes}


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("st-etienne", "saint etienne"),
        ("Ste Foy-lès-Lyon", "sainte foy les lyon"),
        ("L'Isle-d'Abeau", "l isle d abeau"),
        ("Lyon 3e Arrondissement", "lyon 3"),
        ("Paris 1er", "paris 1"),
        ("Œuilly", "oeuilly"),
    ],
)
def test_normalize(typed, key):
    assert normalize(typed) == key
