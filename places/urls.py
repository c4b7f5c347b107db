from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from places import account_views, bulk_views, views

app_name = "manage"

urlpatterns = [
    path(
        "login/",
        views.LoginView.as_view(),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
            success_url=reverse_lazy("manage:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("manage:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        account_views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
    path("invitation/new/", account_views.invitation_request, name="invitation_request"),
    path("invitation/done/", account_views.invitation_complete, name="invitation_complete"),
    path("preferences/email/", account_views.email_preferences, name="email_preferences"),
    path("freshness/", account_views.stale_places, name="stale_places"),
    path("freshness/remind/", account_views.stale_remind, name="stale_remind"),
    path("places/<uuid:public_id>/verify/", account_views.place_verify, name="place_verify"),
    path(
        "places/<uuid:public_id>/refused-address/clear/",
        account_views.place_bounce_clear,
        name="place_bounce_clear",
    ),
    path(
        "organisations/<slug:org_slug>/members/refused-address/clear/",
        account_views.member_bounce_clear,
        name="member_bounce_clear",
    ),
    path("", views.home, name="home"),
    path("places/new/", views.place_create, name="place_create"),
    path("places/bulk/", bulk_views.bulk_confirm, name="place_bulk"),
    path("places/bulk/apply/", bulk_views.bulk_apply, name="place_bulk_apply"),
    path("places/bulk/report/", bulk_views.bulk_report, name="place_bulk_report"),
    path("places/export.csv", views.place_export, {"file_format": "csv"}, name="place_export_csv"),
    path(
        "places/export.xlsx",
        views.place_export,
        {"file_format": "xlsx"},
        name="place_export_xlsx",
    ),
    path("places/<uuid:public_id>/", views.place_detail, name="place_detail"),
    path("places/<uuid:public_id>/edit/", views.place_edit, name="place_edit"),
    path("places/<uuid:public_id>/publish/", views.place_publish, name="place_publish"),
    path("places/<uuid:public_id>/archive/", views.place_archive, name="place_archive"),
    path("places/<uuid:public_id>/restore/", views.place_restore, name="place_restore"),
    path("places/<uuid:public_id>/history/", views.place_history, name="place_history"),
    path("geocode/", views.geocode, name="geocode"),
    path("organisations/<slug:org_slug>/members/", views.members, name="members"),
    path(
        "organisations/<slug:org_slug>/activity/",
        views.organisation_activity,
        name="organisation_activity",
    ),
    path("organisations/<slug:org_slug>/members/add/", views.member_add, name="member_add"),
    path(
        "organisations/<slug:org_slug>/members/<int:pk>/role/",
        views.member_role,
        name="member_role",
    ),
    path(
        "organisations/<slug:org_slug>/members/<int:pk>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("suggestions/", views.suggestion_list, name="suggestion_list"),
    path("suggestions/<int:pk>/", views.suggestion_detail, name="suggestion_detail"),
    path("suggestions/<int:pk>/accept/", views.suggestion_accept, name="suggestion_accept"),
    path("suggestions/<int:pk>/edit/", views.suggestion_edit, name="suggestion_edit"),
    path("suggestions/<int:pk>/reject/", views.suggestion_reject, name="suggestion_reject"),
]
