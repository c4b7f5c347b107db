"""The address API adapter, against a real HTTP server on 127.0.0.1 serving canned answers."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import translation

from places.geocoding import GeocodeResult, GeocodingError, geocode, geocoding_enabled

ROOT = Path(__file__).resolve().parents[2]

# Two candidates as the national address API returns them (trimmed to what we read).
FEATURES = {
    "type": "FeatureCollection",
    "version": "draft",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [4.841895, 45.753398]},
            "properties": {
                "label": "12 Rue Paul Bert 69003 Lyon",
                "score": 0.9712,
                "housenumber": "12",
                "type": "housenumber",
                "postcode": "69003",
                "citycode": "69383",
                "city": "Lyon",
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [8.7369, 41.9267]},
            "properties": {
                "label": "Rue Paul Bert 20000 Ajaccio",
                "score": 0.41,
                "postcode": "20000",
                "citycode": "2A004",
                "city": "Ajaccio",
            },
        },
    ],
    "query": "12 rue paul bert",
}


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English source strings (French is the default language)."""
    with translation.override("en"):
        yield


class FakeGeocoder:
    """What the handler answers next, and the requests it received."""

    def __init__(self):
        self.status = 200
        self.body: bytes = json.dumps(FEATURES).encode()
        self.delay = 0.0
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.release = threading.Event()

    def answer(self, *, status: int = 200, body: bytes | dict | list = b"", delay: float = 0.0):
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.delay = delay


def _handler(fake: FakeGeocoder):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parsed = urllib.parse.urlsplit(self.path)
            fake.requests.append((parsed.path, urllib.parse.parse_qs(parsed.query)))
            if fake.delay:
                # Released at teardown so that no thread outlives the test for long.
                fake.release.wait(fake.delay)
            try:
                self.send_response(fake.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(fake.body)))
                self.end_headers()
                self.wfile.write(fake.body)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, format, *args):
            pass

    return Handler


@pytest.fixture
def geocoder(settings):
    fake = FakeGeocoder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    settings.GEOCODER_URL = f"http://127.0.0.1:{server.server_address[1]}"
    settings.GEOCODER_TIMEOUT = 5
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 that is bound but not listening: connecting is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def test_disabled_without_url(settings, monkeypatch):
    settings.GEOCODER_URL = ""
    called = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: called.append(a))
    assert geocoding_enabled() is False
    with pytest.raises(GeocodingError) as error:
        geocode("12 rue Paul Bert, Lyon")
    assert error.value.code == "disabled"
    assert "not available" in str(error.value)
    assert called == []


def test_enabled_with_url(settings):
    settings.GEOCODER_URL = "https://api-adresse.data.gouv.fr"
    assert geocoding_enabled() is True


def test_results_are_parsed_in_order(geocoder):
    results = geocode("12 rue Paul Bert Lyon")
    assert results == [
        GeocodeResult(
            label="12 Rue Paul Bert 69003 Lyon",
            latitude=Decimal("45.753398"),
            longitude=Decimal("4.841895"),
            postcode="69003",
            commune="Lyon",
            insee_code="69383",
            score=0.9712,
        ),
        GeocodeResult(
            label="Rue Paul Bert 20000 Ajaccio",
            latitude=Decimal("41.926700"),
            longitude=Decimal("8.736900"),
            postcode="20000",
            commune="Ajaccio",
            insee_code="2A004",
            score=0.41,
        ),
    ]
    assert isinstance(results[0].latitude, Decimal)
    # Six decimals, as Place.latitude stores them.
    assert results[1].latitude.as_tuple().exponent == -6


def test_request_carries_query_limit_and_postcode(geocoder):
    geocode("  12   rue Paul Bert ", postcode="69003", limit=3)
    path, query = geocoder.requests[-1]
    assert path == "/search/"
    assert query == {"q": ["12 rue Paul Bert"], "limit": ["3"], "postcode": ["69003"]}


def test_request_defaults_limit_five_and_no_postcode(geocoder):
    geocode("Médiathèque Jean Macé")
    _path, query = geocoder.requests[-1]
    assert query == {"q": ["Médiathèque Jean Macé"], "limit": ["5"]}


def test_limit_is_kept_within_bounds(geocoder):
    geocode("rue Paul Bert", limit=500)
    geocode("rue Paul Bert", limit=0)
    assert [q["limit"] for _path, q in geocoder.requests] == [["20"], ["1"]]


def test_base_url_with_trailing_slash(geocoder, settings):
    settings.GEOCODER_URL += "/"
    geocode("rue Paul Bert")
    assert geocoder.requests[-1][0] == "/search/"


def test_too_short_query_asks_nothing(geocoder):
    assert geocode("  a ") == []
    assert geocoder.requests == []


def test_no_match_is_an_empty_list(geocoder):
    geocoder.answer(body={"type": "FeatureCollection", "features": []})
    assert geocode("zzzzzz") == []


def test_missing_optional_properties_become_empty(geocoder):
    geocoder.answer(
        body={
            "type": "FeatureCollection",
            "features": [
                {
                    "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
                    "properties": {"label": "Paris", "score": 1},
                }
            ],
        }
    )
    [result] = geocode("Paris")
    assert (result.postcode, result.commune, result.insee_code) == ("", "", "")
    assert result.score == 1.0


def test_results_are_frozen(geocoder):
    [result, _] = geocode("rue Paul Bert")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.label = "changed"


def test_timeout(geocoder, settings):
    settings.GEOCODER_TIMEOUT = 0.2
    geocoder.answer(body=FEATURES, delay=5)
    started = time.monotonic()
    with pytest.raises(GeocodingError) as error:
        geocode("rue Paul Bert")
    assert time.monotonic() - started < 3
    assert error.value.code == "timeout"
    assert "did not answer within 0.2 seconds" in str(error.value)


def test_server_error(geocoder):
    geocoder.answer(status=500, body=b"Internal Server Error")
    with pytest.raises(GeocodingError) as error:
        geocode("rue Paul Bert")
    assert error.value.code == "http_status"
    assert "HTTP 500" in str(error.value)


def test_bad_request_status(geocoder):
    geocoder.answer(status=400, body={"code": 400, "message": "q must contain 3 chars"})
    with pytest.raises(GeocodingError) as error:
        geocode("rue Paul Bert")
    assert "HTTP 400" in str(error.value)


def test_malformed_json(geocoder):
    geocoder.answer(body=b'{"type": "FeatureCollection", "features": [')
    with pytest.raises(GeocodingError) as error:
        geocode("rue Paul Bert")
    assert error.value.code == "bad_response"
    assert "cannot be read" in str(error.value)


def _feature(coordinates, **properties):
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "geometry": {"type": "Point", "coordinates": coordinates},
                "properties": {"label": "Somewhere", "score": 0.5, **properties},
            }
        ],
    }


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param([], id="a list"),
        pytest.param({"type": "FeatureCollection"}, id="no features"),
        pytest.param({"features": "none"}, id="features not a list"),
        pytest.param({"features": [{"properties": {"label": "x"}}]}, id="no geometry"),
        pytest.param(_feature([4.8]), id="one coordinate"),
        pytest.param(_feature(["4.8", "45.7"]), id="coordinates as text"),
        pytest.param(_feature([True, 45.7]), id="coordinate as boolean"),
        pytest.param(_feature([45.7, 200.0]), id="latitude out of range"),
        pytest.param(_feature([4.8, 45.7], label=""), id="no label"),
        pytest.param(_feature([4.8, 45.7], score="high"), id="score as text"),
        pytest.param(_feature([4.8, 45.7], postcode=69003), id="postcode as number"),
    ],
)
def test_malformed_payload(geocoder, payload):
    geocoder.answer(body=payload)
    with pytest.raises(GeocodingError) as error:
        geocode("rue Paul Bert")
    assert error.value.code == "bad_response"


def test_binary_garbage(geocoder):
    geocoder.answer(body=b"\xff\xfe\x00garbage")
    with pytest.raises(GeocodingError) as error:
        geocode("rue Paul Bert")
    assert error.value.code == "bad_response"


def test_connection_refused(settings, closed_port):
    settings.GEOCODER_URL = f"http://127.0.0.1:{closed_port}"
    settings.GEOCODER_TIMEOUT = 2
    with pytest.raises(GeocodingError) as error:
        geocode("rue Paul Bert")
    assert error.value.code == "refused"
    assert "refused the connection" in str(error.value)


def test_import_makes_no_network_call():
    script = (
        "import os, socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise SystemExit('network call at import time')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import django\n"
        "django.setup()\n"
        "import places.geocoding\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "GEOCODER_URL": "http://127.0.0.1:9",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
