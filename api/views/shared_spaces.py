"""GET /api/v1/shared-spaces/: spaces places open to other actors, with terms and contact.

Anonymous callers see public offers; a partner token also sees offers meant for partners.
Filters as on the public listing: kind, capacity, day and time, lat/lon and radius_km.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema
from api import serializers as api_serializers
from api.auth import ANYONE, token_of
from api.errors import ApiError, refuse_unknown_parameters
from economics import bookings, selectors
from economics.filters import shared_space_query
from economics.models import SpaceRequest
from places import ratelimits
from places.timezones import place_zone
from scheduling.materialise import to_utc

SHARED_SPACE_PARAMETERS = ("kind", "capacity", "day", "time", "lat", "lon", "radius_km", "format")


class SharedSpaceList(APIView):
    renderer_classes = [JSONRenderer]

    @schema.SHARED_SPACES
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
        data = api_serializers.SharedSpaceSerializer(
            items, many=True, context={"spare": spare}
        ).data
        response = Response({"count": len(data), "audience": audience, "results": data})
        response["Vary"] = "Accept, Authorization"
        return response


# -- requests to use a space (economics/bookings.py) ----------------------------------------


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

    @schema.SPACE_REQUEST_CREATE
    def post(self, request, pk: int):
        token = token_of(request)
        audience = "partners" if token is not None else "public"
        item = selectors.shared_space(pk, audience=audience)
        if item is None:
            raise ApiError(404, "not_found", _("This space is not shared."))
        serializer = api_serializers.SpaceRequestWriteSerializer(data=request.data)
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

    @schema.SPACE_REQUEST_DETAIL
    def get(self, request, token: str):
        found = bookings.request_from_token(token)
        if found is None:
            raise ApiError(404, "not_found", _("This link is not valid."))
        return Response(request_body(found))
