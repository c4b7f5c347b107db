"""The search page counts its results up to a cap and says "more than" past it (decision
0035), so that words matching places all over the country cost what the page shows."""

from __future__ import annotations

import pytest
from django.db import connection

from directory.views import CappedPaginator
from places import textsearch
from places.models import Place
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def libraries(organisation):
    for name in [
        "Bastide Aragon",
        "Bastide Bizet",
        "Bastide Colette",
        "Bastide Duras",
    ]:
        place = PlaceFactory(organisation=organisation, name=name)
        place.save()  # computes search_text
    PlaceFactory(organisation=organisation, name="Jardin de la Soie").save()


@pytest.fixture
def cap_of_three(monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 3)


def test_past_the_cap_the_page_says_more_than_in_french(client, libraries, cap_of_three):
    response = client.get("/lieux/", {"q": "bastidé"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Plus de 3 lieux trouvés" in content
    assert "Seuls les 3 premiers sont listés" in content
    assert len(response.context["cards"]) == 3  # the pages stop at the cap


def test_past_the_cap_the_page_says_more_than_in_english(client, libraries, cap_of_three):
    response = client.get("/lieux/", {"q": "bastide"}, HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    assert "More than 3 places found" in content
    assert "Go to the results (more than 3)" in content
    assert "Only the first 3 are listed" in content


def test_at_the_cap_the_count_is_exact(client, libraries, monkeypatch):
    monkeypatch.setattr(CappedPaginator, "cap", 4)
    response = client.get("/lieux/", {"q": "bastide"}, HTTP_ACCEPT_LANGUAGE="en")
    content = response.content.decode()
    assert "4 places found" in content
    assert "More than" not in content and "Only the first" not in content
    assert len(response.context["cards"]) == 4


def test_the_default_cap_is_a_thousand(client, libraries):
    response = client.get("/lieux/", {"q": "bastide"})
    paginator = response.context["page"].paginator
    assert paginator.cap == 1000
    assert (paginator.count, paginator.capped) == (4, False)


def test_ranked_words_are_matched_in_one_pass_of_the_index(libraries):
    """SQLite: no per-place re-evaluation of the words (quadratic: 48 s at 100,000 places)."""
    found = textsearch.matching(Place.objects.all(), ["bastide"]).order_by("-text_rank")
    sql, params = found.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, params)
            plan = " ".join(row[0] for row in cursor.fetchall())
            assert "SubPlan" not in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "CORRELATED" not in plan, plan
            assert plan.count("place_fts VIRTUAL TABLE") == 1, plan
    assert len(list(found)) == 4


def test_a_ranked_search_ranks_only_the_first_found_past_the_cap(libraries, monkeypatch):
    from directory import search as directory_search

    ranked = textsearch.matching(Place.objects.all(), ["bastide"]).order_by("-text_rank", "name")
    # Under the cap: every match, in the same order as ranking them all.
    assert list(directory_search.first_found(ranked)) == list(ranked)
    assert ranked.count() == 4
    # Past it: the first cap + 1 found only, so ranking reads no more rows than that.
    monkeypatch.setattr(directory_search, "RESULT_COUNT_CAP", 2)
    bounded = directory_search.first_found(ranked)
    assert bounded.count() == 3
    assert {p.name for p in bounded} <= {p.name for p in ranked}
