"""The demo registry: deterministic, idempotent, every typology, users who can log in."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from places import demo as places_demo
from places.models import ChangeRecord, Place, Typology
from services import demo as services_demo
from services.models import ServiceOffer

pytestmark = pytest.mark.django_db

SMALL = 25  # more than the 17 typologies, small enough for a fast test


def _counts():
    return (
        Place.objects.count(),
        ServiceOffer.objects.count(),
        ChangeRecord.objects.count(),
    )


def test_same_seed_same_registry_other_seed_other_names():
    first = [s.data["name"] for s in places_demo.generate_places(60, seed=7)]
    again = [s.data["name"] for s in places_demo.generate_places(60, seed=7)]
    other = [s.data["name"] for s in places_demo.generate_places(60, seed=8)]
    assert first == again and first != other
    assert len(set(first)) == len(first)
    specs = places_demo.generate_places(60, seed=7)
    offers = [(o.place_key, o.kind) for o in services_demo.generate_offers(specs, seed=7)]
    assert offers == [(o.place_key, o.kind) for o in services_demo.generate_offers(specs, 7)]


def test_load_twice_keeps_counts_and_every_typology_is_present():
    call_command("load_demo", places=SMALL, seed=3)
    counts = _counts()
    assert counts[0] == SMALL and counts[1] > SMALL
    call_command("load_demo", places=SMALL, seed=3)
    assert _counts() == counts
    for typology in Typology.objects.all():
        assert typology.places.exists(), typology.code
    france_services = Place.objects.filter(typologies__code="france_services").first()
    assert {"caf", "france-travail", "assurance-maladie", "impots", "ants"} <= set(
        france_services.offers.values_list("kind__slug", flat=True)
    )
    # The default path goes through the actions: every place and offer has its history.
    assert ChangeRecord.objects.filter(target="place", action="create").count() == SMALL
    assert (
        ChangeRecord.objects.filter(target__startswith="offer:", action="create").count()
        == (counts[1])
    )


def test_rebuild_gives_the_same_registry():
    call_command("load_demo", places=SMALL, seed=3)
    names = sorted(Place.objects.values_list("name", flat=True))
    offers = ServiceOffer.objects.count()
    call_command("load_demo", places=SMALL, seed=3, rebuild=True)
    assert sorted(Place.objects.values_list("name", flat=True)) == names
    assert ServiceOffer.objects.count() == offers


def test_fast_path_writes_the_same_rows_without_history():
    call_command("load_demo", places=SMALL, seed=3)
    slow = sorted(Place.objects.values_list("name", "status", "insee_code"))
    slow_offers = ServiceOffer.objects.count()
    call_command("load_demo", places=SMALL, seed=3, rebuild=True, fast=True)
    assert sorted(Place.objects.values_list("name", "status", "insee_code")) == slow
    assert ServiceOffer.objects.count() == slow_offers
    assert Place.objects.filter(mediation__isnull=False).exists()
    assert not ChangeRecord.objects.filter(target="place").exists()


def test_demo_users_can_log_in():
    call_command("load_demo", places=SMALL, seed=3)
    for username in ("admin.demo", "manager.demo", "viewer.demo"):
        assert Client().login(username=username, password="demo-password"), username
    manager_places = Place.objects.filter(managers__username="manager.demo")
    assert manager_places.exists()
