"""The API's place document, built in one pass (PlaceSerializer.to_representation), is the
very document DRF builds from the declared fields: same keys in the same order, same
values, for every kind of place the demo registry holds (overseas clocks, OSM and rule
hours, no hours, profiles, networks, offers, archived, no position)."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from api.serializers import PlaceSerializer
from api.views.places import _place_queryset
from places.models import Place
from scheduling.demo import load_demo
from scheduling.status import statuses_for
from services.selectors import live_offer_summaries

pytestmark = pytest.mark.django_db


def test_the_document_is_the_one_the_declared_fields_give():
    load_demo(places=80, fast=True)
    places = list(_place_queryset().order_by("pk"))
    Place.objects.filter(pk=places[0].pk).update(latitude=None, longitude=None)
    places[0].latitude = places[0].longitude = None
    for n, place in enumerate(places):
        if n % 2:
            place.distance_km = n * 0.123456  # as the `near` filter annotates
    request = APIRequestFactory().get("/api/v1/places/")
    context = {
        "request": request,
        "statuses": statuses_for(places, timezone.now()),
        "offers": live_offer_summaries(p.pk for p in places),
    }
    serializer = PlaceSerializer(context=context)
    # The offers read at once for the list are those each place reads on its own.
    alone = PlaceSerializer(context={"request": request})
    kinds = set()
    for place in places:
        fast = serializer.to_representation(place)
        declared = serializers.ModelSerializer.to_representation(serializer, place)
        assert list(fast) == list(declared)
        assert fast["offers"] == alone.get_offers(place)
        assert json.dumps(fast) == json.dumps(declared), place.name
        kinds.add((fast["opening_status"], fast["opening_hours"] is None, bool(fast["profiles"])))
    # The comparison covered places of each sort, not one sort many times.
    assert len(places) >= 80 and len(kinds) >= 4, kinds
