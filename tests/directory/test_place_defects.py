"""Pages of incomplete places and values shown to residents by their labels."""

from __future__ import annotations

import pytest

from places.models import MediationProfile
from scheduling import actions as scheduling_actions
from services.models import Provider, offer_label
from tests.directory.conftest import MON_FRI, make_place
from tests.factories import PlaceFactory

URL = "/lieux/france-services-guillotiere/"


def test_place_with_a_commune_but_no_insee_code(client, registry, registry_admin):
    make_place(registry_admin, name="Tiers-lieu", slug="tiers-lieu", insee_code="")
    response = client.get("/lieux/tiers-lieu/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<span>Lyon</span>" in body and 'href="/communes/' not in body


def test_place_without_coordinates_nor_insee_code(client, registry, registry_admin):
    bus = PlaceFactory(
        name="Bus numérique",
        slug="bus-numerique",
        latitude=None,
        longitude=None,
        insee_code="",
        postcode="",
        commune="",
    )
    scheduling_actions.schedule_set_rules(user=registry_admin, place=bus, rules=[MON_FRI])
    response = client.get("/lieux/bus-numerique/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "data-place-static-map" not in body and "geo:" not in body
    assert "<h1>Bus numérique</h1>" in body


def test_profile_lists_show_translated_labels(client, registry):
    MediationProfile.objects.create(
        place=registry["france_services"],
        service_levels=["information", "partial", "full"],
        mediator_kinds=["multi_domain"],
    )
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "[&#x27;" not in body and "['" not in body
    assert "Information and forms, Part of the file processed, Full service" in body
    assert "Multi-domain mediator" in body


def test_offer_names_say_the_provider_once(client, registry):
    offer = registry["france_services"].offers.get(kind__slug="caf")
    offer.provider = Provider.objects.get(slug="caf")
    offer.save()
    body = client.get("/lieux/?need=caf").content.decode()
    assert "France Services Guillotière" in body
    assert "(CAF) (Caisse" not in body
    assert "Prestations familiales et sociales — Caisse d&#x27;allocations familiales (CAF)" in body


@pytest.mark.parametrize(
    ("kind", "provider", "label"),
    [
        (
            "Prestations familiales et sociales (CAF)",
            "Caisse d'allocations familiales (CAF)",
            "Prestations familiales et sociales — Caisse d'allocations familiales (CAF)",
        ),
        ("Accompagnement France Travail", "France Travail", "Accompagnement France Travail"),
        ("Impression et numérisation", "La Poste", "Impression et numérisation — La Poste"),
        # An abbreviation found only inside another word is not the provider's.
        ("Titres (ANTS)", "Association des enfants", "Titres (ANTS) — Association des enfants"),
    ],
)
def test_offer_label(kind, provider, label):
    assert offer_label(kind, provider) == label
