"""GET /api/v1/: where to start, as links to every resource, the exports and the docs."""

from __future__ import annotations

from django.urls import reverse
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema
from api.errors import refuse_unknown_parameters
from api.exports import FORMATS

RESOURCES = {
    "places": "api:place-list",
    "offers": "api:offer-list",
    "service_kinds": "api:service-kind-list",
    "providers": "api:provider-list",
    "networks": "api:network-list",
    "suggestions": "api:suggestion-list",
    "shared_spaces": "api:shared_spaces",
}
DOCS = {"schema": "api:schema", "docs": "api:docs", "redoc": "api:redoc"}


class ApiRoot(APIView):
    renderer_classes = [JSONRenderer]

    @schema.ROOT
    def get(self, request):
        refuse_unknown_parameters(request, ())

        def url(name, *args):
            return request.build_absolute_uri(reverse(name, args=args))

        return Response(
            {
                "resources": {key: url(name) for key, name in RESOURCES.items()},
                "exports": {fmt: url("api:export", fmt) for fmt in FORMATS},
                **{key: url(name) for key, name in DOCS.items()},
            }
        )
