from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("manage/partners/", include("api.staff_urls")),
    path("manage/coverage/", include("economics.coverage_urls")),
    path("manage/territory/", include("territory.urls")),
    path("manage/imports/", include("api.import_urls")),
    path("manage/", include("places.urls")),
    path("manage/services/", include("services.urls")),
    path("manage/scheduling/", include("scheduling.urls")),
    path("manage/economics/", include("economics.urls")),
    path("manage/initiatives/", include("initiatives.urls")),
    path("api/v1/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("django-admin/", admin.site.urls),
    path("", include("directory.urls")),
]
