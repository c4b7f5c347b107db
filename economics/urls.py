from django.urls import path

from economics import request_views, views

app_name = "economics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("places/<uuid:public_id>/", views.place_economics, name="place"),
    path(
        "places/<uuid:public_id>/budget/<int:year>/<str:scenario>/",
        views.budget_edit,
        name="budget_edit",
    ),
    path("places/<uuid:public_id>/import/<str:what>/", views.import_csv, name="import"),
    path("places/<uuid:public_id>/attendance/new/", views.attendance_add, name="attendance_add"),
    path("places/<uuid:public_id>/spaces/new/", views.space_edit, name="space_create"),
    path("places/<uuid:public_id>/spaces/<int:pk>/", views.space_edit, name="space_edit"),
    path(
        "places/<uuid:public_id>/spaces/<int:pk>/delete/", views.space_delete, name="space_delete"
    ),
    path(
        "places/<uuid:public_id>/spaces/<int:pk>/sharing/",
        views.sharing_edit,
        name="sharing_edit",
    ),
    # The sharing loop's staff pages (economics/request_views.py).
    path("requests/", request_views.space_requests, name="space_requests"),
    path("requests/uses.ics", request_views.space_uses_ics, name="space_uses_ics"),
    path("requests/<int:pk>/", request_views.space_request_decide, name="space_request"),
]
