"""Free-text search over places: ranking, accents, typos and hostile input, on both databases."""

from __future__ import annotations

import pytest

from places import textsearch
from places.models import Place
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(organisation):
    def make(name, description="", **kwargs):
        place = PlaceFactory(organisation=organisation, name=name, **kwargs)
        place.short_description = description
        place.save()  # computes search_text (the factory row is saved once already)
        return place

    return {
        "mace": make("Médiathèque Jean Macé", "Livres, presse et postes informatiques"),
        "fablab": make("Fablab des Pentes", "Imprimantes 3D et découpe laser"),
        "fab_lab": make("Le Fab Lab de la Croix-Rousse", "Machines et ateliers"),
        "mention": make("Maison des associations", "Voisine de la médiathèque du quartier"),
        "garden": make("Jardin de la Soie", "Parcelles cultivées ensemble"),
    }


def names(queryset):
    return [p.name for p in queryset]


def found(q: str, places_qs=None) -> list[str]:
    words = textsearch.search_words(q)
    queryset = places_qs if places_qs is not None else Place.objects.all()
    exact = textsearch.matching(queryset, words)
    if exact.exists():
        return names(exact.order_by("-text_rank", "name"))
    return names(textsearch.close_spelling(queryset, words).order_by("-text_rank", "name"))


@pytest.mark.parametrize("q", ["mediatheque", "Médiathèque", "MEDIATHEQUE", "médiathèques"])
def test_accents_case_and_plurals(places, q):
    result = found(q)
    assert result[:2] == ["Médiathèque Jean Macé", "Maison des associations"] or set(result) == {
        "Médiathèque Jean Macé",
        "Maison des associations",
    }


def test_a_name_match_ranks_above_a_passing_mention(places):
    result = found("mediatheque jean")
    assert result == ["Médiathèque Jean Macé"]
    ranked = names(
        textsearch.matching(Place.objects.all(), ["mediatheque"]).order_by("-text_rank", "-name")
    )
    assert set(ranked) == {"Médiathèque Jean Macé", "Maison des associations"}


@pytest.mark.parametrize("q", ["médiatèque", "mediatheqe", "mediateque"])
def test_one_typo_finds_the_place(places, q):
    assert "Médiathèque Jean Macé" in found(q)


def test_prefix_matches(places):
    assert found("fabl") == ["Fablab des Pentes"]
    assert found("croix rou") == ["Le Fab Lab de la Croix-Rousse"]


def test_fablab_and_fab_lab_as_text(places):
    assert found("fablab") == ["Fablab des Pentes"]
    assert "Le Fab Lab de la Croix-Rousse" in found("fab lab")


@pytest.mark.parametrize(
    ("q", "finds_mace"),
    [
        ('"', True),  # no word left: no text condition
        ('"mediatheque', True),
        ("*", True),
        ("mediatheque*", True),
        ("NEAR(mediatheque jean)", False),  # "near" is a word like any other here
        ("-mediatheque", True),
        ("mediatheque:", True),
        ("search_text:mediatheque", False),
        ("mediatheque & | ! ( )", True),
        ("'; DROP TABLE places_place; --", False),
        ("^mediatheque", True),
        ("AND OR NOT", False),
        ("x" * 1000, False),
        (" ".join(["mediatheque"] * 500), True),
        ("", True),  # no word: no text condition
        ("   ", True),
        ("\x00mediatheque", True),
    ],
)
def test_syntax_characters_never_break_the_query(places, q, finds_mace):
    result = found(q)  # no exception from FTS5 or tsquery
    assert ("Médiathèque Jean Macé" in result) is finds_mace, result
    assert Place.objects.count() == 5


def test_index_follows_updates_and_deletions(places):
    place = places["garden"]
    place.name = "Potager partagé"
    place.save()
    assert found("potager") == ["Potager partagé"]
    assert found("jardin") == []
    place.delete()
    assert found("potager") == []


def test_search_words_are_bounded_and_clean():
    words = textsearch.search_words('Médiathèque: "jean" * -macé ' + "mot " * 50)
    assert words[:3] == ["mediatheque", "jean", "mace"]
    assert len(words) == textsearch.MAX_WORDS
    assert all(w.isalnum() for w in words)


def test_close_spellings_follow_updates_and_deletions(places):
    # The close-spelling path has its own index on SQLite (trigrams): it must follow too.
    place = places["garden"]
    place.name = "Potager partagé"
    place.save()
    assert names(textsearch.close_spelling(Place.objects.all(), ["potagr"])) == ["Potager partagé"]
    assert names(textsearch.close_spelling(Place.objects.all(), ["jardn"])) == []
    place.delete()
    assert names(textsearch.close_spelling(Place.objects.all(), ["potagr"])) == []


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("atelers", ["Le Fab Lab de la Croix-Rousse"]),  # a letter missing
        ("ateliiers", ["Le Fab Lab de la Croix-Rousse"]),  # a letter too many
        ("ateleirs", ["Le Fab Lab de la Croix-Rousse"]),  # two letters swapped
        ("atxliers", ["Le Fab Lab de la Croix-Rousse"]),  # a letter wrong
        ("soie", ["Jardin de la Soie"]),  # short words as typed
        ("atxlixrs", []),  # two typos: not close
    ],
)
def test_one_typo_of_each_kind_on_the_close_spelling_path(places, word, expected):
    assert names(textsearch.close_spelling(Place.objects.all(), [word])) == expected


def test_close_spelling_is_answered_by_a_trigram_index(places):
    """No scan of every place's text on either database (the 100,000-place bench's cost)."""
    from django.db import connection

    sql, params = (
        textsearch.close_spelling(Place.objects.all(), ["mediateque"])
        .values("pk")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Five places are cheaper to scan: forbid it, so the plan shows the index.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "place_search_trgm" in plan, plan
            assert "Seq Scan on places_place" not in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "place_trigram VIRTUAL TABLE INDEX" in plan, plan
            assert "SCAN places_place" not in plan, plan
