"""GET/POST/PATCH /api/v1/offers/ and PUT /api/v1/offers/<id>/schedule/."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api import filters as api_filters
from api import schema
from api import serializers as api_serializers
from api.actions import agreement_allows
from api.errors import ApiError
from api.idempotency import run_idempotent
from api.models import PartnerToken
from api.pagination import keyset_batches, paginate
from api.renderers import CSVRenderer, GeoJSONRenderer
from api.views.base import ApiViewSet, csv_response, set_schedule
from places.models import Place
from services import actions as offer_actions
from services.models import ServiceKind, ServiceOffer


def _offer_queryset():
    return ServiceOffer.objects.filter(
        place__status__in=[Place.Status.PUBLISHED, Place.Status.ARCHIVED]
    ).select_related("place", "kind", "provider", "schedule")


@schema.OFFERS
class OfferViewSet(ApiViewSet):
    serializer_class = api_serializers.OfferSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = api_filters.OfferFilter
    renderer_classes = [JSONRenderer, GeoJSONRenderer, CSVRenderer]
    write_scope = PartnerToken.Scope.WRITE_OFFERS
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return _offer_queryset()

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        ordering = [("updated_at", "datetime"), ("id", "int")]
        if request.accepted_renderer.format == "csv":

            def rows():
                for batch in keyset_batches(queryset, ordering):
                    yield from api_serializers.OfferSerializer(batch, many=True).data

            return csv_response(rows(), "offers.csv")
        page = paginate(request, queryset, ordering)
        data = api_serializers.OfferSerializer(page.rows, many=True).data
        return Response({"results": data, "next": page.next, "previous": page.previous})

    def retrieve(self, request, *args, **kwargs):
        offer = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        self.etag_version = offer.version
        self.last_modified = offer.updated_at
        return Response(api_serializers.OfferSerializer(offer).data)

    def _provider_token(self) -> PartnerToken:
        token = self._token()
        if token.provider_id is None:
            raise ApiError(403, "no_provider", _("This token is not attached to a provider."))
        return token

    def _own_offer(self, token: PartnerToken, pk) -> ServiceOffer:
        offer = get_object_or_404(ServiceOffer.objects.select_related("place"), pk=pk)
        if offer.provider_id != token.provider_id:
            raise ApiError(
                403,
                "not_your_offer",
                _("This offer belongs to another provider."),
            )
        return offer

    @staticmethod
    def _render(offer: ServiceOffer) -> dict:
        offer = ServiceOffer.objects.select_related("place", "kind", "provider", "schedule").get(
            pk=offer.pk
        )
        return api_serializers.OfferSerializer(offer).data

    @schema.OFFER_CREATE
    def create(self, request, *args, **kwargs):
        return run_idempotent(request, self._create)

    def _create(self):
        token = self._provider_token()
        serializer = self._validated(api_serializers.OfferWriteSerializer)
        values = serializer.validated_data
        for name in ("place", "service_kind"):
            if name not in values:
                raise ApiError(
                    400,
                    "invalid",
                    _("The request was refused: see the fields."),
                    fields={name: [_("This field is required.")]},
                )
        place = Place.objects.filter(public_id=values["place"]).first()
        if place is None:
            raise ApiError(
                400,
                "invalid",
                _("Unknown place."),
                fields={"place": [_("Unknown place.")]},
            )
        kind = ServiceKind.objects.filter(slug=values["service_kind"]).first()
        if kind is None:
            raise ApiError(
                400,
                "invalid",
                _("The request was refused: see the fields."),
                fields={
                    "service_kind": [
                        _("Unknown service kind: %(value)s.") % {"value": values["service_kind"]}
                    ]
                },
            )
        if not _accepted(place, token.provider_id, kind):
            raise ApiError(
                403,
                "place_not_accepted",
                _("This place has not accepted offers from %(provider)s.")
                % {"provider": token.provider},
            )
        offer = offer_actions.offer_create(
            place=place,
            user=None,
            data={**serializer.offer_data(), "provider": token.provider},
            source=token.source,
        )
        response = Response(
            self._with_warnings(self._render(offer), serializer), status=status.HTTP_201_CREATED
        )
        response["Location"] = self.request.build_absolute_uri(f"{offer.pk}/")
        return response

    @schema.OFFER_UPDATE
    def partial_update(self, request, *args, **kwargs):
        token = self._provider_token()
        offer = self._own_offer(token, kwargs["pk"])
        serializer = self._validated(api_serializers.OfferWriteSerializer, partial=True)
        if "place" in serializer.validated_data:
            raise ApiError(
                400,
                "invalid",
                _("An offer cannot move to another place."),
                fields={"place": [_("Create a new offer instead.")]},
            )
        new_kind = serializer.validated_data.get("service_kind")
        if new_kind and new_kind != offer.kind.slug:
            kind = ServiceKind.objects.filter(slug=new_kind).first()
            if kind is not None and not _accepted(offer.place, token.provider_id, kind):
                raise ApiError(
                    403,
                    "place_not_accepted",
                    _("This place has not accepted offers of this kind from %(provider)s.")
                    % {"provider": token.provider},
                )
        expected, how = self._expected_version(serializer.validated_data.get("version"))
        try:
            offer = offer_actions.offer_update(
                offer=offer,
                user=None,
                expected_version=expected,
                data=serializer.offer_data(),
                source=token.source,
            )
        except offer_actions.StaleOffer as exc:
            raise self._stale(how, exc.messages[0], self._render(exc.current)) from None
        return Response(self._with_warnings(self._render(offer), serializer))

    @schema.OFFER_SCHEDULE
    @action(detail=True, methods=["put"], url_path="schedule")
    def schedule(self, request, *args, **kwargs):
        token = self._provider_token()
        offer = self._own_offer(token, kwargs["pk"])
        serializer = set_schedule(self, token, offer=offer)
        return Response(self._with_warnings(self._render(offer), serializer))


def _accepted(place: Place, provider_id: int, kind: ServiceKind | None = None) -> bool:
    """Has the place accepted offers of this kind from this provider? (see docs/api.md)

    An agreement, when the pair has one, decides alone (its dates and kinds); without
    one, a live offer of the provider at the place is consent enough, as before.
    """
    allowed = agreement_allows(
        place=place, provider_id=provider_id, kind=kind, day=timezone.localdate()
    )
    if allowed is not None:
        return allowed
    return (
        ServiceOffer.objects.filter(place=place, provider_id=provider_id)
        .exclude(status=ServiceOffer.Status.ENDED)
        .exists()
    )
