"""URLs of the partner API, mounted at /api/v1/. Append new routes at the end."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from api import docs_views, root, views

app_name = "api"

router = SimpleRouter()
router.register("places", views.PlaceViewSet, basename="place")
router.register("offers", views.OfferViewSet, basename="offer")
router.register("service-kinds", views.ServiceKindViewSet, basename="service-kind")
router.register("providers", views.ProviderViewSet, basename="provider")
router.register("networks", views.NetworkViewSet, basename="network")
router.register("suggestions", views.SuggestionViewSet, basename="suggestion")

urlpatterns = [
    path("", root.ApiRoot.as_view(), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_views.SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", docs_views.RedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
]

# Open-data exports, streamed (api/export_views.py).
from api import export_views  # noqa: E402

urlpatterns += [path("exports/<str:fmt>/", export_views.export_download, name="export")]

# Spaces to share (api/shared_spaces.py).
from api import shared_spaces  # noqa: E402

urlpatterns += [
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

# Place–provider agreements (api/agreement_views.py).
from api import agreement_views  # noqa: E402

agreement_router = SimpleRouter()
agreement_router.register("agreements", agreement_views.AgreementViewSet, basename="agreement")
urlpatterns += agreement_router.urls
