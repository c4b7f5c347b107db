from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self) -> None:
        from places.signals import place_clock_changed
        from services.signals import offer_changed

        offer_changed.connect(
            _offer_changed, dispatch_uid="scheduling.offer_calendar_rebuild", weak=False
        )
        place_clock_changed.connect(
            _place_clock_changed, dispatch_uid="scheduling.place_clock_rebuild", weak=False
        )


def _offer_changed(sender, *, offer, action, **kwargs) -> None:
    """A service offer was written: its calendar follows its status in the same transaction."""
    from scheduling.actions import offer_calendar_rebuild

    if action == "create":
        return  # a new offer has no schedule yet
    offer_calendar_rebuild(offer=offer)


def _place_clock_changed(sender, *, place, changes, **kwargs) -> None:
    """A place's zone or department changed: its calendar is re-read in the same transaction."""
    from scheduling.actions import place_clock_rebuild

    place_clock_rebuild(place=place, changes=changes)
