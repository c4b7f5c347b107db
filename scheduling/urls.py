from django.urls import path

from scheduling import views

app_name = "scheduling"

PLACE = "places/<uuid:public_id>/hours/"
OFFER = "places/<uuid:public_id>/offers/<int:offer_pk>/hours/"

urlpatterns = [
    path(PLACE, views.schedule_edit, name="place_hours"),
    path(f"{PLACE}exceptions/", views.exception_add, name="place_exception_add"),
    path(
        f"{PLACE}exceptions/<int:exception_pk>/remove/",
        views.exception_remove,
        name="place_exception_remove",
    ),
    path(f"{PLACE}calendar.ics", views.schedule_ics, name="place_ics"),
    path(f"{PLACE}osm-check/", views.osm_check, name="osm_check"),
    path(OFFER, views.schedule_edit, name="offer_hours"),
    path(f"{OFFER}exceptions/", views.exception_add, name="offer_exception_add"),
    path(
        f"{OFFER}exceptions/<int:exception_pk>/remove/",
        views.exception_remove,
        name="offer_exception_remove",
    ),
    path(f"{OFFER}calendar.ics", views.schedule_ics, name="offer_ics"),
]
