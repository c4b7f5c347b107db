from __future__ import annotations

import datetime
import zoneinfo

import pytest

from scheduling.models import CalendarWindow
from tests.factories import PlaceFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def paris(*args) -> datetime.datetime:
    """An aware instant from Paris wall-clock parts (fold=0 for repeated hours)."""
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def window(db):
    """A fixed window, 2025-01-01 to 2027-01-01, so tests do not depend on today."""
    return CalendarWindow.objects.create(
        pk=1,
        start=datetime.date(2025, 1, 1),
        end=datetime.date(2027, 1, 1),
        build_end=datetime.date(2027, 1, 1),
    )


@pytest.fixture
def lyon(db):
    return PlaceFactory(name="Médiathèque", postcode="69003", insee_code="69383")


@pytest.fixture
def metz(db):
    return PlaceFactory(name="Espace Metz", postcode="57000", insee_code="57463")


@pytest.fixture
def staff(registry_admin):
    return registry_admin
