"""GET /api/v1/shared-spaces/: spaces places open to other actors, with terms and contact.

Anonymous callers see public offers; a partner token also sees offers meant for partners.
Filters as on the public listing: kind, capacity, day and time, lat/lon and radius_km.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import ANYONE, token_of
from api.errors import ApiError, refuse_unknown_parameters
from economics import bookings, selectors
from economics.filters import shared_space_query
from economics.models import Space, SpaceRequest
from places import ratelimits
from places.timezones import place_zone
from scheduling.materialise import to_utc

SHARED_SPACE_PARAMETERS = ("kind", "capacity", "day", "time", "lat", "lon", "radius_km", "format")


class SharedSpaceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="space.pk")
    name = serializers.CharField(source="space.name")
    kind = serializers.CharField(source="space.kind")
    capacity = serializers.IntegerField(source="space.capacity")
    capacity_unit = serializers.CharField(source="space.capacity_unit")
    area_m2 = serializers.DecimalField(
        source="space.area_m2", max_digits=9, decimal_places=2, allow_null=True
    )
    rules = serializers.JSONField(source="offer.rules")
    closed_on_public_holidays = serializers.BooleanField(source="offer.public_holidays_closed")
    terms = serializers.CharField(source="offer.terms")
    price_eur = serializers.DecimalField(
        source="offer.price", max_digits=10, decimal_places=2, allow_null=True
    )
    conditions = serializers.CharField(source="offer.conditions")
    audiences = serializers.ListField(source="offer.audiences", child=serializers.CharField())
    visibility = serializers.CharField(source="offer.visibility")
    distance_km = serializers.FloatField(allow_null=True)
    place = serializers.SerializerMethodField()
    contact = serializers.SerializerMethodField()
    spare = serializers.SerializerMethodField()

    def get_place(self, item) -> dict:
        place = item.place
        return {
            "id": str(place.public_id),
            "slug": place.slug,
            "name": place.name,
            "address": place.address,
            "postcode": place.postcode,
            "commune": place.commune,
            "latitude": None if place.latitude is None else float(place.latitude),
            "longitude": None if place.longitude is None else float(place.longitude),
        }

    def get_spare(self, item) -> dict | None:
        """Free times left this month, published only where the place opted in."""
        if not item.offer.show_spare:
            return None
        # The list reads every opted-in space's uses at once (`spare` in the context).
        known = self.context.get("spare") or {}
        spare = known.get(item.offer.pk) or selectors.spare_times(item.offer)
        return {
            "from": spare["first"].isoformat(),
            "until": spare["stop"].isoformat(),
            "shared_hours": spare["shared_hours"],
            "booked_hours": spare["booked_hours"],
            "free_hours": spare["free_hours"],
            "slots": spare["slots"],
            "text": spare["text"],
        }

    def get_contact(self, item) -> dict:
        return {
            "email": item.offer.contact_email or item.place.email,
            "phone": item.offer.contact_phone or item.place.phone,
        }


class SharedSpaceList(APIView):
    renderer_classes = [JSONRenderer]

    @extend_schema(
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
                "count": serializers.IntegerField(),
                "audience": serializers.ChoiceField(choices=["public", "partners"]),
                "results": SharedSpaceSerializer(many=True),
            },
        ),
    )
    def get(self, request):
        refuse_unknown_parameters(request, SHARED_SPACE_PARAMETERS)
        query, errors = shared_space_query(request.query_params)
        if errors:
            raise ApiError(
                400, "invalid_parameter", _("Invalid parameters: see “fields”."), fields=errors
            )
        audience = "partners" if token_of(request) is not None else "public"
        items = selectors.shared_spaces(audience=audience, **query)
        spare = selectors.spare_times_many([i.offer for i in items if i.offer.show_spare])
        data = SharedSpaceSerializer(items, many=True, context={"spare": spare}).data
        response = Response({"count": len(data), "audience": audience, "results": data})
        response["Vary"] = "Accept, Authorization"
        return response


# -- requests to use a space (economics/bookings.py) ----------------------------------------


class SpaceRequestWriteSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="ISO 8601; without an offset, the place's local time")
    end = serializers.CharField(help_text="ISO 8601; without an offset, the place's local time")
    repeat_until = serializers.DateField(required=False, allow_null=True)
    people = serializers.IntegerField(min_value=1, max_value=100000)
    purpose = serializers.CharField(max_length=2000)
    name = serializers.CharField(max_length=160)
    email = serializers.EmailField()
    association = serializers.CharField(max_length=160, required=False, allow_blank=True)
    accept_conditions = serializers.BooleanField(required=False, default=False)


def _moment(value: str, tz, field: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value)
        if not 2000 <= moment.year <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        raise ApiError(
            400,
            "invalid",
            _("Invalid date and time."),
            fields={field: [_("Give a date and time as YYYY-MM-DDTHH:MM, between 2000 and 2100.")]},
        ) from None
    if moment.tzinfo is None:
        return to_utc(moment, tz)
    return moment


def request_body(found: SpaceRequest) -> dict:
    tz = place_zone(found.space.place)
    return {
        "id": str(found.public_id),
        "space": found.space_id,
        "place": found.space.place.name,
        "status": found.status,
        "start": found.start.astimezone(tz).isoformat(),
        "end": found.end.astimezone(tz).isoformat(),
        "repeat_until": found.repeat_until and found.repeat_until.isoformat(),
        "people": found.people,
        "decision": bookings.decision_text(found),
        "reason": found.reason,
        "proposed_start": found.proposed_start and found.proposed_start.astimezone(tz).isoformat(),
        "proposed_end": found.proposed_end and found.proposed_end.astimezone(tz).isoformat(),
        "uses": [
            {"start": u.start.astimezone(tz).isoformat(), "end": u.end.astimezone(tz).isoformat()}
            for u in found.uses.all()
        ],
        "token": bookings.request_token(found),
        "link": bookings.follow_url(found),
    }


class SpaceRequestCreate(APIView):
    """POST /api/v1/shared-spaces/<id>/requests/: ask to use a space (no account).

    Anonymous callers count against the suggestions' per-address limit; a partner token
    is not limited that way and may also ask for spaces shared with partners.
    """

    renderer_classes = [JSONRenderer]
    write_scope = ANYONE  # anyone may ask, under the suggestions' per-address limit

    @extend_schema(request=SpaceRequestWriteSerializer, responses={201: dict})
    def post(self, request, pk: int):
        token = token_of(request)
        audience = "partners" if token is not None else "public"
        item = selectors.shared_space(pk, audience=audience)
        if item is None:
            raise ApiError(404, "not_found", _("This space is not shared."))
        serializer = SpaceRequestWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if token is None and ratelimits.suggestion_over_limit(ratelimits.client_ip(request)):
            raise Throttled(
                wait=ratelimits.limit_of("suggestion-address")[1],
                detail=_(
                    "Too many requests were sent from your connection. Please try again later."
                ),
            )
        values = dict(serializer.validated_data)
        tz = place_zone(item.place)
        values["start"] = _moment(values["start"], tz, "start")
        values["end"] = _moment(values["end"], tz, "end")
        try:
            found = bookings.request_create(
                space=item.space,
                data=values,
                audience=audience,
                source=f"api:{token.pk}" if token is not None else "api",
                language=get_language() or "",
            )
        except ValidationError as exc:
            raise ApiError(
                400,
                "refused",
                _("The request was refused: see the fields."),
                fields=exc.message_dict
                if hasattr(exc, "error_dict")
                else {"__all__": exc.messages},
                alternatives=[
                    {"start": s.astimezone(tz).isoformat(), "end": e.astimezone(tz).isoformat()}
                    for s, e in getattr(exc, "alternatives", [])
                ],
            ) from None
        return Response(request_body(found), status=status.HTTP_201_CREATED)


class SpaceRequestDetail(APIView):
    """GET /api/v1/space-requests/<token>/: one's own request, read with its signed token."""

    renderer_classes = [JSONRenderer]

    @extend_schema(responses={200: dict})
    def get(self, request, token: str):
        found = bookings.request_from_token(token)
        if found is None:
            raise ApiError(404, "not_found", _("This link is not valid."))
        return Response(request_body(found))
