"""Demo opening hours: every typology has typical hours, France Services as in the issue."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from places.models import Place, Typology
from scheduling import selectors
from scheduling.calendars import is_public_holiday
from scheduling.demo import PLACE_RULES, generate_schedules
from scheduling.materialise import local_zone
from scheduling.models import OpeningInterval, Schedule, ScheduleException
from services.models import ServiceOffer

pytestmark = pytest.mark.django_db

SMALL = 25  # more than the 17 typologies


def _counts():
    return (
        Schedule.objects.count(),
        ScheduleException.objects.count(),
        OpeningInterval.objects.count(),
    )


def _next_plain_tuesday(schedule: Schedule, hour: int) -> datetime.datetime:
    """The next Tuesday that is no public holiday and has no exception of this schedule."""
    day = timezone.localdate() + datetime.timedelta(days=1)
    while (
        day.weekday() != 1
        or is_public_holiday(day, "69")
        or schedule.exceptions.filter(start_date__lte=day, end_date__gte=day).exists()
    ):
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), local_zone())


def test_every_typology_has_its_hours_and_france_services_is_as_described():
    call_command("load_demo", places=SMALL, seed=3)
    assert set(PLACE_RULES) == set(Typology.objects.values_list("code", flat=True))
    for place in Place.objects.all():
        assert Schedule.objects.filter(place=place).exists(), place
    counts = _counts()
    assert counts[1] > 0 and counts[2] > 0  # some closures or events, a materialised calendar

    caf = ServiceOffer.objects.filter(
        kind__slug="caf", status="active", place__typologies__code="france_services"
    ).first()
    place = caf.place
    schedule = place.schedule
    assert schedule.rules == [
        {"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00", "14:00-17:00"]}
    ]
    tuesday = _next_plain_tuesday(schedule, 10)
    assert selectors.is_open(place, tuesday)
    assert not selectors.is_open(place, tuesday.replace(hour=13))
    assert selectors.is_open(caf, tuesday)
    assert not selectors.is_open(caf, tuesday.replace(hour=15))
    tax = place.offers.get(kind__slug="impots").schedule
    assert tax.rules[0]["kind"] == "nth_weekday" and tax.rules[0]["nth"] == [1]

    def rules_of(typology):
        return [s.rules for s in Schedule.objects.filter(place__typologies__code=typology)]

    # A fab lab closed in August, a garden from April to October, a repair café every
    # other Saturday (a place of another main typology may carry these as a second one).
    assert any(all(r.get("yearly_to") == "07-31" for r in rules) for rules in rules_of("fablab"))
    assert any(r[0].get("yearly_from") == "04-01" for r in rules_of("jardin_partage"))
    assert any(r[0].get("interval") == 2 for r in rules_of("repair_cafe"))

    # Twice: nothing duplicated, nothing broken.
    call_command("load_demo", places=SMALL, seed=3)
    assert _counts() == counts


def test_fast_path_creates_the_same_hours_and_calendar():
    call_command("load_demo", places=SMALL, seed=3)
    slow = _counts()
    slow_rules = sorted(str(r) for r in Schedule.objects.values_list("rules", flat=True))
    call_command("load_demo", places=SMALL, seed=3, rebuild=True, fast=True)
    assert _counts()[:2] == slow[:2]
    assert sorted(str(r) for r in Schedule.objects.values_list("rules", flat=True)) == slow_rules
    assert OpeningInterval.objects.count() == slow[2]
    # Suspended and ended offers do not read as open on the fast path either.
    for offer in ServiceOffer.objects.exclude(status="active").filter(schedule__isnull=False):
        assert not selectors.is_open(offer, _next_plain_tuesday(offer.schedule, 10))


def test_same_seed_same_hours():
    from places import demo as places_demo
    from services import demo as services_demo

    specs = places_demo.generate_places(40, seed=5)
    offers = services_demo.generate_offers(specs, seed=5)
    today = datetime.date(2026, 1, 5)
    first = generate_schedules(specs, offers, 5, today)
    assert first == generate_schedules(specs, offers, 5, today)
    assert any(s.exceptions for s in first)


def test_demo_loads_past_the_end_of_the_school_calendar(db):
    """The demo must load on any day: a window reaching past the school calendar on file
    (the MJC's holiday workshops) is materialised up to that calendar's end."""
    from scheduling import school_holidays
    from scheduling.models import CalendarWindow

    last = school_holidays.COVERED_TO
    CalendarWindow.objects.create(
        pk=1,
        start=last - datetime.timedelta(days=30),
        end=last + datetime.timedelta(days=60),
        build_end=last + datetime.timedelta(days=60),
    )
    call_command("load_demo", "--places", str(SMALL), verbosity=0)
    mjc = Place.objects.get(typologies__code="mjc")
    assert OpeningInterval.objects.filter(place=mjc).exists()
    mornings_after = [
        row
        for row in OpeningInterval.objects.filter(place=mjc, offer__isnull=True)
        if row.start.astimezone(local_zone()).date() > last
        and row.start.astimezone(local_zone()).hour < 12
    ]
    assert mornings_after == []  # no holiday workshop guessed past the calendar
