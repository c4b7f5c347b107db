"""URLs of the partner API, mounted at /api/v1/: one plain list."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from api.views import (
    agreements,
    catalogue,
    docs,
    exports,
    offers,
    places,
    root,
    shared_spaces,
    suggestions,
)

app_name = "api"

router = SimpleRouter()
router.register("places", places.PlaceViewSet, basename="place")
router.register("offers", offers.OfferViewSet, basename="offer")
router.register("service-kinds", catalogue.ServiceKindViewSet, basename="service-kind")
router.register("providers", catalogue.ProviderViewSet, basename="provider")
router.register("networks", catalogue.NetworkViewSet, basename="network")
router.register("suggestions", suggestions.SuggestionViewSet, basename="suggestion")
router.register("agreements", agreements.AgreementViewSet, basename="agreement")

urlpatterns = [
    path("", root.ApiRoot.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", docs.RedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
    path("exports/<str:fmt>/", exports.ExportViewSet.as_view({"get": "retrieve"}), name="export"),
    path("shared-spaces/", shared_spaces.SharedSpaceList.as_view(), name="shared_spaces"),
    path(
        "shared-spaces/<int:pk>/requests/",
        shared_spaces.SpaceRequestCreate.as_view(),
        name="space_request_create",
    ),
    path(
        "space-requests/<str:token>/",
        shared_spaces.SpaceRequestDetail.as_view(),
        name="space_request",
    ),
]
