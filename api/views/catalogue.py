"""The catalogue's read-only lists: service kinds, providers, networks."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.response import Response

from api import filters as api_filters
from api import schema
from api import serializers as api_serializers
from api.pagination import paginate
from api.views.base import ApiViewSet
from places.models import Network
from services.models import Provider, ServiceKind


class _SimpleList(ApiViewSet):
    ordering_field = "slug"
    lookup_field = "slug"
    lookup_url_kwarg = "id"
    filter_backends = [DjangoFilterBackend]

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = paginate(request, queryset, [(self.ordering_field, "str")])
        data = self.get_serializer(page.rows, many=True).data
        return Response({"results": data, "next": page.next, "previous": page.previous})

    def retrieve(self, request, *args, **kwargs):
        item = get_object_or_404(self.get_queryset(), slug=kwargs["id"])
        return Response(self.get_serializer(item).data)


@schema.SERVICE_KINDS
class ServiceKindViewSet(_SimpleList):
    serializer_class = api_serializers.ServiceKindSerializer
    filterset_class = api_filters.ServiceKindFilter

    def get_queryset(self):
        return ServiceKind.objects.select_related("category")


@schema.PROVIDERS
class ProviderViewSet(_SimpleList):
    serializer_class = api_serializers.ProviderSerializer
    filterset_class = api_filters.ProviderFilter

    def get_queryset(self):
        return Provider.objects.all()


@schema.NETWORKS
class NetworkViewSet(_SimpleList):
    serializer_class = api_serializers.NetworkSerializer
    filterset_class = api_filters.NetworkFilter

    def get_queryset(self):
        return Network.objects.all()
