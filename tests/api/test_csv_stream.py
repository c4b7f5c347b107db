"""The places' and the offers' CSV: the whole result, in keyset batches, each row once."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from places.models import Place
from services.models import ServiceOffer
from tests.factories import PlaceFactory, ServiceOfferFactory


@pytest.fixture(autouse=True)
def _small_batches(settings, monkeypatch):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}
    from api.views import places  # noqa: F401 - loads api.pagination in its import order

    monkeypatch.setattr("api.pagination.STREAM_BATCH", 2)
    yield
    cache.clear()


def _rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def places(organisation):
    """Seven places changed at the same instant: batches must break the tie by id."""
    made = [
        PlaceFactory(organisation=organisation, status=Place.Status.PUBLISHED, slug=f"lieu-{n}")
        for n in range(7)
    ]
    Place.objects.filter(pk__in=[p.pk for p in made]).update(updated_at=timezone.now())
    return made


@pytest.mark.django_db
def test_the_places_csv_has_every_row_once_across_batches(places):
    rows = _rows(Client().get("/api/v1/places/?format=csv"))
    assert [r["slug"] for r in rows] == [p.slug for p in places]


@pytest.mark.django_db
def test_the_places_csv_near_a_point_streams_by_distance(places):
    rows = _rows(Client().get("/api/v1/places/?format=csv&near=45.76,4.85"))
    assert sorted(r["slug"] for r in rows) == sorted(p.slug for p in places)
    distances = [float(r["distance_km"]) for r in rows]
    assert distances == sorted(distances)


@pytest.mark.django_db
def test_the_offers_csv_has_every_row_once_across_batches(places):
    offers = [ServiceOfferFactory(place=place) for place in places[:5]]
    ServiceOffer.objects.update(updated_at=timezone.now())
    rows = _rows(Client().get("/api/v1/offers/?format=csv"))
    assert [int(r["id"]) for r in rows] == sorted(o.pk for o in offers)
