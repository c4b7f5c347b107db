from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"

    def ready(self) -> None:
        # Webhook events come from the registry's history: the domain apps record every
        # write as a ChangeRecord and never learn that the api app listens.
        from django.db.models.signals import post_save

        from api.webhooks import on_change_recorded, on_changes_recorded
        from places.models import ChangeRecord
        from places.signals import changes_recorded

        post_save.connect(
            on_change_recorded, sender=ChangeRecord, dispatch_uid="api.webhooks.on_change"
        )
        # The bulk actions' history (places.history.record_many) sends no post_save.
        changes_recorded.connect(
            on_changes_recorded, sender=ChangeRecord, dispatch_uid="api.webhooks.on_changes"
        )
