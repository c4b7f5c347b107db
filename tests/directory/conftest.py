"""A small registry with opening hours around a fixed "now" (Tuesday 10 March 2026, 10:30)."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from scheduling import actions as scheduling_actions
from scheduling import status
from scheduling.models import CalendarWindow
from tests.factories import NetworkFactory, PlaceFactory, ServiceOfferFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 3, 10, 10, 30, tzinfo=PARIS)  # a Tuesday
MON_FRI = {"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00", "14:00-17:00"]}
SATURDAY = {"kind": "weekly", "days": [5], "times": ["10:00-18:00"]}


@pytest.fixture
def window(db):
    """A short fixed window (March to mid-April 2026, across the spring DST change)."""
    return CalendarWindow.objects.create(
        pk=1,
        start=datetime.date(2026, 3, 1),
        end=datetime.date(2026, 4, 15),
        build_end=datetime.date(2026, 4, 15),
    )


@pytest.fixture
def frozen(monkeypatch):
    """Pages read "now" through scheduling.status.clock."""
    monkeypatch.setattr(status, "clock", lambda: NOW)
    return NOW


def make_place(user, *, name, hours=(MON_FRI,), lat="45.760000", lon="4.850000", **kwargs):
    place = PlaceFactory(name=name, latitude=Decimal(lat), longitude=Decimal(lon), **kwargs)
    if hours:
        scheduling_actions.schedule_set_rules(user=user, place=place, rules=list(hours))
    return place


@pytest.fixture
def registry(window, frozen, registry_admin, organisation):
    """Five published places around Lyon, one draft and one archived."""
    network = NetworkFactory(slug="france-services", name="France Services")
    mediatheque = make_place(
        registry_admin,
        name="Médiathèque Jean Macé",
        organisation=organisation,
        slug="mediatheque-jean-mace",
        typologies=["mediatheque"],
        networks=[network],
        wheelchair="yes",
        address="2 rue Domer",
        phone="04 78 00 00 00",
    )
    france_services = make_place(
        registry_admin,
        name="France Services Guillotière",
        organisation=organisation,
        slug="france-services-guillotiere",
        typologies=["france_services"],
        networks=[network],
        lat="45.755000",
        lon="4.842000",
    )
    saturday = make_place(
        registry_admin,
        name="Repair Café des Pentes",
        organisation=organisation,
        slug="repair-cafe-des-pentes",
        typologies=["repair_cafe"],
        hours=(SATURDAY,),
        lat="45.770000",
        lon="4.830000",
    )
    far = make_place(
        registry_admin,
        name="Coworking de Villefranche",
        organisation=organisation,
        slug="coworking-villefranche",
        typologies=["coworking"],
        lat="45.990000",
        lon="4.720000",
        commune="Villefranche-sur-Saône",
        insee_code="69264",
        postcode="69400",
    )
    unscheduled = make_place(
        registry_admin,
        name="Jardin partagé des Canuts",
        organisation=organisation,
        slug="jardin-des-canuts",
        typologies=["jardin_partage"],
        hours=(),
        lat="45.775000",
        lon="4.828000",
    )
    draft = PlaceFactory(name="Médiathèque brouillon", slug="brouillon", status="draft")
    archived = PlaceFactory(name="Médiathèque archivée", slug="archivee", status="archived")
    ServiceOfferFactory(place=france_services, kind=_kind("caf"), fees="free")
    ServiceOfferFactory(place=mediatheque, kind=_kind("impression-numerisation"), fees="paid")
    ServiceOfferFactory(place=mediatheque, kind=_kind("acces-equipement"), fees="free")
    ServiceOfferFactory(place=saturday, kind=_kind("reparation"), fees="free")
    return {
        "network": network,
        "mediatheque": mediatheque,
        "france_services": france_services,
        "saturday": saturday,
        "far": far,
        "unscheduled": unscheduled,
        "draft": draft,
        "archived": archived,
    }


def _kind(slug):
    from services.models import ServiceKind

    return ServiceKind.objects.get(slug=slug)
