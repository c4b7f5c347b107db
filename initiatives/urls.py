"""Staff pages of calls for initiatives and guides, mounted at /manage/initiatives/."""

from django.urls import path

from initiatives import views

app_name = "initiatives"

urlpatterns = [
    path("", views.call_list, name="call_list"),
    path("calls/new/", views.call_create, name="call_create"),
    path("calls/<int:pk>/", views.call_detail, name="call_detail"),
    path("calls/<int:pk>/edit/", views.call_edit, name="call_edit"),
    path("projects/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("projects/<int:pk>/review/", views.submission_review, name="submission_review"),
    path("projects/<int:pk>/place/", views.submission_place, name="submission_place"),
    path("guides/", views.guide_list, name="guide_list"),
    path("guides/new/", views.guide_edit, name="guide_create"),
    path("guides/<int:pk>/edit/", views.guide_edit, name="guide_edit"),
]
