"""What the OpenAPI schema says of each operation of the partner API: summaries, parameters,
bodies, answers and examples, declared here once and applied by the views (api/views/).
Rules true of every operation are in api/openapi.py.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers as drf_serializers

from api import serializers as api_serializers
from api.exports import FORMATS
from api.openapi import DATE_TIME
from api.pagination import MAX_PAGE_SIZE
from economics.models import Space

PAGE_PARAMETERS = [
    OpenApiParameter(
        "cursor",
        OpenApiTypes.STR,
        description="Opaque position: follow the `next` / `previous` links as they are.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (default 100).",
    ),
]
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "geojson", "csv"],
    description="Output format (or use the Accept header). CSV is the whole result, streamed.",
)
ERRORS = {
    400: OpenApiResponse(api_serializers.ErrorSerializer, description="Invalid parameter."),
    429: OpenApiResponse(api_serializers.ErrorSerializer, description="Rate limit reached."),
}
WRITE_ERRORS = {
    400: OpenApiResponse(api_serializers.ErrorSerializer, description="Invalid input."),
    401: OpenApiResponse(api_serializers.ErrorSerializer, description="No or bad token."),
    403: OpenApiResponse(api_serializers.ErrorSerializer, description="Missing scope or right."),
    404: OpenApiResponse(api_serializers.ErrorSerializer, description="Not found."),
    409: OpenApiResponse(
        api_serializers.ErrorSerializer, description="Stale `version` in the body."
    ),
    412: OpenApiResponse(api_serializers.ErrorSerializer, description="Stale If-Match."),
    413: OpenApiResponse(api_serializers.ErrorSerializer, description="Body over 1 MB."),
    422: OpenApiResponse(
        api_serializers.ErrorSerializer, description="Idempotency-Key reused with another body."
    ),
    428: OpenApiResponse(
        api_serializers.ErrorSerializer, description="An update without a version."
    ),
}
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": r'^\s*(?:W/)?"*[0-9]+(?:"*|-.*)\s*$'},
    OpenApiParameter.HEADER,
    description="The ETag (or version number) of the record you edited.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string: retrying with it never creates twice.",
)


def list_response(name: str, item):
    return inline_serializer(
        name,
        {
            "results": item(many=True),
            "next": drf_serializers.URLField(allow_null=True),
            "previous": drf_serializers.URLField(allow_null=True),
        },
    )


PLACES = extend_schema_view(
    list=extend_schema(
        summary="List places",
        description=(
            "Published places, filtered. Ordered by (updated_at, id), or by distance with "
            "`near`. Cursor pagination: follow `next` until it is null. With "
            "`updated_since`, archived places are included so you can delete them."
        ),
        parameters=[*PAGE_PARAMETERS, FORMAT_PARAMETER],
        responses={
            200: list_response("PlaceList", api_serializers.PlaceSerializer),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "Open places near Lyon Part-Dieu offering CAF help",
                value={
                    "results": [
                        {
                            "id": "1f0c8a52-3f5e-4b55-9d0e-0d8f5b7c2a11",
                            "slug": "france-services-lyon-3",
                            "name": "France Services Lyon 3",
                            "status": "published",
                            "typologies": ["france_services"],
                            "latitude": 45.7605,
                            "longitude": 4.8591,
                            "opening_hours": "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
                            "open_now": True,
                            "opening_status": "open",
                            "open_until": "2026-03-02T12:00:00+01:00",
                            "next_opening": None,
                            "url": "https://lieux.example.org/lieux/france-services-lyon-3/",
                            "distance_km": 0.42,
                            "updated_at": "2026-02-27T10:15:00+01:00",
                        }
                    ],
                    "next": "https://lieux.example.org/api/v1/places/?cursor=eyJrIjpb...",
                    "previous": None,
                },
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One place",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            FORMAT_PARAMETER,
        ],
        responses={200: api_serializers.PlaceSerializer, 304: None, 404: ERRORS[400]},
    ),
)


PLACE_CREATE = extend_schema(
    summary="Create a place (scope write:places)",
    request=api_serializers.PlaceWriteSerializer,
    parameters=[IDEMPOTENCY_KEY],
    responses={201: api_serializers.PlaceSerializer, **WRITE_ERRORS},
    examples=[
        OpenApiExample(
            "A new EPN",
            value={
                "name": "EPN de la Guillotière",
                "typologies": ["epn"],
                "address": "12 rue de Marseille",
                "postcode": "69007",
                "commune": "Lyon",
                "insee_code": "69387",
                "latitude": 45.7541,
                "longitude": 4.8427,
                "profiles": {"mediation": {"access": "walk_in"}},
            },
            request_only=True,
        )
    ],
)


PLACE_UPDATE = extend_schema(
    summary="Change a place (scope write:places)",
    request=api_serializers.PlaceWriteSerializer,
    parameters=[IF_MATCH, OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    responses={200: api_serializers.PlaceSerializer, **WRITE_ERRORS},
)


PLACE_SCHEDULE = extend_schema(
    summary="Set a place's opening hours (scope write:places)",
    request=api_serializers.ScheduleWriteSerializer,
    parameters=[IF_MATCH, OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
    responses={200: api_serializers.PlaceSerializer, **WRITE_ERRORS},
)


PLACE_CALENDAR = extend_schema(
    summary="Materialised calendar of a place and of each of its offers",
    description=(
        "Open intervals (and events, closures) between `from` and `to`, as ISO 8601 "
        "date-times with their offset. Both must lie inside the materialised calendar "
        "window (about 120 days ahead), else 400 `outside_calendar_window`. "
        "`?format=ics` returns the place's .ics, the very file of its page on the site "
        "(`/lieux/<slug>/agenda.ics`): its own hours as recurring events, its events and "
        "extra openings, over the whole window, or over the local days from `from` to `to` "
        "when either is given."
    ),
    parameters=[
        OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH),
        OpenApiParameter("from", DATE_TIME, description="Start (default: now)."),
        OpenApiParameter("to", DATE_TIME, description="End (default: 7 days after `from`)."),
        OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "ics"]),
    ],
    responses={
        200: inline_serializer(
            "Calendar",
            {
                "place": drf_serializers.UUIDField(),
                "timezone": drf_serializers.CharField(),
                "from": drf_serializers.DateTimeField(),
                "to": drf_serializers.DateTimeField(),
                "window": drf_serializers.DictField(),
                "intervals": drf_serializers.ListField(child=drf_serializers.DictField()),
                "offers": drf_serializers.ListField(child=drf_serializers.DictField()),
            },
        ),
        **ERRORS,
    },
)


OFFERS = extend_schema_view(
    list=extend_schema(
        summary="List service offers",
        description="Offers at published places, ordered by (updated_at, id).",
        parameters=[*PAGE_PARAMETERS, FORMAT_PARAMETER],
        responses={200: list_response("OfferList", api_serializers.OfferSerializer), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="One service offer",
        parameters=[FORMAT_PARAMETER],
        responses={200: api_serializers.OfferSerializer, 304: None, 404: ERRORS[400]},
    ),
)


OFFER_CREATE = extend_schema(
    summary="Create an offer of the token's provider (scope write:offers)",
    description=(
        "The place must have accepted the provider: an agreement recorded by the "
        "registry, or a live offer of the provider there already."
    ),
    request=api_serializers.OfferWriteSerializer,
    parameters=[IDEMPOTENCY_KEY],
    responses={201: api_serializers.OfferSerializer, **WRITE_ERRORS},
    examples=[
        OpenApiExample(
            "CAF help on appointment",
            value={
                "place": "1f0c8a52-3f5e-4b55-9d0e-0d8f5b7c2a11",
                "service_kind": "caf",
                "level": "full",
                "audiences": ["all"],
                "access_modes": ["appointment"],
                "appointment_url": "https://rdv.example.org/caf",
            },
            request_only=True,
        )
    ],
)


OFFER_UPDATE = extend_schema(
    summary="Change an offer of the token's provider (scope write:offers)",
    request=api_serializers.OfferWriteSerializer,
    parameters=[IF_MATCH],
    responses={200: api_serializers.OfferSerializer, **WRITE_ERRORS},
)


OFFER_SCHEDULE = extend_schema(
    summary="Set an offer's hours (scope write:offers)",
    request=api_serializers.ScheduleWriteSerializer,
    parameters=[IF_MATCH],
    responses={200: api_serializers.OfferSerializer, **WRITE_ERRORS},
)


SERVICE_KINDS = extend_schema_view(
    list=extend_schema(
        summary="The catalogue of service kinds",
        parameters=PAGE_PARAMETERS,
        responses={
            200: list_response("ServiceKindList", api_serializers.ServiceKindSerializer),
            **ERRORS,
        },
    ),
    retrieve=extend_schema(summary="One service kind"),
)


PROVIDERS = extend_schema_view(
    list=extend_schema(
        summary="Service providers",
        parameters=PAGE_PARAMETERS,
        responses={
            200: list_response("ProviderList", api_serializers.ProviderSerializer),
            **ERRORS,
        },
    ),
    retrieve=extend_schema(summary="One provider"),
)


NETWORKS = extend_schema_view(
    list=extend_schema(
        summary="Networks of places",
        parameters=PAGE_PARAMETERS,
        responses={
            200: list_response("NetworkList", api_serializers.NetworkSerializer),
            **ERRORS,
        },
    ),
    retrieve=extend_schema(summary="One network"),
)


SUGGESTION_CREATE = extend_schema(
    summary="Suggest a correction or a new place (no account needed)",
    request=api_serializers.SuggestionWriteSerializer,
    parameters=[IDEMPOTENCY_KEY],
    responses={
        201: inline_serializer(
            "SuggestionCreated",
            {"id": drf_serializers.IntegerField(), "status": drf_serializers.CharField()},
        ),
        **WRITE_ERRORS,
        429: OpenApiResponse(
            api_serializers.ErrorSerializer,
            description="Too many suggestions from this address (shared with the site's form).",
        ),
    },
    examples=[
        OpenApiExample(
            "A changed phone number",
            value={
                "kind": "correction",
                "place": "1f0c8a52-3f5e-4b55-9d0e-0d8f5b7c2a11",
                "data": {"phone": "04 72 00 00 00"},
                "message": "The number changed in January.",
            },
            request_only=True,
        )
    ],
)


# -- agreements
READ_ERRORS = {
    **ERRORS,
    401: OpenApiResponse(api_serializers.ErrorSerializer, description="No or bad token."),
    403: OpenApiResponse(api_serializers.ErrorSerializer, description="Missing scope."),
}


AGREEMENTS = extend_schema_view(
    list=extend_schema(
        summary="List provider agreements (scope read)",
        description=(
            "Agreements of the token organisation's places and of the token's provider. "
            "An agreement is active from `starts_on` to `ends_on` included; a provider "
            "token creates offers at a place only within an active agreement's kinds."
        ),
        parameters=PAGE_PARAMETERS,
        responses={
            200: list_response("AgreementList", api_serializers.AgreementSerializer),
            **READ_ERRORS,
        },
    ),
    retrieve=extend_schema(
        summary="One provider agreement (scope read)",
        responses={200: api_serializers.AgreementSerializer, **READ_ERRORS},
    ),
)


AGREEMENT_CREATE = extend_schema(
    summary="Create an agreement at one of the organisation's places (scope write:agreements)",
    request=api_serializers.AgreementWriteSerializer,
    responses={201: api_serializers.AgreementSerializer, **WRITE_ERRORS},
)


AGREEMENT_UPDATE = extend_schema(
    summary="Change an agreement's kinds, dates or terms (scope write:agreements)",
    description=(
        "Send the `version` you read (in the body, or its ETag as If-Match): without it "
        "428 `version_required`; a stale one 409 (412 for If-Match) `stale_version`."
    ),
    request=api_serializers.AgreementWriteSerializer,
    parameters=[IF_MATCH],
    responses={200: api_serializers.AgreementSerializer, **WRITE_ERRORS},
)


AGREEMENT_END = extend_schema(
    summary="End an agreement (scope write:agreements)",
    description=(
        "Send the `version` you read, as for a change: 428 without it, 409 (412 for "
        "If-Match) when the agreement changed since."
    ),
    request=api_serializers.AgreementEndSerializer,
    parameters=[IF_MATCH],
    responses={200: api_serializers.AgreementSerializer, **WRITE_ERRORS},
)


# -- spaces to share
SHARED_SPACES = extend_schema(
    parameters=[
        OpenApiParameter(
            "kind",
            {"type": "array", "items": {"type": "string", "enum": sorted(Space.Kind.values)}},
            explode=True,
            description="Repeated or comma-separated.",
        ),
        OpenApiParameter("capacity", {"type": "integer", "minimum": 0}),
        OpenApiParameter("day", OpenApiTypes.DATE, description="YYYY-MM-DD, with time"),
        OpenApiParameter(
            "time",
            {"type": "string", "pattern": "^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"},
            description="HH:MM local time, with day",
        ),
        OpenApiParameter("lat", {"type": "number", "minimum": -90, "maximum": 90}),
        OpenApiParameter("lon", {"type": "number", "minimum": -180, "maximum": 180}),
        OpenApiParameter(
            "radius_km",
            {"type": "number", "exclusiveMinimum": True, "minimum": 0, "maximum": 200},
            description="With lat and lon (default 10).",
        ),
        OpenApiParameter("format", {"type": "string", "enum": ["json"]}),
    ],
    responses=inline_serializer(
        "SharedSpaceList",
        {
            "count": drf_serializers.IntegerField(),
            "audience": drf_serializers.ChoiceField(choices=["public", "partners"]),
            "results": api_serializers.SharedSpaceSerializer(many=True),
        },
    ),
)


SPACE_REQUEST_CREATE = extend_schema(
    request=api_serializers.SpaceRequestWriteSerializer, responses={201: dict}
)
SPACE_REQUEST_DETAIL = extend_schema(responses={200: dict})


# -- the API's root and its documentation pages
ROOT = extend_schema(
    summary="Links to the resources, the exports and the docs", responses=OpenApiTypes.OBJECT
)
NOT_DOCUMENTED = extend_schema(exclude=True)


# -- open-data exports
EXPORT = extend_schema(
    summary="An open-data export of the published places, streamed",
    description=(
        "The whole registry's published places in one open-data format (see docs/api.md, "
        "Exports): the answer's media type is the format's, whatever `Accept` says. The "
        "ETag changes whenever what the export reads changes: send it back as "
        "If-None-Match for a 304."
    ),
    parameters=[
        OpenApiParameter("fmt", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(FORMATS)),
    ],
    responses={
        (200, "application/json"): OpenApiTypes.ANY,
        (200, "application/geo+json"): OpenApiTypes.ANY,
        (200, "application/ld+json"): OpenApiTypes.ANY,
        (200, "text/csv"): OpenApiTypes.STR,
        304: None,
    },
)
