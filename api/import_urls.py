from django.urls import path

from api import import_views

app_name = "imports"

urlpatterns = [
    path("", import_views.import_upload, name="upload"),
    path("duplicates/", import_views.duplicate_list, name="duplicate_list"),
    path("duplicates/<int:pk>/", import_views.duplicate_detail, name="duplicate_detail"),
    path("duplicates/<int:pk>/merge/", import_views.duplicate_merge_view, name="duplicate_merge"),
    path(
        "conflicts/<int:pk>/check/",
        import_views.conflict_check_view,
        name="conflict_check",
    ),
    path(
        "duplicates/<int:pk>/dismiss/",
        import_views.duplicate_dismiss_view,
        name="duplicate_dismiss",
    ),
    path("runs/", import_views.run_list, name="run_list"),
    path("runs/<int:pk>/", import_views.run_detail, name="run_detail"),
]
