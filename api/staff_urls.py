from django.urls import path

from api import staff_views

app_name = "partners"

urlpatterns = [
    path("", staff_views.token_list, name="token_list"),
    path("new/", staff_views.token_create, name="token_create"),
    path("<int:pk>/revoke/", staff_views.token_revoke, name="token_revoke"),
]

# Webhook subscriptions and their delivery log (api/webhook_views.py).
from api import webhook_views  # noqa: E402

urlpatterns += [
    path("webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/", webhook_views.webhook_log, name="webhook_log"),
    path("webhooks/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook_delete"),
]
