"""The OpenAPI schema's rules that hold for every operation of the partner API.

Each view declares its own parameters, bodies and successful answers; this class adds what
is true everywhere, so that the served schema documents every answer the API can give
(checked by tests/api/test_api_contract.py):

- a token is optional wherever a request without one is answered (reads, suggestions): the
  security requirement lists `{}` besides the bearer token;
- lists are the paginated object the views build (`{results, next, previous}`), never a
  bare array; GeoJSON answers are a Feature (or a FeatureCollection), CSV and iCalendar
  answers are text;
- error answers are JSON whatever format was asked (api/views/base.py: ApiViewSet);
- the errors any operation can answer, in the JSON error format: 400 (a refused parameter
  or body), 401 (a bad, revoked or malformed token: checked before anything else), 404 (a
  path naming no record, or an unknown `format`), 406 (an `Accept` the operation cannot
  produce), 429 (the rate limit), and for bodies 413 and 415.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_list_serializer
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import SAFE_METHODS

from api.auth import ANYONE

TEXT_MEDIA_TYPES = ("text/csv", "text/calendar")
GEOJSON = "application/geo+json"
_NULLABLE_URI = {"type": "string", "format": "uri", "nullable": True}
_GEOMETRY = {
    "type": "object",
    "nullable": True,
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2},
    },
    "description": "A Point (longitude, latitude); null for a record without coordinates.",
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid parameter or body (`invalid`, `invalid_parameter`, `unknown_parameter`, …).",
    "401": "No token where one is needed, or a bad, malformed or revoked token.",
    "403": "The token lacks the scope or the right.",
    "404": "No such record (or an unknown `format`).",
    "406": "None of the media types in `Accept` can be produced.",
    "413": "Body over the size limit.",
    "415": "Body not sent as `application/json`.",
    "429": "Rate limit reached (`Retry-After`).",
}


def _feature(properties: dict) -> dict:
    return {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": _GEOMETRY,
            "properties": properties,
        },
    }


class ApiAutoSchema(AutoSchema):
    def _is_list_view(self, serializer=None) -> bool:
        # A response the view declares is the body as sent: lists are paginated objects.
        if serializer is not None and not is_list_serializer(serializer):
            return False
        return super()._is_list_view(serializer)

    def _geojson(self, direction) -> dict | None:
        serializer = self._get_serializer()
        if serializer is None or is_list_serializer(serializer):
            return None
        component = self.resolve_serializer(serializer, direction)
        if component is None:
            return None
        feature = _feature(component.ref)
        if getattr(self.view, "action", None) != "list":
            return feature
        return {
            "type": "object",
            "required": ["type", "features", "next", "previous"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": feature},
                "next": _NULLABLE_URI,
                "previous": _NULLABLE_URI,
            },
        }

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        content = response.get("content")
        if not content:
            return response
        if str(status_code) >= "400":
            # Errors are JSON, whatever was asked.
            response["content"] = {
                "application/json": content.get("application/json") or next(iter(content.values()))
            }
            return response
        for media_type in TEXT_MEDIA_TYPES:
            if media_type in content:
                content[media_type] = {"schema": {"type": "string"}}
        if GEOJSON in content:
            geojson = self._geojson(direction)
            if geojson is not None:
                content[GEOJSON] = {"schema": geojson}
        return response

    def _needs_token(self) -> bool:
        """Whether a request without a token is always refused."""
        if getattr(self.view, "token_required", False):
            return True
        if self.method in SAFE_METHODS:
            return False
        # A write needs a token of the view's scope, unless anyone may write (ANYONE);
        # a view declaring no scope refuses every write (api.auth.HasScope).
        return getattr(self.view, "write_scope", None) != ANYONE

    def _has_token_auth(self) -> bool:
        return bool(self.view.get_authenticators())

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            # An empty query parameter is one not given (django-filter, pagination, format).
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return parameters

    def get_auth(self):
        auths = super().get_auth()
        if auths and not self._needs_token() and {} not in auths:
            auths.append({})
        return auths

    def _get_response_bodies(self, direction="response"):
        from api.serializers import ErrorSerializer

        responses = super()._get_response_bodies(direction)
        codes = ["400", "404", "406", "429"]
        if self._has_token_auth():
            codes.append("401")
        if self._needs_token():
            codes.append("403")
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                )
        return dict(sorted(responses.items()))


# Query parameter schemas as exact as the parsers behind them (api/filters.py,
# api/pagination.py): a value the schema allows is accepted, one it refuses is refused.
# An empty value means "not given" everywhere.
_LATITUDE = r"\s*[-+]?(?:90(?:\.0*)?|[1-8]?[0-9](?:\.[0-9]*)?|\.[0-9]+)\s*"
_LONGITUDE = r"\s*[-+]?(?:180(?:\.0*)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]*)?|\.[0-9]+)\s*"


def text_pattern(regex: str, description: str = "") -> dict:
    schema = {"type": "string", "pattern": f"^(?:{regex})?$"}
    if description:
        schema["description"] = description
    return schema


def comma_list(values) -> dict:
    """A comma-separated list of known values (blanks around them and empty items ignored)."""
    choice = "|".join(sorted(values))
    item = rf"\s*(?:{choice})?\s*"
    return text_pattern(rf"{item}(?:,{item})*")


NEAR = text_pattern(f"{_LATITUDE},{_LONGITUDE}")
BBOX = text_pattern(f"{_LONGITUDE},{_LATITUDE},{_LONGITUDE},{_LATITUDE}")
RADIUS_KM = {"type": "number", "minimum": 0, "maximum": 100}
BOOLEAN = {"type": "boolean"}
# Years 1900 to 2199 (api.filters.parse_instant).
DATE_TIME = {"type": "string", "format": "date-time", "pattern": "^(?:19|20|21)[0-9]{2}-"}


def comma_list_of_uuids() -> dict:
    hex_ = "[0-9a-fA-F]"
    uuid = rf"\s*(?:\{{?{hex_}{{8}}-?{hex_}{{4}}-?{hex_}{{4}}-?{hex_}{{4}}-?{hex_}{{12}}\}}?)?\s*"
    return text_pattern(rf"{uuid}(?:,{uuid})*")
