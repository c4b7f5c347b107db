"""A small hand-built territory with known distances and populations.

Five communes on the meridian 5°E, north of 46°N, at 0, 3, 8, 15 and 30 km from the town
hall of Alpha (one degree of latitude is KM_PER_DEGREE km along a meridian, exactly):

    Alpha 1000 (0 km)  Beta 200 (3 km)  Gamma 500 (8 km)  Delta 50 (15 km)  Epsilon 7 (30 km)

Two places offer CAF help: the Alpha desk on weekdays 09:00-17:00 only, and the
Saturday desk at 26 km (between Delta and Epsilon) on Saturday 09:00-12:00 only. The
calendar is October 2025; the reference day is Monday 6 October (Saturday is the 11th;
zone A's All Saints holidays start on Saturday 18 October).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from places.geo import KM_PER_DEGREE
from scheduling import actions as scheduling_actions
from scheduling.models import CalendarWindow
from services.models import ServiceKind
from territory.models import Commune
from tests.factories import PlaceFactory, ServiceOfferFactory

MONDAY = datetime.date(2025, 10, 6)
LON = 5.0
POPULATIONS = {"Alpha": 1000, "Beta": 200, "Gamma": 500, "Delta": 50, "Epsilon": 7}
KM = {"Alpha": 0, "Beta": 3, "Gamma": 8, "Delta": 15, "Epsilon": 30}


def lat_at(km: float) -> float:
    return 46.0 + km / KM_PER_DEGREE


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def window(db):
    return CalendarWindow.objects.create(
        pk=1,
        start=datetime.date(2025, 10, 1),
        end=datetime.date(2025, 11, 1),
        build_end=datetime.date(2025, 11, 1),
    )


@pytest.fixture
def communes(db):
    return {
        name: Commune.objects.create(
            insee_code=f"0100{n}",
            name=name,
            department="01",
            region="84",
            population=POPULATIONS[name],
            latitude=lat_at(KM[name]),
            longitude=LON,
            source="test",
            recorded_on=MONDAY,
        )
        for n, name in enumerate(POPULATIONS, 1)
    }


def caf_place(user, organisation, *, name, km, days, times, typologies=("france_services",)):
    place = PlaceFactory(
        organisation=organisation,
        name=name,
        latitude=Decimal(str(round(lat_at(km), 6))),
        longitude=Decimal("5.000000"),
        typologies=list(typologies),
    )
    rules = [{"kind": "weekly", "days": days, "times": times}]
    scheduling_actions.schedule_set_rules(user=user, place=place, rules=rules)
    offer = ServiceOfferFactory(place=place, kind=ServiceKind.objects.get(slug="caf"))
    scheduling_actions.schedule_set_rules(user=user, offer=offer, rules=rules)
    return place


@pytest.fixture
def territory(window, communes, registry_admin, organisation):
    alpha = caf_place(
        registry_admin,
        organisation,
        name="Guichet d'Alpha",
        km=0,
        days=[0, 1, 2, 3, 4],
        times=["09:00-17:00"],
    )
    saturday = caf_place(
        registry_admin,
        organisation,
        name="Guichet du samedi",
        km=26,
        days=[5],
        times=["09:00-12:00"],
        typologies=("epn",),
    )
    return {"alpha": alpha, "saturday": saturday, "communes": communes}
