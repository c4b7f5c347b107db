"""GET/POST/PATCH /api/v1/places/ and PUT /api/v1/places/<id>/schedule/."""

from __future__ import annotations

from django.db.models import F, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api import filters as api_filters
from api import schema
from api import serializers as api_serializers
from api.auth import token_of
from api.errors import ApiError
from api.idempotency import run_idempotent
from api.models import PartnerToken
from api.pagination import keyset_batches, paginate
from api.renderers import CSVRenderer, GeoJSONRenderer
from api.views.base import ApiViewSet, csv_response, set_schedule
from api.views.calendar import PlaceCalendar
from places import actions as place_actions
from places.access import access_place
from places.models import Place
from places.selectors import place_list
from scheduling import status as place_status
from scheduling.status import statuses_for
from services.selectors import live_offer_summaries


def _place_queryset():
    # The offers are read for a page's places at once (`offers` in the context).
    return place_list(Place.objects.all()).select_related("schedule")


@schema.PLACES
class PlaceViewSet(PlaceCalendar, ApiViewSet):
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"
    serializer_class = api_serializers.PlaceSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = api_filters.PlaceFilter
    renderer_classes = [JSONRenderer, GeoJSONRenderer, CSVRenderer]
    write_scope = PartnerToken.Scope.WRITE_PLACES

    def get_queryset(self):
        return _place_queryset()

    def _readable(self):
        """Published and archived places; a write:places token also sees its drafts."""
        condition = Q(status__in=[Place.Status.PUBLISHED, Place.Status.ARCHIVED])
        token = token_of(self.request)
        if token is not None and token.has_scope(PartnerToken.Scope.WRITE_PLACES):
            condition |= Q(organisation_id=token.organisation_id)
        return self.get_queryset().filter(condition)

    def _ordering(self, ranked=False):
        """Keyset order: most relevant first when `q` matched words, then nearest around
        `near`, else by change date; the id last, for uniqueness."""
        keys = [("relevance", "float")] if ranked else []
        if self.request.query_params.get("near"):
            keys.append(("distance_km", "float"))
        elif not ranked:
            keys.append(("updated_at", "datetime"))
        return [*keys, ("id", "int")]

    def _context(self, places, at=None):
        return {
            "request": self.request,
            "statuses": statuses_for(places, at or place_status.clock()),
            "offers": live_offer_summaries(place.pk for place in places),
        }

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if request.accepted_renderer.format == "csv":
            return self._stream_csv(queryset)
        ranked = "text_rank" in queryset.query.annotations
        if ranked:
            queryset = queryset.annotate(relevance=-F("text_rank"))
        page = paginate(request, queryset, self._ordering(ranked))
        data = api_serializers.PlaceSerializer(
            page.rows, many=True, context=self._context(page.rows)
        ).data
        return Response({"results": data, "next": page.next, "previous": page.previous})

    def _stream_csv(self, queryset):
        """The whole result, by keyset batches: memory stays flat whatever its size."""

        def rows():
            for batch in keyset_batches(queryset, self._ordering()):
                context = self._context(batch)
                for item in api_serializers.PlaceSerializer(batch, many=True, context=context).data:
                    item.pop("offers", None)
                    item.pop("profiles", None)
                    yield item

        return csv_response(rows(), "places.csv")

    def retrieve(self, request, *args, **kwargs):
        place = get_object_or_404(self._readable(), public_id=kwargs["id"])
        self.etag_version = place.version
        self.last_modified = place.updated_at
        return Response(api_serializers.PlaceSerializer(place, context=self._context([place])).data)

    def _render_place(self, place: Place) -> dict:
        place = _place_queryset().get(pk=place.pk)
        return api_serializers.PlaceSerializer(place, context=self._context([place])).data

    def _own_place(self, token: PartnerToken, public_id) -> Place:
        """The place if this token may write it (places.access: 403 `not_your_place`)."""
        return access_place(self.request.user, public_id, write=True)

    @schema.PLACE_CREATE
    def create(self, request, *args, **kwargs):
        return run_idempotent(request, self._create)

    def _create(self):
        token = self._token()
        serializer = self._validated(api_serializers.PlaceWriteSerializer)
        values = serializer.validated_data
        wanted = self.request.data.get("status", Place.Status.DRAFT)
        if wanted not in (Place.Status.DRAFT, Place.Status.PUBLISHED):
            raise ApiError(
                400,
                "invalid",
                _("A new place is a draft or published."),
                fields={"status": [_("Expected draft or published.")]},
            )
        place = place_actions.place_create(
            user=None,
            organisation=token.organisation,
            data=serializer.place_data(),
            typologies=values.get("typologies", []),
            networks=values.get("networks", []),
            profiles=values.get("profiles") or {},
            status=wanted,
            source=token.source,
        )
        data = self._with_warnings(self._render_place(place), serializer)
        response = Response(data, status=status.HTTP_201_CREATED)
        response["Location"] = self.request.build_absolute_uri(f"{place.public_id}/")
        return response

    @schema.PLACE_UPDATE
    def partial_update(self, request, *args, **kwargs):
        token = self._token()
        place = self._own_place(token, kwargs["id"])
        serializer = self._validated(api_serializers.PlaceWriteSerializer, partial=True)
        values = serializer.validated_data
        expected, how = self._expected_version(values.get("version"))
        try:
            place = place_actions.place_update(
                place=place,
                user=None,
                expected_version=expected,
                data=serializer.place_data(),
                typologies=values.get("typologies"),
                networks=values.get("networks"),
                profiles=values.get("profiles"),
                source=token.source,
            )
        except place_actions.StaleVersion as exc:
            raise self._stale(how, exc.messages[0], self._render_place(exc.current)) from None
        return Response(self._with_warnings(self._render_place(place), serializer))

    @schema.PLACE_SCHEDULE
    @action(detail=True, methods=["put"], url_path="schedule")
    def schedule(self, request, *args, **kwargs):
        token = self._token()
        place = self._own_place(token, kwargs["id"])
        serializer = set_schedule(self, token, place=place)
        return Response(self._with_warnings(self._render_place(place), serializer))
