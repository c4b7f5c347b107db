"""GET /api/v1/exports/<format>/ in the API's one view style: ETag, throttling, JSON errors."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from places.actions import place_update
from places.models import Network, Place
from tests.factories import PlaceFactory

URL = "/api/v1/exports/lmn-json/"


@pytest.fixture(autouse=True)
def _limits(settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}
    yield
    cache.clear()


@pytest.fixture
def place(organisation):
    return PlaceFactory(organisation=organisation, status=Place.Status.PUBLISHED, name="EPN Sud")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_an_export_answers_304_to_its_etag(place):
    client = Client()
    first = client.get(URL)
    assert first.status_code == 200 and b"EPN Sud" in _body(first)
    etag = first["ETag"]
    assert etag.startswith('W/"lmn-json-')
    again = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    # Another format of the same data has another ETag.
    assert client.get("/api/v1/exports/geojson/")["ETag"] != etag


@pytest.mark.django_db
def test_an_export_etag_changes_when_a_place_changes(place):
    client = Client()
    etag = client.get(URL)["ETag"]
    place_update(place=place, user=None, expected_version=place.version, data={"name": "EPN Nord"})
    changed = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert b"EPN Nord" in _body(changed)
    assert changed["ETag"] != etag


@pytest.mark.django_db
def test_an_export_etag_changes_when_a_network_is_renamed(place):
    """Networks carry no date of change: the small tables count by their content."""
    network = Network.objects.create(slug="cantines", name="Cantines")
    client = Client()
    etag = client.get(URL)["ETag"]
    Network.objects.filter(pk=network.pk).update(name="Cantines numériques")
    assert client.get(URL, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.django_db
def test_exports_are_rate_limited_like_every_endpoint(place, settings):
    settings.API_RATE_LIMITS = {"anonymous": "2/min", "partner": "5000/min"}
    client = Client()
    assert client.get(URL).status_code == 200
    assert client.get(URL).status_code == 200
    refused = client.get(URL)
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/json")
    assert refused.json()["error"]["code"] == "rate_limited"
    assert "Retry-After" in refused


@pytest.mark.django_db
def test_an_export_refuses_unknown_parameters_and_ignores_accept(place):
    client = Client()
    refused = client.get(URL, {"since": "2020-01-01"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "unknown_parameter"
    csv = client.get("/api/v1/exports/lmn-csv/", HTTP_ACCEPT="application/json")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
