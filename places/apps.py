from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


class PlacesConfig(AppConfig):
    name = "places"

    def ready(self) -> None:
        from places import filter_choices
        from places.models import Network, Place
        from places.textsearch import ensure_sqlite_index

        post_migrate.connect(ensure_sqlite_index, sender=self, dispatch_uid="place_fts")
        # The public filter choices depend on places (status, commune) and networks.
        for model in (Place, Network):
            for signal in (post_save, post_delete):
                signal.connect(
                    filter_choices.registry_changed,
                    sender=model,
                    dispatch_uid=f"filter_choices_{model.__name__}_{signal is post_save}",
                )
        m2m_changed.connect(
            filter_choices.place_networks_changed,
            sender=Place.networks.through,
            dispatch_uid="filter_choices_networks",
        )
