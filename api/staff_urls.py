"""Staff pages of partners (/manage/partners/): tokens, webhooks, agreements. One plain list."""

from django.urls import path

from api import agreement_staff_views, staff_views, webhook_views

app_name = "partners"

urlpatterns = [
    path("", staff_views.token_list, name="token_list"),
    path("new/", staff_views.token_create, name="token_create"),
    path("<int:pk>/revoke/", staff_views.token_revoke, name="token_revoke"),
    # Webhook subscriptions and their delivery log (api/webhook_views.py).
    path("webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/", webhook_views.webhook_log, name="webhook_log"),
    path("webhooks/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
    # Place–provider agreements (api/agreement_staff_views.py).
    path(
        "agreements/place/<uuid:public_id>/",
        agreement_staff_views.agreement_place,
        name="agreement_place",
    ),
    path(
        "agreements/place/<uuid:public_id>/new/",
        agreement_staff_views.agreement_create,
        name="agreement_create",
    ),
    path(
        "agreements/organisation/<slug:org_slug>/",
        agreement_staff_views.agreement_organisation,
        name="agreement_organisation",
    ),
    path("agreements/<int:pk>/edit/", agreement_staff_views.agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/end/", agreement_staff_views.agreement_end, name="agreement_end"),
]
