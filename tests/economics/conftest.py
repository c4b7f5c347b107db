from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from economics import actions
from scheduling import actions as scheduling_actions
from scheduling.models import CalendarWindow
from tests.factories import PlaceFactory


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English source strings, whatever translations are compiled."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def window(db):
    """October 2025 materialised (the clocks go back on Sunday 26 October)."""
    return CalendarWindow.objects.create(
        pk=1,
        start=datetime.date(2025, 10, 1),
        end=datetime.date(2025, 11, 1),
        build_end=datetime.date(2025, 11, 1),
    )


@pytest.fixture
def fablab(organisation, place_manager, window):
    place = PlaceFactory(
        organisation=organisation, name="Fab lab des Pentes", typologies=["fablab"]
    )
    place.managers.add(place_manager)
    return place


@pytest.fixture
def open_all_october(fablab, registry_admin):
    """Open day and night every day, closed for inventory on 13 and 14 October 2025."""
    schedule = scheduling_actions.schedule_set_rules(
        user=registry_admin,
        place=fablab,
        rules=[{"kind": "weekly", "days": [0, 1, 2, 3, 4, 5, 6], "times": ["00:00-24:00"]}],
        public_holidays="open",
    )
    scheduling_actions.exception_add(
        user=registry_admin,
        schedule=schedule,
        kind="closure",
        start_date=datetime.date(2025, 10, 13),
        end_date=datetime.date(2025, 10, 14),
        title="Inventaire",
    )
    return schedule


@pytest.fixture
def meeting_room(fablab, registry_admin):
    return actions.space_create(
        user=registry_admin,
        place=fablab,
        data={"name": "Salle Ada", "kind": "meeting_room", "capacity": 2, "area_m2": Decimal("30")},
    )
