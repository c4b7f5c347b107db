"""Writes of the territory: saving a what-if scenario and turning it into a draft place."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from places import access
from places import actions as place_actions
from places import selectors as place_selectors
from places.models import Place
from territory import selectors
from territory.models import Commune, Scenario


def scenario_create(
    *,
    user,
    name: str,
    department: str,
    latitude: float,
    longitude: float,
    kinds,
    opening_hours: str,
    radius_km: int = 10,
    commune: Commune | None = None,
    on: datetime.date | None = None,
) -> Scenario:
    """Compute what a hypothetical place would bring and save it as a scenario.

    ValidationError keyed by field when the service kinds or the weekly hours are missing
    or unreadable. The residents gained are computed now (selectors.what_if) and kept with
    the scenario, so comparing scenarios costs no new run.
    """
    kinds = list(kinds)
    errors = selectors.check_hypothesis(kinds=kinds, hours=opening_hours)
    if not name.strip():
        errors["name"] = _("Give the scenario a name.")
    if errors:
        raise ValidationError(errors)
    hypothesis = selectors.Hypothesis(
        latitude=latitude,
        longitude=longitude,
        kinds=frozenset(k.slug for k in kinds),
        hours=opening_hours,
        label=name,
    )
    gains = selectors.what_if(hypothesis, department=department, radius_km=radius_km, on=on)
    scenario = Scenario(
        name=name.strip(),
        department=department,
        commune=commune,
        latitude=latitude,
        longitude=longitude,
        opening_hours=opening_hours.strip(),
        radius_km=radius_km,
        gains=gains,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    scenario.full_clean()
    with transaction.atomic():
        scenario.save()
        scenario.kinds.set(kinds)
    return scenario


def scenario_to_draft_place(*, user, scenario: Scenario) -> Place:
    """A draft place at the scenario's point, through places.actions.place_create.

    Registry admins only (as creating a place); the place goes to the first organisation
    the person administers. Its name, point and commune come from the scenario; the
    weekly hours and the service kinds are left for staff to enter on the place.
    """
    access.require_registry_admin(user)
    if scenario.place_id is not None:
        raise ValidationError(_("This scenario has already become a draft place."))
    organisation = place_selectors.admin_organisations(user).order_by("pk").first()
    commune = scenario.commune
    data = {
        "name": scenario.name[:200],
        "latitude": Decimal(str(round(scenario.latitude, 6))),
        "longitude": Decimal(str(round(scenario.longitude, 6))),
        "description": _("Weekly hours studied: %(hours)s") % {"hours": scenario.opening_hours},
    }
    if commune is not None:
        data["commune"] = commune.name
        data["insee_code"] = commune.insee_code
    with transaction.atomic():
        place = place_actions.place_create(
            user=user,
            organisation=organisation,
            data=data,
            typologies=["other"],
            source="territory",
        )
        scenario.place = place
        scenario.save(update_fields=["place"])
    return place
