"""Every answer under /api/ is JSON, errors included: URL shapes that match no route, methods
refused by plain views, unhandled exceptions, unknown query parameters; /api/v1/ lists
where to start."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import include, path

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("an unexpected failure")


# A URL configuration for one test: the project's, plus a view that fails.
urlpatterns = [path("api/v1/boom/", _boom), path("", include("config.urls"))]


@pytest.fixture(autouse=True)
def _fresh(settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}


def _error(response, status, code):
    assert response.status_code == status, (response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/places/not.a.uuid/",
        "/api/v1/places/x/y/z/",
        "/api/v1/no-such-resource/",
        "/api/v1/exports/csv/extra/",
        "/api/v2/",
    ],
)
def test_paths_matching_no_route_answer_json_404(url):
    _error(Client().get(url), 404, "not_found")


def test_a_method_the_exports_refuse_answers_json_405():
    response = Client().post("/api/v1/exports/lmn-csv/")
    _error(response, 405, "method_not_allowed")
    assert "POST" not in response["Allow"] and "GET" in response["Allow"]


def test_an_unhandled_exception_answers_json_500(settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    error = _error(client.get("/api/v1/boom/"), 500, "server_error")
    assert "unexpected failure" not in error["message"]
    # Outside the API the site's own error page stays.
    assert not client.get("/no-such-page/")["Content-Type"].startswith("application/json")


def test_the_root_links_to_the_resources_and_the_docs():
    response = Client().get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["resources"]["places"] == "http://testserver/api/v1/places/"
    assert set(body["resources"]) >= {"places", "offers", "providers", "networks"}
    assert body["docs"] == "http://testserver/api/v1/docs/"
    assert body["schema"] == "http://testserver/api/v1/schema/"
    assert "lmn-csv" in body["exports"]
    for url in body["resources"].values():
        if not url.endswith("/suggestions/"):
            assert Client().get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("url", "unknown", "accepted"),
    [
        ("/api/v1/places/?lat=45.7&lon=4.8&radius=3", ["lat", "lon", "radius"], "near"),
        ("/api/v1/places/?organisation=ville-de-lyon", ["organisation"], "q"),
        ("/api/v1/offers/?q=caf", ["q"], "service_kind"),
        ("/api/v1/providers/?sectors=social", ["sectors"], "sector"),
        ("/api/v1/networks/?name=x", ["name"], "q"),
        ("/api/v1/service-kinds/?page=2", ["page"], "page_size"),
        ("/api/v1/shared-spaces/?radius=5", ["radius"], "radius_km"),
    ],
)
def test_unknown_query_parameters_are_refused_naming_the_accepted_ones(url, unknown, accepted):
    error = _error(Client().get(url), 400, "unknown_parameter")
    assert sorted(error["fields"]) == unknown
    assert accepted in error["accepted"] and accepted in error["message"]


def test_known_parameters_still_work():
    for url in (
        "/api/v1/places/?near=45.76,4.85&radius_km=5&page_size=10&format=json",
        "/api/v1/offers/?service_kind=caf&updated_since=2026-01-01T00:00:00Z",
        "/api/v1/shared-spaces/?lat=45.76&lon=4.85&radius_km=5",
    ):
        assert Client().get(url).status_code == 200, url


def test_an_agreement_id_that_is_not_a_number_is_a_json_404_not_a_500():
    # int("null,null") used to fail inside the view.
    _error(Client().get("/api/v1/agreements/null,null/"), 404, "not_found")


def test_an_accept_header_the_api_cannot_produce_answers_json_406():
    response = Client().get("/api/v1/places/", HTTP_ACCEPT="application/xml")
    _error(response, 406, "not_acceptable")


def test_over_the_rate_limit_answers_json_429(settings):
    settings.API_RATE_LIMITS = {"anonymous": "1/min", "partner": "5000/min"}
    cache.clear()
    client = Client()
    assert client.get("/api/v1/networks/").status_code == 200
    error = _error(client.get("/api/v1/networks/"), 429, "rate_limited")
    assert error["retry_after"] > 0


@pytest.fixture
def writer(organisation, registry_admin):
    from api.actions import token_create
    from tests.factories import PlaceFactory

    place = PlaceFactory(organisation=organisation)
    _, raw = token_create(
        user=registry_admin, organisation=organisation, name="w", scopes=["write:places"]
    )
    return place, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_version_errors_answer_json_412_and_428(writer):
    place, auth = writer
    url = f"/api/v1/places/{place.public_id}/"
    body = {"phone": "04 72 00 00 00"}
    client = Client()
    _error(
        client.patch(url, body, content_type="application/json", **auth), 428, "version_required"
    )
    stale = client.patch(
        url, body, content_type="application/json", HTTP_IF_MATCH='"999-x"', **auth
    )
    _error(stale, 412, "stale_version")


def test_an_if_match_of_non_ascii_digits_is_a_json_400_not_a_500(writer):
    place, auth = writer
    response = Client().patch(
        f"/api/v1/places/{place.public_id}/",
        {"phone": "04 72 00 00 00"},
        content_type="application/json",
        HTTP_IF_MATCH="²",
        **auth,
    )
    _error(response, 400, "invalid_if_match")


@pytest.mark.parametrize(
    "url", ["/api/v1/places/?radius_km=-5", "/api/v1/shared-spaces/?radius_km=-5"]
)
def test_a_radius_is_checked_even_without_a_point(url):
    error = _error(Client().get(url), 400, "invalid_parameter")
    assert "radius_km" in error["fields"]
