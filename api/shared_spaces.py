"""GET /api/v1/shared-spaces/: spaces places open to other actors, with terms and contact.

Anonymous callers see public offers; a partner token also sees offers meant for partners.
Filters as on the public listing: kind, capacity, day and time, lat/lon and radius_km.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import token_of
from api.errors import ApiError, refuse_unknown_parameters
from economics import selectors
from economics.filters import shared_space_query

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

    def get_contact(self, item) -> dict:
        return {
            "email": item.offer.contact_email or item.place.email,
            "phone": item.offer.contact_phone or item.place.phone,
        }


class SharedSpaceList(APIView):
    renderer_classes = [JSONRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, many=True),
            OpenApiParameter("capacity", int),
            OpenApiParameter("day", str, description="YYYY-MM-DD, with time"),
            OpenApiParameter("time", str, description="HH:MM local time, with day"),
            OpenApiParameter("lat", float),
            OpenApiParameter("lon", float),
            OpenApiParameter("radius_km", float),
        ],
        responses=SharedSpaceSerializer(many=True),
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
        data = SharedSpaceSerializer(items, many=True).data
        response = Response({"count": len(data), "audience": audience, "results": data})
        response["Vary"] = "Accept, Authorization"
        return response
