"""Place–provider agreements in the partner API (/api/v1/agreements/).

Reading needs a token with the `read` scope: it sees the agreements of its organisation's
places and those of its own provider. Writing needs `write:agreements` and is limited to
the places of the token's organisation. Every write goes through api/actions.py.
"""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from api import actions, schema
from api import serializers as api_serializers
from api.auth import token_of
from api.errors import ApiError
from api.models import PartnerToken, PlaceProviderAgreement
from api.pagination import paginate
from api.views.base import ApiViewSet
from places.models import Place
from places.versioning import StaleRecord
from services.models import Provider


@schema.AGREEMENTS
class AgreementViewSet(ApiViewSet):
    # For the schema only (the path parameter's type); reads go through get_queryset().
    queryset = PlaceProviderAgreement.objects.none()
    serializer_class = api_serializers.AgreementSerializer
    write_scope = PartnerToken.Scope.WRITE_AGREEMENTS
    # Reading needs a token too (api/openapi.py: no anonymous access in the schema).
    token_required = True
    # An id is a number: any other shape matches no route (a JSON 404), never int("x").
    lookup_value_regex = r"[0-9]+"

    def _reader(self) -> PartnerToken:
        token = token_of(self.request)
        if token is None:
            raise ApiError(401, "not_authenticated", _("A partner token is needed."))
        if not (
            token.has_scope(PartnerToken.Scope.READ)
            or token.has_scope(PartnerToken.Scope.WRITE_AGREEMENTS)
        ):
            raise ApiError(
                403,
                "missing_scope",
                _("This token lacks the “%(scope)s” scope.") % {"scope": "read"},
            )
        return token

    def get_queryset(self):
        token = self._reader()
        condition = Q(place__organisation_id=token.organisation_id)
        if token.provider_id:
            condition |= Q(provider_id=token.provider_id)
        return (
            PlaceProviderAgreement.objects.filter(condition)
            .select_related("place", "provider")
            .prefetch_related("kinds")
        )

    def _writable(self, pk) -> PlaceProviderAgreement:
        token = self._token()
        return get_object_or_404(
            PlaceProviderAgreement.objects.select_related("place", "provider"),
            pk=pk,
            place__organisation_id=token.organisation_id,
        )

    @staticmethod
    def _render(agreement: PlaceProviderAgreement) -> dict:
        agreement = (
            PlaceProviderAgreement.objects.select_related("place", "provider")
            .prefetch_related("kinds")
            .get(pk=agreement.pk)
        )
        return api_serializers.AgreementSerializer(agreement).data

    def list(self, request, *args, **kwargs):
        page = paginate(request, self.get_queryset(), [("id", "int")])
        data = api_serializers.AgreementSerializer(page.rows, many=True).data
        return Response({"results": data, "next": page.next, "previous": page.previous})

    def retrieve(self, request, *args, **kwargs):
        agreement = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        self.etag_version = agreement.version
        self.last_modified = agreement.updated_at
        return Response(api_serializers.AgreementSerializer(agreement).data)

    @schema.AGREEMENT_CREATE
    def create(self, request, *args, **kwargs):
        token = self._token()
        serializer = self._validated(api_serializers.AgreementWriteSerializer)
        values = serializer.validated_data
        missing = [n for n in ("place", "provider") if n not in values]
        if missing:
            raise ApiError(
                400,
                "invalid",
                _("The request was refused: see the fields."),
                fields={n: [_("This field is required.")] for n in missing},
            )
        place = Place.objects.filter(
            public_id=values["place"], organisation_id=token.organisation_id
        ).first()
        provider = Provider.objects.filter(slug=values["provider"]).first()
        fields = {}
        if place is None:
            fields["place"] = [_("Unknown place, or not one of your organisation's places.")]
        if provider is None:
            fields["provider"] = [_("Unknown provider.")]
        if fields:
            raise ApiError(
                400, "invalid", _("The request was refused: see the fields."), fields=fields
            )
        agreement = actions.agreement_create(
            user=None,
            place=place,
            provider=provider,
            kinds=values.get("service_kinds", []),
            starts_on=values.get("starts_on"),
            ends_on=values.get("ends_on"),
            terms=values.get("terms", ""),
            source=token.source,
        )
        return Response(
            self._with_warnings(self._render(agreement), serializer),
            status=status.HTTP_201_CREATED,
        )

    @schema.AGREEMENT_UPDATE
    def partial_update(self, request, *args, **kwargs):
        token = self._token()
        agreement = self._writable(kwargs["pk"])
        serializer = self._validated(api_serializers.AgreementWriteSerializer, partial=True)
        values = serializer.validated_data
        moved = [n for n in ("place", "provider") if n in values]
        if moved:
            raise ApiError(
                400,
                "invalid",
                _("An agreement cannot move to another place or provider."),
                fields={n: [_("Create a new agreement instead.")] for n in moved},
            )
        changes = {k: v for k, v in values.items() if k in ("starts_on", "ends_on", "terms")}
        if "service_kinds" in values:
            changes["kinds"] = values["service_kinds"]
        expected, how = self._expected_version(values.get("version"))
        try:
            agreement = actions.agreement_update(
                agreement=agreement,
                user=None,
                expected_version=expected,
                source=token.source,
                **changes,
            )
        except StaleRecord as exc:
            raise self._stale(how, exc.messages[0], self._render(exc.current)) from None
        return Response(self._with_warnings(self._render(agreement), serializer))

    @schema.AGREEMENT_END
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, *args, **kwargs):
        token = self._token()
        agreement = self._writable(kwargs["pk"])
        serializer = self._validated(api_serializers.AgreementEndSerializer)
        expected, how = self._expected_version(serializer.validated_data.get("version"))
        try:
            agreement = actions.agreement_end(
                agreement=agreement,
                user=None,
                expected_version=expected,
                on=serializer.validated_data.get("ends_on"),
                source=token.source,
            )
        except StaleRecord as exc:
            raise self._stale(how, exc.messages[0], self._render(exc.current)) from None
        return Response(self._with_warnings(self._render(agreement), serializer))
