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
from scheduling import actions as scheduling_actions
from services import actions as service_actions
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
    base_place: Place | None = None,
    on: datetime.date | None = None,
) -> Scenario:
    """Compute what a hypothetical place would bring and save it as a scenario.

    With `base_place`, the scenario is that published place with other weekly hours for
    the service kinds (its point is the place's): the figures are then the residents
    gained, or lost (negative), against its hours today.

    ValidationError keyed by field when the service kinds or the weekly hours are missing
    or unreadable, or the place studied is not published and located. The residents
    gained are computed now (selectors.what_if) and kept with the scenario, so comparing
    scenarios costs no new run.
    """
    kinds = list(kinds)
    errors = selectors.check_hypothesis(kinds=kinds, hours=opening_hours)
    if not name.strip():
        errors["name"] = _("Give the scenario a name.")
    if base_place is not None:
        if base_place.status != Place.Status.PUBLISHED or base_place.latitude is None:
            errors["place"] = _(
                "Only a published place with a position counts in the coverage: "
                "“%(name)s” is not one."
            ) % {"name": base_place.name}
        else:
            latitude, longitude = float(base_place.latitude), float(base_place.longitude)
    if errors:
        raise ValidationError(errors)
    hypothesis = selectors.Hypothesis(
        latitude=latitude,
        longitude=longitude,
        kinds=frozenset(k.slug for k in kinds),
        hours=opening_hours,
        label=name,
        replaces=base_place.pk if base_place is not None else None,
    )
    gains = selectors.what_if(hypothesis, department=department, radius_km=radius_km, on=on)
    scenario = Scenario(
        name=name.strip(),
        department=department,
        commune=commune,
        base_place=base_place,
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
    """A draft place at the scenario's point, with its services and its weekly hours.

    Registry admins only (as creating a place); the place goes to the first organisation
    the person administers. Everything goes through the domain's actions: the place
    (`place_create`: name, point and commune of the scenario, typology "other"), one
    offer per service kind of the scenario, run by the organisation's own provider
    (`offer_create`), and the scenario's hours as the place's (`schedule_set_osm`). A
    scenario that changes a real place's hours has no draft place: its hours are to be
    changed on that place.
    """
    access.require_registry_admin(user)
    if scenario.place_id is not None:
        raise ValidationError(_("This scenario has already become a draft place."))
    if scenario.base_place_id is not None:
        raise ValidationError(
            _(
                "This scenario changes the hours of an existing place: change them on "
                "the place itself."
            )
        )
    organisation = place_selectors.admin_organisations(user).order_by("pk").first()
    commune = scenario.commune
    data = {
        "name": scenario.name[:200],
        "latitude": Decimal(str(round(scenario.latitude, 6))),
        "longitude": Decimal(str(round(scenario.longitude, 6))),
        "description": _("Created from the scenario “%(name)s”.") % {"name": scenario.name},
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
        provider = service_actions.organisation_provider(
            user=user, organisation=organisation, source="territory"
        )
        for kind in scenario.kinds.order_by("position", "pk"):
            service_actions.offer_create(
                place=place,
                user=user,
                data={"kind": kind, "provider": provider},
                source="territory",
            )
        scheduling_actions.schedule_set_osm(
            user=user, place=place, text=scenario.opening_hours, source="territory"
        )
        scenario.place = place
        scenario.save(update_fields=["place"])
    return place
