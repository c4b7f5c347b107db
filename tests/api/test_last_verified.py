"""The API exposes when a place's information was last confirmed (`last_verified`), in
the documents and in the OpenAPI schema, and a check reaches synchronising partners."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from places import freshness
from places.models import Place
from tests.factories import PlaceFactory


@pytest.fixture(autouse=True)
def _fresh_throttle(settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}
    yield
    cache.clear()


def test_last_verified_is_null_then_the_instant_of_the_check(organisation, place_manager):
    place = PlaceFactory(organisation=organisation)
    api = Client()
    assert api.get(f"/api/v1/places/{place.public_id}/").json()["last_verified"] is None
    freshness.place_verify(place=place, user=place_manager, method="phone")
    place.refresh_from_db()
    data = api.get(f"/api/v1/places/{place.public_id}/").json()
    assert datetime.datetime.fromisoformat(data["last_verified"]) == place.verified_at
    listed = api.get("/api/v1/places/").json()["results"]
    assert [p["last_verified"] for p in listed] == [data["last_verified"]]


def test_a_check_moves_updated_at_for_synchronising_partners(organisation):
    place = PlaceFactory(organisation=organisation)
    earlier = timezone.now() - datetime.timedelta(days=3)
    Place.objects.filter(pk=place.pk).update(updated_at=earlier)
    since = (earlier + datetime.timedelta(seconds=1)).isoformat()
    api = Client()
    assert api.get("/api/v1/places/", {"updated_since": since}).json()["results"] == []
    freshness.place_verify(place=place, user=None, method="visit")
    (found,) = api.get("/api/v1/places/", {"updated_since": since}).json()["results"]
    assert found["last_verified"] is not None


def test_the_schema_documents_last_verified(db):
    schema = Client().get("/api/v1/schema/?format=json").json()
    field = schema["components"]["schemas"]["Place"]["properties"]["last_verified"]
    assert field["format"] == "date-time"
    assert field["nullable"] is True
