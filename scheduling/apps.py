from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self) -> None:
        from services.signals import offer_changed

        offer_changed.connect(
            _offer_changed, dispatch_uid="scheduling.offer_calendar_rebuild", weak=False
        )


def _offer_changed(sender, *, offer, action, **kwargs) -> None:
    """A service offer was written: its calendar follows its status in the same transaction."""
    from scheduling.actions import offer_calendar_rebuild

    if action == "create":
        return  # a new offer has no schedule yet
    offer_calendar_rebuild(offer=offer)
