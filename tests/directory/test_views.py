"""Public pages: the same for anonymous visitors and every standing user; drafts hidden."""

from __future__ import annotations

import json
import re

import pytest
from django.test import override_settings

from places.models import PlaceSlugAlias
from scheduling import actions as scheduling_actions
from scheduling.models import Schedule
from tests.test_csp import frame_ancestors

CLIENTS = ["client", "admin_client_", "manager_client", "viewer_client", "outsider_client"]


def _get(request, fixture, url, **extra):
    return request.getfixturevalue(fixture).get(url, **extra)


@pytest.mark.parametrize("fixture", CLIENTS)
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/lieux/",
        "/lieux/mediatheque-jean-mace/",
        "/reseaux/france-services/",
        "/communes/69123/",
        "/embed/",
        "/integrer/",
    ],
)
def test_public_pages_are_the_same_for_everyone(request, registry, fixture, url):
    response = _get(request, fixture, url)
    assert response.status_code == 200
    body = response.content.decode()
    if url != "/":
        assert "Médiathèque Jean Macé" in body or "France Services" in body
    assert "Médiathèque brouillon" not in body
    assert "Médiathèque archivée" not in body


@pytest.mark.parametrize("fixture", CLIENTS)
@pytest.mark.parametrize("slug", ["brouillon", "archivee", "nowhere"])
def test_drafts_archived_and_unknown_places_are_404(request, registry, fixture, slug):
    assert _get(request, fixture, f"/lieux/{slug}/").status_code == 404
    assert _get(request, fixture, f"/lieux/{slug}/agenda.ics").status_code == 404


def test_unknown_network_and_commune_are_404(client, registry):
    assert client.get("/reseaux/nope/").status_code == 404
    assert client.get("/communes/99999/").status_code == 404


def test_old_slug_redirects_permanently(client, registry):
    PlaceSlugAlias.objects.create(place=registry["mediatheque"], slug="bibliotheque-jean-mace")
    response = client.get("/lieux/bibliotheque-jean-mace/")
    assert response.status_code == 301
    assert response["Location"] == "/lieux/mediatheque-jean-mace/"


def test_old_slug_of_a_draft_is_404(client, registry):
    PlaceSlugAlias.objects.create(place=registry["draft"], slug="ancien-brouillon")
    assert client.get("/lieux/ancien-brouillon/").status_code == 404


def test_french_by_default_english_on_request(client, registry):
    french = client.get("/lieux/mediatheque-jean-mace/")
    assert '<html lang="fr">' in french.content.decode()
    english = client.get("/lieux/mediatheque-jean-mace/", HTTP_ACCEPT_LANGUAGE="en")
    body = english.content.decode()
    assert '<html lang="en">' in body
    assert "Opening hours" in body
    assert "Open now until 12 h" in body


def test_place_page_content(client, registry):
    body = client.get("/lieux/mediatheque-jean-mace/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 rue Domer" in body
    assert 'href="geo:45.760000,4.850000"' in body
    assert "openstreetmap.org/directions?to=45.760000%2C4.850000" in body
    assert "Printing and scanning" in body and "Computer and Internet access" in body
    assert "/lieux/mediatheque-jean-mace/agenda.ics" in body
    # The network section links to the network's other place.
    assert 'href="/lieux/france-services-guillotiere/"' in body
    assert 'rel="canonical" href="http://testserver/lieux/mediatheque-jean-mace/"' in body
    assert "9 h – 12 h" in body  # the weekly timetable


def test_place_page_shows_closures(client, registry, registry_admin):
    import datetime

    schedule = Schedule.objects.get(place=registry["mediatheque"])
    scheduling_actions.exception_add(
        user=registry_admin,
        schedule=schedule,
        kind="closure",
        start_date=datetime.date(2026, 3, 10),
        title="Inventaire",
    )
    body = client.get("/lieux/mediatheque-jean-mace/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Closed now: Inventaire — opens tomorrow at 9 h" in body
    ld = _jsonld(body)
    special = ld["specialOpeningHoursSpecification"]
    assert special == [
        {
            "@type": "OpeningHoursSpecification",
            "validFrom": "2026-03-10",
            "validThrough": "2026-03-10",
            "opens": "00:00",
            "closes": "00:00",
            "description": "Inventaire",
        }
    ]


def _jsonld(body: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert match, "no JSON-LD script"
    return json.loads(match.group(1))


def test_jsonld(client, registry):
    body = client.get("/lieux/mediatheque-jean-mace/").content.decode()
    ld = _jsonld(body)
    assert ld["@context"] == "https://schema.org"
    assert ld["@type"] == ["Place", "CivicStructure"]
    assert ld["name"] == "Médiathèque Jean Macé"
    assert ld["url"] == "http://testserver/lieux/mediatheque-jean-mace/"
    assert ld["address"]["postalCode"] == "69003"
    assert ld["geo"] == {"@type": "GeoCoordinates", "latitude": 45.76, "longitude": 4.85}
    weekdays = [
        f"https://schema.org/{d}" for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
    ]
    assert ld["openingHoursSpecification"] == [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": weekdays,
            "opens": "09:00",
            "closes": "12:00",
        },
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": weekdays,
            "opens": "14:00",
            "closes": "17:00",
        },
    ]
    assert {o["itemOffered"]["name"] for o in ld["makesOffer"]} == {
        "Impression et numérisation",
        "Accès à un ordinateur et à Internet",
    }


def test_ics_download(client, registry):
    response = client.get("/lieux/mediatheque-jean-mace/agenda.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert 'filename="mediatheque-jean-mace.ics"' in response["Content-Disposition"]
    assert response.content.startswith(b"BEGIN:VCALENDAR")
    assert b"RRULE:FREQ=WEEKLY" in response.content


def test_offer_ics_download(client, registry, registry_admin):
    offer = registry["france_services"].offers.get()
    scheduling_actions.schedule_set_rules(
        user=registry_admin,
        offer=offer,
        rules=[{"kind": "weekly", "days": [1], "times": ["14:00-16:00"]}],
    )
    page = client.get(
        "/lieux/france-services-guillotiere/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f"/lieux/france-services-guillotiere/services/{offer.pk}/agenda.ics" in page
    assert "14 h – 16 h" in page
    response = client.get(f"/lieux/france-services-guillotiere/services/{offer.pk}/agenda.ics")
    assert response.status_code == 200 and b"BYDAY=TU" in response.content
    # An offer of another place is not reachable through this place's address.
    assert (
        client.get(f"/lieux/mediatheque-jean-mace/services/{offer.pk}/agenda.ics").status_code
        == 404
    )


def test_network_and_commune_pages_list_published_places(client, registry):
    body = client.get("/reseaux/france-services/").content.decode()
    assert "Médiathèque Jean Macé" in body and "France Services Guillotière" in body
    assert "Repair Café" not in body
    body = client.get("/communes/69264/").content.decode()
    assert "Coworking de Villefranche" in body and "Médiathèque Jean Macé" not in body


def test_embed_may_be_framed_other_pages_not(client, registry):
    embed = client.get("/embed/?network=france-services")
    assert frame_ancestors(embed) == "*"
    assert "X-Frame-Options" not in embed
    for url in ("/", "/lieux/", "/lieux/mediatheque-jean-mace/", "/integrer/"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY"
        assert frame_ancestors(response) == "'none'"


@override_settings(EMBED_FRAME_ANCESTORS="https://www.mairie.example.fr 'self'")
def test_embed_frame_ancestors_follow_the_setting(client, registry):
    response = client.get("/embed/")
    assert frame_ancestors(response) == "https://www.mairie.example.fr 'self'"


def test_embed_is_filtered_and_links_open_outside_the_frame(client, registry):
    body = client.get("/embed/?network=france-services&need=caf").content.decode()
    assert "France Services Guillotière" in body
    assert "Médiathèque Jean Macé" not in body
    assert 'target="_blank"' in body


def test_embed_builder_makes_a_snippet_from_the_filters(client, registry):
    body = client.get("/integrer/?network=france-services&commune=69123").content.decode()
    assert (
        "&lt;iframe src=&quot;http://testserver/embed/?network=france-services&amp;amp;commune=69123"
        in body
    )
    assert "title=" in body


def test_report_link_block_is_present(client, registry):
    body = client.get("/lieux/mediatheque-jean-mace/").content.decode()
    assert "/lieux/mediatheque-jean-mace/signaler/" in body
