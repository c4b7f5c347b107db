"""The partner API: places, offers, catalogue, formats, pagination, errors, writes."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.actions import agreement_create, token_create
from places.models import ChangeRecord, Place
from scheduling.actions import schedule_set_rules
from services.models import ServiceOffer
from tests.factories import NetworkFactory, PlaceFactory, ProviderFactory, ServiceOfferFactory

WEEKDAYS = [{"kind": "weekly", "days": [0, 1, 2, 3, 4, 5, 6], "times": ["00:00-24:00"]}]
MORNINGS = [{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00"]}]


@pytest.fixture(autouse=True)
def _fresh_throttle(settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}
    yield
    cache.clear()


@pytest.fixture
def api():
    return Client()


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def provider(db):
    return ProviderFactory(slug="caf-rhone", name="CAF du Rhône")


@pytest.fixture
def tokens(organisation, provider, registry_admin):
    out = {}
    for name, scopes, prov in (
        ("read", ["read"], None),
        ("places", ["read", "write:places"], None),
        ("offers", ["read", "write:offers"], provider),
    ):
        token, raw = token_create(
            user=registry_admin, organisation=organisation, name=name, scopes=scopes, provider=prov
        )
        out[name] = (token, raw)
    return out


@pytest.fixture
def open_place(organisation):
    place = PlaceFactory(organisation=organisation, name="Cantine numérique", slug="cantine")
    schedule_set_rules(user=None, place=place, rules=WEEKDAYS, public_holidays="open")
    return place


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# ----------------------------------------------------------------------- reading


@pytest.mark.django_db
def test_place_list_fields_and_public_only(api, organisation, open_place):
    PlaceFactory(organisation=organisation, status=Place.Status.DRAFT, name="Brouillon")
    data = results(api.get("/api/v1/places/"))
    assert [p["name"] for p in data] == ["Cantine numérique"]
    item = data[0]
    for field in (
        "id", "slug", "name", "typologies", "profiles", "address", "postcode", "commune",
        "insee_code", "latitude", "longitude", "networks", "opening_hours", "open_now",
        "next_opening", "url", "updated_at",
    ):  # fmt: skip
        assert field in item
    assert item["id"] == str(open_place.public_id)
    assert item["url"].endswith("/lieux/cantine/")
    assert item["opening_hours"] == "24/7"
    assert item["open_now"] is True
    assert item["latitude"] == 45.76
    assert "+" in item["updated_at"] or item["updated_at"].endswith("Z")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "admin", "manager", "outsider", "read", "places"])
def test_reading_is_the_same_for_everyone(who, request, open_place, tokens):
    client = Client()
    headers = {}
    if who in ("admin", "manager", "outsider"):
        user = request.getfixturevalue(
            {"admin": "registry_admin", "manager": "place_manager", "outsider": "outsider"}[who]
        )
        client.force_login(user)
    elif who in tokens:
        headers = bearer(tokens[who][1])
    response = client.get("/api/v1/places/", **headers)
    assert [p["id"] for p in results(response)] == [str(open_place.public_id)]
    detail = client.get(f"/api/v1/places/{open_place.public_id}/", **headers)
    assert detail.status_code == 200


@pytest.mark.django_db
def test_filters_combine_or_within_and_across(api, organisation):
    lyon = NetworkFactory(slug="france-services")
    a = PlaceFactory(organisation=organisation, name="A", typologies=["epn"], networks=[lyon])
    b = PlaceFactory(organisation=organisation, name="B", typologies=["fablab"])
    PlaceFactory(organisation=organisation, name="C", typologies=["coworking"])
    names = lambda r: sorted(p["name"] for p in results(r))  # noqa: E731
    assert names(api.get("/api/v1/places/?typology=epn,fablab")) == ["A", "B"]
    assert names(api.get("/api/v1/places/?typology=epn,fablab&network=france-services")) == ["A"]
    assert names(api.get("/api/v1/places/?q=b")) == ["B"]
    assert names(api.get("/api/v1/places/?insee_code=69123,75056")) == ["A", "B", "C"]
    ServiceOfferFactory(place=b, provider=ProviderFactory(slug="poste"))
    assert names(api.get("/api/v1/places/?service_kind=caf")) == ["B"]
    assert names(api.get("/api/v1/places/?provider=poste")) == ["B"]
    assert a  # used


@pytest.mark.django_db
def test_near_radius_distance_and_bbox(api, organisation):
    from decimal import Decimal

    PlaceFactory(
        organisation=organisation,
        name="Près",
        latitude=Decimal("45.7600"),
        longitude=Decimal("4.8500"),
    )
    PlaceFactory(
        organisation=organisation,
        name="À 3 km",
        latitude=Decimal("45.7870"),
        longitude=Decimal("4.8500"),
    )
    PlaceFactory(
        organisation=organisation,
        name="Paris",
        latitude=Decimal("48.8566"),
        longitude=Decimal("2.3522"),
    )
    data = results(api.get("/api/v1/places/?near=45.76,4.85"))
    assert [p["name"] for p in data] == ["Près", "À 3 km"]
    assert data[0]["distance_km"] == 0
    assert 2.9 < data[1]["distance_km"] < 3.1
    assert len(results(api.get("/api/v1/places/?near=45.76,4.85&radius_km=1"))) == 1
    assert len(results(api.get("/api/v1/places/?near=45.76,4.85&radius_km=100"))) == 2
    data = results(api.get("/api/v1/places/?bbox=2,48,3,49"))
    assert [p["name"] for p in data] == ["Paris"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, field",
    [
        ("near=91,4", "near"),
        ("near=45", "near"),
        ("near=45,4&radius_km=101", "radius_km"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=5,40,4,41", "bbox"),
        ("open_at=yesterday", "open_at"),
        ("profile=cooking", "profile"),
        ("typology=castle", "typology"),
        ("updated_since=nope", "updated_since"),
        ("page_size=501", "page_size"),
        ("cursor=garbage", "cursor"),
        ("open_now=maybe", "open_now"),
    ],
)
def test_bad_parameters_are_400_with_the_field(api, query, field):
    response = api.get(f"/api/v1/places/?{query}")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] in ("invalid_parameter", "invalid_cursor")
    assert field in error["fields"]


@pytest.mark.django_db
def test_open_at_outside_the_window_is_refused_naming_it(api, open_place):
    far = (timezone.now() + datetime.timedelta(days=400)).isoformat()
    response = api.get("/api/v1/places/", {"open_at": far})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "outside_calendar_window"
    assert "calendar covers" in error["message"] or "covers" in error["message"]
    inside = (timezone.now() + datetime.timedelta(days=2)).isoformat()
    assert len(results(api.get("/api/v1/places/", {"open_at": inside}))) == 1
    assert len(results(api.get("/api/v1/places/?open_now=true"))) == 1


@pytest.mark.django_db
def test_open_now_excludes_closed_places(api, organisation, open_place):
    PlaceFactory(organisation=organisation, name="Sans horaires")
    names = [p["name"] for p in results(api.get("/api/v1/places/?open_now=true"))]
    assert names == ["Cantine numérique"]
    listed = {p["name"]: p for p in results(api.get("/api/v1/places/"))}
    assert listed["Sans horaires"]["open_now"] is None  # hours not known: neither yes nor no
    assert listed["Sans horaires"]["opening_status"] == "unknown"


@pytest.mark.django_db
def test_cursor_sync_is_complete_and_duplicate_free_while_editing(api, organisation, tokens):
    places = [PlaceFactory(organisation=organisation, name=f"P{i:02}") for i in range(25)]
    since = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    seen: list[str] = []
    url = f"/api/v1/places/?page_size=10&updated_since={since}"
    page = 0
    while url:
        body = api.get(url).json()
        seen.extend(p["id"] for p in body["results"])
        if page == 0:
            # An edit during the sync: an already-seen place moves to the end.
            Place.objects.filter(pk=places[0].pk).update(updated_at=timezone.now())
        url = body["next"]
        page += 1
    assert set(seen) == {str(p.public_id) for p in places}
    # The edited record is seen again, later; nothing else twice.
    assert seen.count(str(places[0].public_id)) == 2
    assert len(seen) == 26


@pytest.mark.django_db
def test_previous_link_walks_back(api, organisation):
    for i in range(5):
        PlaceFactory(organisation=organisation, name=f"P{i}")
    first = api.get("/api/v1/places/?page_size=2").json()
    second = api.get(first["next"]).json()
    back = api.get(second["previous"]).json()
    assert [p["id"] for p in back["results"]] == [p["id"] for p in first["results"]]


@pytest.mark.django_db
def test_updated_since_includes_archived_places(api, organisation):
    place = PlaceFactory(organisation=organisation, name="Fermé pour de bon")
    from places.actions import place_archive

    place_archive(place=place, user=None)
    assert results(api.get("/api/v1/places/")) == []
    since = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
    data = results(api.get("/api/v1/places/", {"updated_since": since}))
    assert [(p["name"], p["status"]) for p in data] == [("Fermé pour de bon", "archived")]


@pytest.mark.django_db
def test_list_costs_a_constant_number_of_queries(api, organisation):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/places/?page_size=100").status_code == 200
        return len(ctx)

    for i in range(3):
        p = PlaceFactory(organisation=organisation, name=f"A{i}")
        ServiceOfferFactory(place=p)
    count()  # the first request creates the calendar window row
    few = count()
    for i in range(30):
        p = PlaceFactory(organisation=organisation, name=f"B{i}", networks=[NetworkFactory()])
        ServiceOfferFactory(place=p)
        ServiceOfferFactory(
            place=p, kind=ServiceOffer.objects.first().kind, provider=ProviderFactory()
        )
    assert count() == few
    with CaptureQueriesContext(connection) as ctx:
        assert api.get("/api/v1/offers/?page_size=100").status_code == 200
    assert len(ctx) <= 3


@pytest.mark.django_db
def test_geojson_csv_and_etag(api, open_place):
    geo = api.get("/api/v1/places/?format=geojson")
    assert geo["Content-Type"].startswith("application/geo+json")
    body = geo.json()
    assert body["type"] == "FeatureCollection"
    assert body["features"][0]["geometry"] == {"type": "Point", "coordinates": [4.85, 45.76]}
    by_accept = api.get("/api/v1/places/", HTTP_ACCEPT="application/geo+json")
    assert by_accept.json()["type"] == "FeatureCollection"
    csv_response = api.get("/api/v1/places/?format=csv")
    assert csv_response.streaming
    text = b"".join(csv_response.streaming_content).decode()
    assert text.splitlines()[0].startswith("id,slug,name")
    assert "Cantine numérique" in text
    detail = api.get(f"/api/v1/places/{open_place.public_id}/")
    etag = detail["ETag"]
    assert detail["Last-Modified"]
    assert (
        api.get(f"/api/v1/places/{open_place.public_id}/", HTTP_IF_NONE_MATCH=etag).status_code
        == 304
    )
    assert (
        api.get(
            f"/api/v1/places/{open_place.public_id}/",
            HTTP_IF_MODIFIED_SINCE=detail["Last-Modified"],
        ).status_code
        == 304
    )


@pytest.mark.django_db
def test_calendar_json_ics_and_window(api, open_place):
    offer = ServiceOfferFactory(place=open_place)
    schedule_set_rules(user=None, offer=offer, rules=MORNINGS)
    response = api.get(f"/api/v1/places/{open_place.public_id}/calendar/")
    assert response.status_code == 200
    body = response.json()
    assert body["intervals"] and "+" in body["intervals"][0]["start"]
    assert body["offers"][0]["id"] == offer.pk
    ics = api.get(f"/api/v1/places/{open_place.public_id}/calendar/?format=ics")
    assert ics["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in ics.content
    far = (timezone.now() + datetime.timedelta(days=300)).isoformat()
    refused = api.get(f"/api/v1/places/{open_place.public_id}/calendar/", {"to": far})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "outside_calendar_window"
    assert "window" in refused.json()["error"]


@pytest.mark.django_db
def test_catalogue_endpoints(api, provider):
    NetworkFactory(slug="cantines", name="Réseau des Cantines")
    kinds = results(api.get("/api/v1/service-kinds/?profile=mediation"))
    assert kinds and all(k["profile"] == "mediation" for k in kinds)
    assert any(p["id"] == "caf-rhone" for p in results(api.get("/api/v1/providers/")))
    assert results(api.get("/api/v1/networks/?q=cantines"))[0]["id"] == "cantines"
    assert api.get("/api/v1/providers/caf-rhone/").json()["name"] == "CAF du Rhône"


@pytest.mark.django_db
def test_unknown_place_is_a_json_404(api):
    response = api.get("/api/v1/places/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# ----------------------------------------------------------------------- writing


@pytest.mark.django_db
def test_anonymous_and_staff_sessions_cannot_write(api, request):
    assert api.post("/api/v1/places/", {}, content_type="application/json").status_code == 401
    client = Client()
    client.force_login(request.getfixturevalue("registry_admin"))
    response = client.post("/api/v1/places/", {}, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_read_token_lacks_the_write_scope(api, tokens):
    response = api.post(
        "/api/v1/places/",
        {"name": "X"},
        content_type="application/json",
        **bearer(tokens["read"][1]),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"


@pytest.mark.django_db
def test_revoked_and_forged_tokens(api, tokens):
    from api.actions import token_revoke

    token, raw = tokens["read"]
    assert api.get("/api/v1/places/", **bearer(raw)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    token_revoke(token=token, user=None)
    assert api.get("/api/v1/places/", **bearer(raw)).status_code == 401
    assert api.get("/api/v1/places/", **bearer(raw[:-2] + "xx")).status_code == 401
    assert api.get("/api/v1/places/", HTTP_AUTHORIZATION="Bearer").status_code == 401


@pytest.mark.django_db
def test_create_place_with_history_warnings_and_idempotency(api, tokens, organisation):
    token, raw = tokens["places"]
    body = {
        "name": "EPN Guillotière",
        "typologies": ["epn"],
        "latitude": 45.75,
        "longitude": 4.84,
        "colour": "blue",
    }
    headers = {**bearer(raw), "HTTP_IDEMPOTENCY_KEY": "abc-1"}
    first = api.post("/api/v1/places/", body, content_type="application/json", **headers)
    assert first.status_code == 201, first.content
    assert first.json()["warnings"][0]["field"] == "colour"
    again = api.post("/api/v1/places/", body, content_type="application/json", **headers)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Place.objects.filter(name="EPN Guillotière").count() == 1
    other = api.post(
        "/api/v1/places/", {**body, "name": "Autre"}, content_type="application/json", **headers
    )
    assert other.status_code == 422
    place = Place.objects.get(name="EPN Guillotière")
    assert place.organisation == organisation
    assert ChangeRecord.objects.filter(place=place, source=f"api:{token.prefix}").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "X", "typologies": ["epn"], "latitude": 95, "longitude": 4}, "latitude"),
        ({"name": "X", "typologies": ["epn"], "latitude": "north", "longitude": 4}, "latitude"),
        ({"name": "X", "typologies": "epn"}, "typologies"),
        ({"name": "X", "typologies": ["castle"]}, "typologies"),
        ({"name": "X", "typologies": ["epn"], "postcode": "ABCDE"}, "postcode"),
    ],
)
def test_invalid_place_input_stores_nothing(api, tokens, body, field):
    before = Place.objects.count()
    response = api.post(
        "/api/v1/places/", body, content_type="application/json", **bearer(tokens["places"][1])
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert Place.objects.count() == before


@pytest.mark.django_db
def test_malformed_json_and_big_body(api, tokens):
    raw = tokens["places"][1]
    bad = api.post("/api/v1/places/", "{nope", content_type="application/json", **bearer(raw))
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "malformed_json"
    big = json.dumps({"name": "x" * (5 * 1024 * 1024)})
    response = api.post("/api/v1/places/", big, content_type="application/json", **bearer(raw))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    latin = "name,commune\nCafé,Orléans\n".encode("latin-1")
    response = api.post("/api/v1/places/", latin, content_type="text/csv", **bearer(raw))
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    latin_json = '{"name": "Café"}'.encode("latin-1")
    response = api.post(
        "/api/v1/places/", latin_json, content_type="application/json", **bearer(raw)
    )
    assert response.status_code == 400


@pytest.mark.django_db
def test_update_needs_the_current_version(api, tokens, organisation, other_organisation):
    raw = tokens["places"][1]
    place = PlaceFactory(organisation=organisation, name="Avant")
    url = f"/api/v1/places/{place.public_id}/"
    no_version = api.patch(url, {"name": "Après"}, content_type="application/json", **bearer(raw))
    assert no_version.status_code == 428
    etag = api.get(url)["ETag"]
    ok = api.patch(
        url, {"name": "Après"}, content_type="application/json", HTTP_IF_MATCH=etag, **bearer(raw)
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["name"] == "Après"
    stale = api.patch(
        url, {"name": "Encore"}, content_type="application/json", HTTP_IF_MATCH=etag, **bearer(raw)
    )
    assert stale.status_code == 412
    assert stale.json()["error"]["current"]["name"] == "Après"
    conflict = api.patch(
        url, {"name": "Encore", "version": 1}, content_type="application/json", **bearer(raw)
    )
    assert conflict.status_code == 409
    foreign = PlaceFactory(organisation=other_organisation)
    response = api.patch(
        f"/api/v1/places/{foreign.public_id}/",
        {"name": "Pris", "version": 1},
        content_type="application/json",
        **bearer(raw),
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_your_place"


@pytest.mark.django_db
def test_provider_writes_its_offers_at_accepting_places(api, tokens, organisation, provider):
    token, raw = tokens["offers"]
    place = PlaceFactory(organisation=organisation)
    body = {
        "place": str(place.public_id),
        "service_kind": "caf",
        "audiences": ["all"],
        "access_modes": ["walk_in"],
    }
    refused = api.post("/api/v1/offers/", body, content_type="application/json", **bearer(raw))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "place_not_accepted"
    agreement_create(user=None, place=place, provider=provider)
    created = api.post("/api/v1/offers/", body, content_type="application/json", **bearer(raw))
    assert created.status_code == 201, created.content
    offer_id = created.json()["id"]
    assert created.json()["provider"] == "caf-rhone"
    url = f"/api/v1/offers/{offer_id}/"
    changed = api.patch(
        url,
        {"description": "Sur place", "version": 1},
        content_type="application/json",
        **bearer(raw),
    )
    assert changed.status_code == 200, changed.content
    schedule = api.put(
        f"{url}schedule/",
        {"rules": MORNINGS, "version": 0},
        content_type="application/json",
        **bearer(raw),
    )
    assert schedule.status_code == 200, schedule.content
    assert schedule.json()["opening_hours"].startswith("Mo-Fr 09:00-12:00")
    assert ChangeRecord.objects.filter(
        source=f"api:{token.prefix}", target__startswith="schedule"
    ).exists()
    # Without a version (body or If-Match) an offer or its hours are never overwritten.
    for method, path, body_ in (
        (api.patch, url, {"description": "Écrasé"}),
        (api.put, f"{url}schedule/", {"rules": MORNINGS}),
    ):
        refused = method(path, body_, content_type="application/json", **bearer(raw))
        assert refused.status_code == 428, refused.content
        assert refused.json()["error"]["code"] == "version_required"
    stale = api.put(
        f"{url}schedule/",
        {"rules": MORNINGS, "version": 0},
        content_type="application/json",
        **bearer(raw),
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    assert stale.json()["error"]["current"] == {"schedule_version": 1}
    assert ServiceOffer.objects.get(pk=offer_id).description == "Sur place"
    # Unreadable OSM hours: refused on the field the partner sent, nothing changed.
    unreadable = api.put(
        f"{url}schedule/",
        {"osm": "kind_id", "version": 1},
        content_type="application/json",
        **bearer(raw),
    )
    assert unreadable.status_code == 400, unreadable.content
    assert list(unreadable.json()["error"]["fields"]) == ["osm"]
    assert ServiceOffer.objects.get(pk=offer_id).schedule.version == 1
    other = ServiceOfferFactory(place=place)
    response = api.patch(
        f"/api/v1/offers/{other.pk}/", {"description": "x", "version": 1},
        content_type="application/json", **bearer(raw),
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_your_offer"
    places_token = tokens["places"][1]
    response = api.post(
        "/api/v1/offers/", body, content_type="application/json", **bearer(places_token)
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_suggestion_endpoint(api, open_place):
    response = api.post(
        "/api/v1/suggestions/",
        {"kind": "correction", "place": str(open_place.public_id), "data": {"phone": "0472000000"}},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    bad = api.post("/api/v1/suggestions/", {"kind": "new_place"}, content_type="application/json")
    assert bad.status_code == 400
    assert "name" in bad.json()["error"]["fields"]


@pytest.mark.django_db
def test_anonymous_rate_limit(api, settings):
    settings.API_RATE_LIMITS = {"anonymous": "3/min", "partner": "100/min"}
    codes = [api.get("/api/v1/networks/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    body = api.get("/api/v1/networks/").json()
    assert body["error"]["code"] == "rate_limited"


@pytest.mark.django_db
def test_schema_and_offline_docs(api):
    schema = api.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/places/" in paths and "/api/v1/places/{id}/calendar/" in paths
    docs = api.get("/api/v1/docs/")
    assert docs.status_code == 200
    import re

    assets = re.findall(rb'(?:src|href)="([^"]*)"', docs.content)
    assert any(b"drf_spectacular_sidecar/swagger-ui-dist" in a for a in assets)
    # Served by us, so it works offline: the UI's files, and its start-up script (a request
    # of its own, for the Content-Security-Policy).
    assert all(a.startswith((b"/static/", b"/api/v1/docs/?script")) for a in assets)
