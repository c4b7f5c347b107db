"""The API and the exports carry each place's own time zone."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.cache import cache
from django.test import Client

from api.exports import export
from scheduling.actions import schedule_set_rules
from scheduling.models import CalendarWindow
from tests.factories import PlaceFactory

UTC = datetime.UTC
MORNINGS = [{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["08:00-12:00"]}]


@pytest.fixture(autouse=True)
def _fresh_throttle(settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}
    yield
    cache.clear()


@pytest.fixture
def window(db):
    return CalendarWindow.objects.create(
        pk=1,
        start=datetime.date(2026, 3, 1),
        end=datetime.date(2027, 1, 1),
        build_end=datetime.date(2027, 1, 1),
    )


@pytest.fixture
def places(window, organisation):
    reunion = PlaceFactory(
        organisation=organisation, name="Saint-Denis", insee_code="97411", postcode="97400"
    )
    lyon = PlaceFactory(organisation=organisation, name="Lyon")
    for place in (reunion, lyon):
        schedule_set_rules(user=None, place=place, rules=MORNINGS)
    return {"reunion": reunion, "lyon": lyon}


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(p["name"] for p in response.json()["results"])


@pytest.mark.django_db
def test_open_at_follows_each_place_clock(places):
    api = Client()
    # Tuesday 7 July 2026, 05:30 UTC: 09:30 in Saint-Denis, 07:30 in Lyon.
    early = datetime.datetime(2026, 7, 7, 5, 30, tzinfo=UTC).isoformat()
    assert _names(api.get("/api/v1/places/", {"open_at": early})) == ["Saint-Denis"]
    # 09:30 UTC: 13:30 in Saint-Denis (closed), 11:30 in Lyon.
    late = datetime.datetime(2026, 7, 7, 9, 30, tzinfo=UTC).isoformat()
    assert _names(api.get("/api/v1/places/", {"open_at": late})) == ["Lyon"]


@pytest.mark.django_db
def test_place_json_has_its_timezone_and_local_offsets(places):
    api = Client()
    body = api.get(f"/api/v1/places/{places['reunion'].public_id}/").json()
    assert body["timezone"] == "Indian/Reunion"
    listed = {p["name"]: p for p in api.get("/api/v1/places/").json()["results"]}
    assert listed["Lyon"]["timezone"] == "Europe/Paris"
    calendar = api.get(
        f"/api/v1/places/{places['reunion'].public_id}/calendar/",
        {"from": "2026-07-07T00:00:00Z", "to": "2026-07-08T00:00:00Z"},
    ).json()
    assert calendar["timezone"] == "Indian/Reunion"
    assert calendar["intervals"][0]["start"] == "2026-07-07T08:00:00+04:00"


@pytest.mark.django_db
def test_staff_zone_is_writable_through_the_api_actions(places):
    from places.actions import place_update

    lyon = places["lyon"]
    place_update(
        place=lyon, user=None, expected_version=None, data={"time_zone": "America/Cayenne"}
    )
    body = Client().get(f"/api/v1/places/{lyon.public_id}/").json()
    assert body["timezone"] == "America/Cayenne"


@pytest.mark.django_db
def test_schema_documents_the_timezone_field():
    schema = Client().get("/api/v1/schema/?format=json").json()
    place = schema["components"]["schemas"]["Place"]["properties"]
    assert place["timezone"]["type"] == "string"
    assert place["timezone"]["example"] == "Indian/Reunion"


@pytest.mark.django_db
def test_hsds_schedules_carry_the_place_zone(places):
    doc = json.loads("".join(export("hsds")))
    rows = {row["location_id"]: row for row in doc["schedules"] if row.get("location_id")}
    reunion, lyon = rows[str(places["reunion"].public_id)], rows[str(places["lyon"].public_id)]
    # HSDS 3.0 `timezone` is a UTC offset (the standard one); `notes` names the zone.
    assert (reunion["timezone"], lyon["timezone"]) == (4, 1)
    assert reunion["notes"].endswith("Times are local times in Indian/Reunion.")
    assert lyon["notes"].endswith("Times are local times in Europe/Paris.")


@pytest.mark.django_db
def test_a_time_without_offset_is_read_on_the_clock_at_near(places, organisation):
    from decimal import Decimal

    reunion = places["reunion"]
    reunion.latitude, reunion.longitude = Decimal("-20.882"), Decimal("55.450")
    reunion.save(update_fields=["latitude", "longitude"])
    api = Client()
    near_saint_denis = {"near": "-20.88,55.45", "radius_km": "20"}
    # 11:00 in Saint-Denis (07:00 UTC): open; 07:30 there: not yet. (Read on Paris's
    # clock, 11:00 would be 13:00 in Saint-Denis and 07:30 would be 09:30.)
    found = api.get("/api/v1/places/", {**near_saint_denis, "open_at": "2026-07-07T11:00:00"})
    assert _names(found) == ["Saint-Denis"]
    closed = api.get("/api/v1/places/", {**near_saint_denis, "open_at": "2026-07-07T07:30:00"})
    assert _names(closed) == []
    # An explicit offset is an instant, wherever it is asked from.
    utc = api.get("/api/v1/places/", {**near_saint_denis, "open_at": "2026-07-07T09:30:00Z"})
    assert _names(utc) == []
    # Without `near`, the registry's own clock (Paris): 09:30 there is 11:30 in Saint-Denis.
    assert _names(api.get("/api/v1/places/", {"open_at": "2026-07-07T09:30:00"})) == sorted(
        ["Lyon", "Saint-Denis"]
    )
