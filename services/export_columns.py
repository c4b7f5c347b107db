"""The offers' columns in the staff registry export (places.registry_export): the services
offered at each place, their providers and statuses, in the same order in each column."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from places.registry_export import Column, register_columns
from services.models import ServiceOffer


def _offers(place):
    return place.offers.all()


def register() -> None:
    register_columns(
        prefetch=[
            Prefetch(
                "offers",
                queryset=ServiceOffer.objects.select_related("kind", "provider").order_by(
                    "kind__position", "kind__name", "pk"
                ),
            )
        ],
        columns=[
            Column(_("Services"), lambda p: "; ".join(o.kind.display_name for o in _offers(p))),
            Column(_("Providers"), lambda p: "; ".join(o.provider.name for o in _offers(p))),
            Column(
                _("Service statuses"),
                lambda p: "; ".join(str(o.get_status_display()) for o in _offers(p)),
            ),
        ],
    )
