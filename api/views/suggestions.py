"""POST /api/v1/suggestions/: residents' and partners' corrections and new places."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response

from api import schema
from api import serializers as api_serializers
from api.auth import ANYONE
from api.errors import ApiError
from api.idempotency import run_idempotent
from api.views.base import ApiViewSet
from places import actions as place_actions
from places import ratelimits
from places.models import Place, Suggestion


class SuggestionViewSet(ApiViewSet):
    """Residents' and partners' corrections and new places, moderated by staff."""

    serializer_class = api_serializers.SuggestionWriteSerializer
    write_scope = ANYONE  # no account needed; limited per address instead

    @schema.SUGGESTION_CREATE
    def create(self, request, *args, **kwargs):
        return run_idempotent(request, self._create)

    def _create(self):
        serializer = self._validated(api_serializers.SuggestionWriteSerializer)
        values = serializer.validated_data
        place = None
        if values.get("place"):
            place = Place.objects.filter(
                public_id=values["place"], status=Place.Status.PUBLISHED
            ).first()
            if place is None:
                raise ApiError(
                    400, "invalid", _("Unknown place."), fields={"place": [_("Unknown place.")]}
                )
        ip = ratelimits.client_ip(self.request)
        # The same counter as the directory's suggestion forms: one limit per address.
        if ratelimits.suggestion_over_limit(ip):
            raise Throttled(
                wait=ratelimits.limit_of("suggestion-address")[1],
                detail=_(
                    "Too many suggestions were sent from your connection. Please try again later."
                ),
            )
        suggestion: Suggestion = place_actions.suggestion_submit(
            kind=values["kind"],
            data=values.get("data") or {},
            place=place,
            message=values.get("message", ""),
            email=values.get("email", ""),
            ip=ip,
        )
        data = self._with_warnings({"id": suggestion.pk, "status": suggestion.status}, serializer)
        return Response(data, status=status.HTTP_201_CREATED)
