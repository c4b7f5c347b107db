"""Signals sent by the catalogue so that apps above it can react without being imported here.

`offer_changed` is sent by every action of `services.actions` that writes a service offer
(create, update, suspend, end, reactivate), inside the action's transaction, after the row
and its history record are written:

    offer_changed.send(sender=ServiceOffer, offer=offer, action="suspend", changes={...})

- `offer`: the ServiceOffer as saved (its `status` and `suspended_until` are current);
- `action`: "create", "update", "suspend", "end" or "reactivate";
- `changes`: {field: [old, new]} of what the write changed (empty on "create").

Receivers run inside the transaction: an exception they raise rolls the write back, which
is what the scheduling app wants when it rebuilds a place's calendar from the offer. A
receiver that only needs committed data (a webhook, an e-mail) should defer its work with
`transaction.on_commit`.
"""

from django.dispatch import Signal

offer_changed = Signal()
