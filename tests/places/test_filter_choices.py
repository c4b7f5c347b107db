"""The search's filter choices are precomputed in the cache and never stale after a write.

Each test runs twice: with a per-process cache (locmem) and with the shared Redis cache.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from api.imports.pipeline import run_import
from places import actions
from places.filter_choices import (
    GENERATION_KEY,
    KEY,
    _new_generation,
    forget_filter_choices,
    published_filter_choices,
)
from places.models import Network, Place
from tests.factories import NetworkFactory, PlaceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("cache_backend")]


def networks():
    return [(n.slug, n.name) for n in published_filter_choices()[0]]


def communes():
    return published_filter_choices()[1]


@pytest.fixture
def network(db):
    return NetworkFactory(slug="france-services", name="France Services")


@pytest.fixture
def place(organisation, network):
    return PlaceFactory(
        organisation=organisation,
        name="Médiathèque Jean Macé",
        commune="Lyon",
        insee_code="69123",
        networks=[network],
    )


def _draft(user, organisation, **data):
    return actions.place_create(
        user=user,
        organisation=organisation,
        data={
            "name": "Fab lab de Villeurbanne",
            "commune": "Villeurbanne",
            "insee_code": "69266",
            "postcode": "69100",
            **data,
        },
        typologies=["fablab"],
    )


def test_it_lists_the_networks_and_communes_of_published_places_only(place, organisation, network):
    PlaceFactory(
        organisation=organisation,
        status=Place.Status.DRAFT,
        commune="Bron",
        insee_code="69029",
        networks=[NetworkFactory(slug="fab-labs", name="Fab labs")],
    )
    assert networks() == [("france-services", "France Services")]
    assert communes() == [("69123", "Lyon")]


def test_a_stored_answer_costs_no_query(place, django_assert_num_queries):
    with django_assert_num_queries(2):  # networks, then communes, of published places
        first = published_filter_choices()
    with django_assert_num_queries(0):
        assert published_filter_choices() == first


def test_creating_then_publishing_a_place_shows_its_commune(place, registry_admin, organisation):
    assert communes() == [("69123", "Lyon")]
    draft = _draft(registry_admin, organisation)
    assert communes() == [("69123", "Lyon")]  # a draft is not public
    actions.place_publish(place=draft, user=registry_admin)
    assert communes() == [("69123", "Lyon"), ("69266", "Villeurbanne")]


def test_creating_a_published_place_shows_its_network(place, registry_admin, organisation):
    assert networks() == [("france-services", "France Services")]
    fab_labs = NetworkFactory(slug="fab-labs", name="Fab labs")
    assert networks() == [("france-services", "France Services")]  # no place yet
    actions.place_create(
        user=registry_admin,
        organisation=organisation,
        data={"name": "Fab lab", "commune": "Lyon", "insee_code": "69123", "postcode": "69003"},
        typologies=["fablab"],
        networks=[fab_labs],
        status=Place.Status.PUBLISHED,
    )
    assert networks() == [("fab-labs", "Fab labs"), ("france-services", "France Services")]


def test_archiving_a_place_hides_its_commune_and_network(place, registry_admin):
    assert communes() and networks()
    actions.place_archive(place=place, user=registry_admin)
    assert communes() == [] and networks() == []


def test_restoring_then_publishing_shows_them_again(place, registry_admin):
    actions.place_archive(place=place, user=registry_admin)
    assert communes() == []
    actions.place_restore(place=place, user=registry_admin)
    actions.place_publish(place=place, user=registry_admin)
    assert communes() == [("69123", "Lyon")]


def test_changing_a_places_commune_changes_the_list(place, registry_admin):
    assert communes() == [("69123", "Lyon")]
    actions.place_update(
        place=place,
        user=registry_admin,
        expected_version=None,
        data={"commune": "Villeurbanne", "insee_code": "69266", "postcode": "69100"},
    )
    assert communes() == [("69266", "Villeurbanne")]


def test_changing_a_places_networks_changes_the_list(place, registry_admin):
    fab_labs = NetworkFactory(slug="fab-labs", name="Fab labs")
    assert networks() == [("france-services", "France Services")]
    actions.place_update(
        place=place, user=registry_admin, expected_version=None, data={}, networks=[fab_labs]
    )
    assert networks() == [("fab-labs", "Fab labs")]
    actions.place_update(
        place=place, user=registry_admin, expected_version=None, data={}, networks=[]
    )
    assert networks() == []


def test_renaming_or_deleting_a_network_changes_the_list(place, network):
    assert networks() == [("france-services", "France Services")]
    network.name = "Espace France Services"
    network.save()  # as Django's admin does
    assert networks() == [("france-services", "Espace France Services")]
    Network.objects.get(pk=network.pk).delete()
    assert networks() == []


def test_an_import_inserting_places_in_bulk_changes_the_list(place, organisation, tmp_path):
    assert communes() == [("69123", "Lyon")]
    rows = [
        {
            "id": f"vb-{i}",
            "nom": f"Espace numérique {i}",
            "commune": "Villeurbanne",
            "code_postal": "69100",
            "code_insee": "69266",
            "adresse": f"{i} rue A",
            "latitude": 45.77 + i / 1000,
            "longitude": 4.88,
        }
        for i in range(3)
    ]
    path = tmp_path / "lmn.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    report = run_import(fmt="lmn", path=path, organisation=organisation)
    assert report.created == 3
    assert ("69266", "Villeurbanne") in communes()


@pytest.mark.django_db(transaction=True)
def test_an_answer_computed_before_the_commit_is_not_served_after_it(place, registry_admin):
    """A reader racing with the writer may store the old answer under the generation drawn
    during the write; the generation drawn at commit makes it unreachable."""
    assert communes() == [("69123", "Lyon")]
    with transaction.atomic():
        actions.place_archive(place=place, user=registry_admin)
        actions.place_update(
            place=place, user=registry_admin, expected_version=None, data={"name": "Autre"}
        )
        due = [entry for entry in connection.run_on_commit if entry[1] is _new_generation]
        assert len(due) == 1  # one new generation per transaction, however many writes
        # The racing reader: it read the data before the commit, stores it as current.
        cache.set(KEY, (cache.get(GENERATION_KEY), ([], [("69123", "Lyon")])))
        assert communes() == [("69123", "Lyon")]
    assert communes() == []


def test_forgetting_outside_a_transaction_draws_a_new_generation_at_once(place):
    communes()
    before = cache.get(GENERATION_KEY)
    forget_filter_choices()
    assert cache.get(GENERATION_KEY) != before


def test_a_lost_generation_is_drawn_again(place):
    assert communes() == [("69123", "Lyon")]
    cache.delete(GENERATION_KEY)  # evicted by the cache
    assert communes() == [("69123", "Lyon")]
    assert cache.get(GENERATION_KEY) is not None


def test_the_demos_bulk_insert_changes_the_list():
    from scheduling.demo import load_demo

    assert communes() == [] and networks() == []
    load_demo(places=20, fast=True)
    assert communes() and networks()
