"""Adapter for the French national address API (Base Adresse Nationale geocoder).

`geocode("12 rue Paul Bert Lyon")` asks `{GEOCODER_URL}/search/` and returns the candidates
as `GeocodeResult`s, best first. Everything that can go wrong on the way (geocoding turned
off, timeout, refused connection, HTTP error, unreadable answer) raises `GeocodingError`
with a message a person can act on. Only the standard library is used, and nothing touches
the network until `geocode()` is called.
"""

from __future__ import annotations

import http.client
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# The API answers in a few kilobytes; anything far larger is not the API.
MAX_RESPONSE_BYTES = 1_000_000
MAX_LIMIT = 20
# Place.latitude/longitude keep 6 decimals (about 10 cm).
COORDINATE_STEP = Decimal("0.000001")


@dataclass(frozen=True)
class GeocodeResult:
    label: str
    latitude: Decimal
    longitude: Decimal
    postcode: str
    commune: str
    insee_code: str
    score: float


class GeocodingError(Exception):
    """The address API could not give an answer; `str(error)` is meant for people.

    `code` tells the cases apart for programs: "disabled", "timeout", "refused",
    "unreachable", "http_status" or "bad_response".
    """

    def __init__(self, message: str, *, code: str = "error"):
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


def geocoding_enabled() -> bool:
    """Whether an address API is configured (GEOCODER_URL is not empty)."""
    return bool((getattr(settings, "GEOCODER_URL", "") or "").strip())


def geocode(query: str, *, postcode: str = "", limit: int = 5) -> list[GeocodeResult]:
    """Candidate locations for a free-text address, best first.

    `postcode` narrows the search to one postcode. A query shorter than three characters
    (the API refuses those) gives no candidates without asking the API.
    Raises GeocodingError when the API is off, slow, unreachable or answers nonsense.
    """
    if not geocoding_enabled():
        raise GeocodingError(
            _("Address search is not available: no address service is configured."),
            code="disabled",
        )
    query = " ".join((query or "").split())
    if len(query) < 3:
        return []
    params = {"q": query[:200], "limit": str(max(1, min(int(limit), MAX_LIMIT)))}
    postcode = (postcode or "").strip()
    if postcode:
        params["postcode"] = postcode
    base = settings.GEOCODER_URL.strip().rstrip("/")
    url = f"{base}/search/?{urllib.parse.urlencode(params)}"
    payload = _parse_json(_fetch(url), url)
    return _results(payload, url)


def _fetch(url: str) -> bytes:
    timeout = float(settings.GEOCODER_TIMEOUT)
    request = urllib.request.Request(
        url,
        headers={"Accept": "application/json", "User-Agent": "lieux-partages"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        # Checked before URLError, its parent class.
        logger.warning("Geocoder answered HTTP %s for %s", exc.code, url)
        raise GeocodingError(
            _(
                "The address service answered with an error (HTTP %(status)s). "
                "Try again later, or enter the coordinates by hand."
            )
            % {"status": exc.code},
            code="http_status",
        ) from exc
    except urllib.error.URLError as exc:
        # Connection failures arrive wrapped: the cause is in `reason`.
        raise _connection_error(exc.reason, url, timeout) from exc
    except TimeoutError as exc:
        # A timeout while reading the body is raised as is, not wrapped.
        raise _connection_error(exc, url, timeout) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _connection_error(exc, url, timeout) from exc
    if len(body) > MAX_RESPONSE_BYTES:
        raise _bad_response(url, "response too large")
    return body


def _connection_error(reason: Any, url: str, timeout: float) -> GeocodingError:
    logger.warning("Geocoder request failed for %s: %r", url, reason)
    if isinstance(reason, TimeoutError):
        return GeocodingError(
            _(
                "The address service did not answer within %(seconds)s seconds. "
                "Try again later, or enter the coordinates by hand."
            )
            % {"seconds": f"{timeout:g}"},
            code="timeout",
        )
    if isinstance(reason, ConnectionRefusedError):
        return GeocodingError(
            _(
                "The address service refused the connection. "
                "Try again later, or enter the coordinates by hand."
            ),
            code="refused",
        )
    return GeocodingError(
        _(
            "The address service cannot be reached. "
            "Try again later, or enter the coordinates by hand."
        ),
        code="unreachable",
    )


def _bad_response(url: str, detail: str) -> GeocodingError:
    logger.warning("Geocoder sent an unreadable response for %s: %s", url, detail)
    return GeocodingError(
        _(
            "The address service sent a response that cannot be read. "
            "Try again later, or enter the coordinates by hand."
        ),
        code="bad_response",
    )


def _parse_json(body: bytes, url: str) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad_response(url, f"not JSON: {exc}") from exc


def _results(payload: Any, url: str) -> list[GeocodeResult]:
    if not isinstance(payload, dict) or not isinstance(payload.get("features"), list):
        raise _bad_response(url, "no features list")
    try:
        return [_result(feature) for feature in payload["features"]]
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise _bad_response(url, f"malformed feature: {exc!r}") from exc


def _number(value: Any) -> Decimal:
    # bool is an int in Python, but `true` is no coordinate.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return Decimal(str(value)).quantize(COORDINATE_STEP)


def _text(properties: dict, key: str) -> str:
    value = properties.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{key} is not text: {value!r}")
    return value


def _result(feature: dict) -> GeocodeResult:
    # GeoJSON order is [longitude, latitude].
    longitude, latitude = feature["geometry"]["coordinates"][:2]
    longitude, latitude = _number(longitude), _number(latitude)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"coordinates out of range: {latitude}, {longitude}")
    properties = feature["properties"]
    if not isinstance(properties, dict):
        raise TypeError("properties is not an object")
    label = _text(properties, "label")
    if not label:
        raise ValueError("feature without a label")
    score = properties.get("score", 0.0)
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise TypeError(f"score is not a number: {score!r}")
    return GeocodeResult(
        label=label,
        latitude=latitude,
        longitude=longitude,
        postcode=_text(properties, "postcode"),
        commune=_text(properties, "city"),
        insee_code=_text(properties, "citycode"),
        score=float(score),
    )
