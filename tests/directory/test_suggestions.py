"""Residents' public suggestion forms: no account, honeypot, per-address limit."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from config.env import EnvError
from config.settings import _cache, _header
from places.models import Place, Suggestion
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_and_fresh_cache(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def place(organisation):
    return PlaceFactory(
        organisation=organisation,
        name="Médiathèque Jean Macé",
        slug="mediatheque-jean-mace",
        phone="04 00 00 00 00",
    )


def _correction_data(place, **overrides) -> dict:
    data = {
        "name": place.name,
        "short_description": "",
        "address": "",
        "postcode": place.postcode,
        "commune": place.commune,
        "phone": "04 78 00 00 00",
        "email": "",
        "website": "",
        "wheelchair": "",
        "accessibility_notes": "",
        "message": "New number since May.",
        "reply_email": "resident@example.org",
        "homepage": "",
    }
    data.update(overrides)
    return data


def test_form_is_prefilled_and_accessible(client, place):
    url = reverse("directory:suggest_correction", args=[place.slug])
    assert url == "/lieux/mediatheque-jean-mace/signaler/"
    html = client.get(url).content.decode()
    assert 'value="04 00 00 00 00"' in html
    assert 'for="id_reply_email"' in html and 'aria-describedby="id_reply_email_helptext"' in html
    assert 'name="homepage"' in html and 'tabindex="-1"' in html


def test_correction_is_stored_for_review(client, place):
    url = reverse("directory:suggest_correction", args=[place.slug])
    response = client.post(url, _correction_data(place), REMOTE_ADDR="198.51.100.4", follow=True)
    assert "Thank you" in response.content.decode()
    assert 'role="status"' in response.content.decode()
    suggestion = Suggestion.objects.get()
    assert suggestion.kind == Suggestion.Kind.CORRECTION and suggestion.place == place
    assert suggestion.data == {"phone": "04 78 00 00 00"}
    assert suggestion.email == "resident@example.org"
    assert suggestion.message == "New number since May."
    assert "198.51.100.4" not in suggestion.submitter_hash
    place.refresh_from_db()
    assert place.phone == "04 00 00 00 00"  # nothing changes before staff accept


def test_errors_are_linked_to_their_fields(client, place):
    url = reverse("directory:suggest_correction", args=[place.slug])
    response = client.post(url, _correction_data(place, postcode="690", reply_email="nope"))
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("id_postcode", "id_reply_email"):
        assert f'id="{field}_errors"' in html
    assert 'aria-describedby="id_postcode_errors"' in html
    assert not Suggestion.objects.exists()


def test_a_correction_that_says_nothing_is_refused(client, place):
    url = reverse("directory:suggest_correction", args=[place.slug])
    data = _correction_data(place, phone=place.phone, message="")
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Change at least one value" in response.content.decode()


def test_honeypot_pretends_and_stores_nothing(client, place):
    url = reverse("directory:suggest_correction", args=[place.slug])
    response = client.post(url, _correction_data(place, homepage="http://spam.example"))
    assert response.status_code == 302
    assert not Suggestion.objects.exists()


def test_rate_limit_per_address(client, place, settings):
    settings.SUGGESTION_RATE_LIMIT = (2, 3600)
    url = reverse("directory:suggest_correction", args=[place.slug])
    for phone in ("01 00 00 00 01", "01 00 00 00 02"):
        response = client.post(url, _correction_data(place, phone=phone), REMOTE_ADDR="10.0.0.1")
        assert response.status_code == 302
    response = client.post(url, _correction_data(place), REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429
    assert "Too many suggestions" in response.content.decode()
    # Another address is not affected.
    response = client.post(url, _correction_data(place), REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 302
    assert Suggestion.objects.count() == 3


def test_rate_limit_reads_the_proxy_header_when_configured(client, place, settings):
    settings.SUGGESTION_RATE_LIMIT = (1, 3600)
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    url = reverse("directory:suggest_correction", args=[place.slug])
    for n, ip in enumerate(["192.0.2.1", "192.0.2.2"]):
        response = client.post(
            url,
            _correction_data(place, phone=f"01 00 00 00 0{n}"),
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_REAL_IP=ip,
        )
        assert response.status_code == 302


def test_unpublished_places_cannot_be_reported(client, organisation):
    draft = PlaceFactory(organisation=organisation, status=Place.Status.DRAFT)
    url = reverse("directory:suggest_correction", args=[draft.slug])
    assert client.get(url).status_code == 404


def test_old_slug_redirects(client, place, registry_admin):
    from places import actions

    actions.place_update(
        place=place, user=registry_admin, expected_version=None, data={"slug": "mediatheque-jm"}
    )
    response = client.get("/lieux/mediatheque-jean-mace/signaler/")
    assert response.status_code == 301
    assert response["Location"] == "/lieux/mediatheque-jm/signaler/"


def test_propose_a_place(client):
    url = reverse("directory:suggest_place")
    assert url == "/proposer-un-lieu/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "", "message": "x"})
    assert response.status_code == 400
    response = client.post(
        url,
        {
            "name": "Jardin partagé des Capucins",
            "commune": "Lyon",
            "typologies": ["jardin_partage"],
            "message": "Open on Saturdays.",
            "reply_email": "",
        },
    )
    assert response.status_code == 302
    suggestion = Suggestion.objects.get()
    assert suggestion.kind == Suggestion.Kind.NEW_PLACE and suggestion.place is None
    assert suggestion.data["name"] == "Jardin partagé des Capucins"
    assert suggestion.data["typologies"] == ["jardin_partage"]


@pytest.mark.parametrize(
    ("raw", "backend"),
    [
        ("", "locmem.LocMemCache"),
        ("file:///var/tmp/lp-cache", "filebased.FileBasedCache"),
        ("db://lieux_cache", "db.DatabaseCache"),
    ],
)
def test_cache_url(raw, backend):
    assert _cache("CACHE_URL", raw)["default"]["BACKEND"].endswith(backend)


@pytest.mark.parametrize("raw", ["memcached://localhost", "file://relative", "db://bad-name"])
def test_cache_url_refuses_what_it_cannot_serve(raw):
    with pytest.raises(EnvError, match="CACHE_URL"):
        _cache("CACHE_URL", raw)


def test_client_ip_header_is_checked():
    assert _header("CLIENT_IP_HEADER", "HTTP_X_REAL_IP") == "HTTP_X_REAL_IP"
    with pytest.raises(EnvError, match="CLIENT_IP_HEADER"):
        _header("CLIENT_IP_HEADER", "X-Real-IP")
