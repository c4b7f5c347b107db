"""Signals sent by the registry so that apps above it can react without being imported here.

`place_clock_changed` is sent by `places.actions.place_update`, inside its transaction,
when a change touches how the place's hours are read: its time zone, or its INSEE code
or postcode (they give its department, hence its derived zone and public holidays):

    place_clock_changed.send(sender=Place, place=place, changes={"time_zone": [old, new]})

Receivers run inside the transaction: a ValidationError they raise (keyed by field)
rolls the update back and is shown to the editor.

`changes_recorded` is sent by `places.history.record_many` after a bulk action stored its
history with one insert (which sends no post_save), at the moment each single-row action
would have saved its record:

    changes_recorded.send(sender=ChangeRecord, changes=[...])
"""

from django.dispatch import Signal

place_clock_changed = Signal()
changes_recorded = Signal()

# The place fields that decide its zone and its public holidays.
CLOCK_FIELDS = ("time_zone", "insee_code", "postcode")
