"""A small registry built through the project's actions, for the browser flows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from places import actions as place_actions
from places.models import Place, Role
from scheduling.actions import schedule_set_rules
from services.actions import offer_create
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

EVERY_DAY_ALL_DAY = [{"kind": "weekly", "days": [0, 1, 2, 3, 4, 5, 6], "times": ["00:00-24:00"]}]
TUESDAY_MORNING = [{"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}]
# The point residents search around (Lyon, Place Guichard).
POINT = (45.7597, 4.8470)


@dataclass
class Registry:
    admin: object
    open_caf: Place  # open now, CAF advisor on Tuesday mornings, nearest
    closed_caf: Place  # CAF too, but no opening hours, nor the desk: not "open now"
    far_caf: Place  # open now with CAF, but far from the point
    fablab: Place  # open now, near, but no CAF service


def _place(
    user, organisation, *, name, lat, lon, typologies, hours=None, caf=False, caf_hours=True, **data
):
    place = place_actions.place_create(
        user=user,
        organisation=organisation,
        data={
            "name": name,
            "latitude": Decimal(lat),
            "longitude": Decimal(lon),
            "commune": "Lyon",
            "postcode": "69003",
            "insee_code": "69123",
            **data,
        },
        typologies=typologies,
    )
    place_actions.place_publish(place=place, user=user)
    if hours:
        schedule_set_rules(user=user, place=place, rules=hours)
    if caf:
        offer = offer_create(
            place=place,
            user=user,
            data={
                "kind": "caf",
                "provider": "caf",
                "level": "partial",
                "audiences": ["all"],
                "access_modes": ["walk_in"],
            },
        )
        if caf_hours:
            schedule_set_rules(user=user, offer=offer, rules=TUESDAY_MORNING)
    place.refresh_from_db()
    return place


def build_registry() -> Registry:
    organisation = OrganisationFactory(slug="ville-de-lyon", name="Ville de Lyon")
    admin = UserFactory(username="admin.staff", password=PASSWORD)
    MembershipFactory(user=admin, organisation=organisation, role=Role.REGISTRY_ADMIN)
    return Registry(
        admin=admin,
        open_caf=_place(
            admin,
            organisation,
            name="France Services Guillotière",
            lat="45.758900",
            lon="4.845000",
            typologies=["france_services"],
            hours=EVERY_DAY_ALL_DAY,
            caf=True,
            address="12 rue de Marseille",
            phone="04 72 00 00 01",
            short_description="Help with your procedures: CAF, taxes, health.",
        ),
        closed_caf=_place(
            admin,
            organisation,
            name="Maison de services Saxe",
            lat="45.761000",
            lon="4.848000",
            typologies=["france_services"],
            caf=True,
            caf_hours=False,  # the desk follows the place, which has no hours
        ),
        far_caf=_place(
            admin,
            organisation,
            name="France Services Vaise",
            lat="45.820000",
            lon="4.760000",
            typologies=["france_services"],
            hours=EVERY_DAY_ALL_DAY,
            caf=True,
        ),
        fablab=_place(
            admin,
            organisation,
            name="Fab lab Garibaldi",
            lat="45.757000",
            lon="4.851000",
            typologies=["fablab"],
            hours=EVERY_DAY_ALL_DAY,
        ),
    )
