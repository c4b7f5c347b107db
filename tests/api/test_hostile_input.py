"""Hostile input gets a clear 4xx and nothing stored, never a 500: far dates on every date
parameter, nested and huge JSON, control characters, giant page sizes, and concurrent
writers on SQLite."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.test import Client
from django.urls import reverse

from api.actions import token_create
from config.settings import _database
from places.models import Place, Suggestion
from scheduling.actions import schedule_set_rules
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db

ALWAYS = [{"kind": "weekly", "days": [0, 1, 2, 3, 4, 5, 6], "times": ["00:00-24:00"]}]
FAR = [
    "9999-12-31T23:59:59Z",
    "9999-12-31",
    "0001-01-01T00:00:00Z",
    "0001-01-01",
    "1000-01-01T00:00:00+01:00",
]


@pytest.fixture(autouse=True)
def _roomy_limits(settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}


@pytest.fixture
def place(organisation):
    place = PlaceFactory(organisation=organisation, name="Cantine numérique", slug="cantine")
    schedule_set_rules(user=None, place=place, rules=ALWAYS, public_holidays="open")
    return place


@pytest.fixture
def places_token(organisation, registry_admin):
    _token, raw = token_create(
        user=registry_admin,
        organisation=organisation,
        name="w",
        scopes=["read", "write:places"],
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _refused(response, name):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert name in error["fields"], error
    return error


@pytest.mark.parametrize("far", FAR)
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/places/{id}/calendar/?from={far}", "from"),
        ("/api/v1/places/{id}/calendar/?to={far}", "to"),
        ("/api/v1/places/{id}/calendar/?format=ics&from={far}", "from"),
        ("/api/v1/places/?open_at={far}", "open_at"),
        ("/api/v1/places/?updated_since={far}", "updated_since"),
        ("/api/v1/offers/?updated_since={far}", "updated_since"),
        ("/api/v1/providers/?updated_since={far}", "updated_since"),
    ],
)
def test_far_dates_are_refused_by_name(place, path, name, far):
    response = Client().get(path.format(id=place.public_id, far=far.replace("+", "%2B")))
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert name in response.json()["error"]["fields"]


@pytest.mark.parametrize("size", ["99999999999999999999999", "9" * 5000, "-1", "1e9", "0x10"])
def test_giant_or_odd_page_sizes_are_refused(place, size):
    _refused(Client().get(f"/api/v1/places/?page_size={size}"), "page_size")


def test_a_deeply_nested_body_is_refused(place):
    body = "[" * 100_000 + "]" * 100_000
    response = Client().post("/api/v1/suggestions/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_deep"
    body = '{"kind": "new_place", "data": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}"
    response = Client().post("/api/v1/suggestions/", body, content_type="application/json")
    assert response.json()["error"]["code"] == "too_deep"
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize("text", ["Caf\u0000é", "bell\u0007", "esc\u001b[31m", "del\u007f"])
def test_control_characters_in_a_suggestion_are_refused(place, text):
    response = Client().post(
        "/api/v1/suggestions/",
        {"kind": "new_place", "data": {"name": text, "commune": "Lyon"}},
        content_type="application/json",
    )
    error = _refused(response, "data.name")
    assert error["code"] == "control_characters"
    assert not Suggestion.objects.exists()


def test_control_characters_in_a_key_or_a_write_are_refused(place, places_token):
    response = Client().post(
        "/api/v1/suggestions/",
        {"kind": "new_place", "data": {"na\u0000me": "x"}},
        content_type="application/json",
    )
    assert _refused(response, "data")["code"] == "control_characters"
    url = f"/api/v1/places/{place.public_id}/"
    response = Client().patch(
        url,
        {"name": "Nouveau\u0000nom", "version": place.version},
        content_type="application/json",
        **places_token,
    )
    _refused(response, "name")
    assert Place.objects.get(pk=place.pk).name == "Cantine numérique"


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/offers/", "network"),
        ("/api/v1/places/", "q"),
        ("/api/v1/places/", "service_kind"),
        ("/api/v1/", "x"),
        ("/api/v1/exports/geojson/", "x"),
        ("/api/v1/shared-spaces/", "x"),
    ],
)
def test_control_characters_in_a_query_parameter_are_refused_alike(place, path, parameter):
    # The same answer as in a body, whichever parameter (filter, unknown or detail).
    response = Client().get(path, {parameter: "Ra\u0000\u0097"})
    assert _refused(response, parameter)["code"] == "control_characters"
    detail = Client().get(f"/api/v1/places/{place.public_id}/calendar/", {"from": "2026\u0000"})
    assert _refused(detail, "from")["code"] == "control_characters"


def test_line_breaks_and_tabs_are_still_text(place):
    response = Client().post(
        "/api/v1/suggestions/",
        {
            "kind": "correction",
            "place": str(place.public_id),
            "data": {"phone": "04 72 00 00 00"},
            "message": "First line\r\nsecond\tline",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Suggestion.objects.get().message == "First line\r\nsecond\tline"


def test_a_deeply_nested_import_file_is_refused(admin_client_, organisation):
    content = b"[" * 100_000 + b"]" * 100_000
    response = admin_client_.post(
        reverse("imports:upload"),
        {
            "fmt": "lmn",
            "encoding": "utf-8-sig",
            "status": "published",
            "organisation": organisation.pk,
            "file": SimpleUploadedFile("deep.json", content),
        },
    )
    page = response.content.decode()
    assert response.status_code < 500
    assert "Nothing was imported" in page and "nested too deeply" in page
    assert not Place.objects.exists()


# ------------------------------------------------------------------ SQLite, two writers


def test_sqlite_settings_wait_for_the_write_lock():
    options = _database("DATABASE_URL", "sqlite:///db.sqlite3")["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] >= 10


def test_two_sqlite_writers_that_read_first_both_commit(tmp_path):
    """Two transactions read, then write, at the same time. With SQLite's default deferred
    transactions the second writer fails at once with "database is locked" (a deadlock
    SQLite does not wait on); with the project's settings the second waits its turn."""
    config = connections.configure_settings(
        {"default": _database("DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite3'}")}
    )["default"]
    setup = DatabaseWrapper(config, alias="w")
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE counter (n integer)")
        cursor.execute("INSERT INTO counter VALUES (0)")
    setup.close()
    both_read = threading.Barrier(2, timeout=2)
    errors: list[Exception] = []

    def writer():
        wrapper = DatabaseWrapper(config, alias="w")
        try:
            wrapper.ensure_connection()
            wrapper._start_transaction_under_autocommit()  # what transaction.atomic() runs
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT n FROM counter")
                # With an immediate transaction the other is still waiting to begin.
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_read.wait()
                cursor.execute("UPDATE counter SET n = n + 1")
                cursor.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            wrapper.close()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    check = DatabaseWrapper(config, alias="w")
    with check.cursor() as cursor:
        cursor.execute("SELECT n FROM counter")
        assert cursor.fetchone()[0] == 2
    check.close()
