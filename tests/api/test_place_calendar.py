"""A place's calendar in the API: the same rows as its page's agenda, the same .ics file."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from places.models import Place
from scheduling.actions import exception_add, schedule_set_rules
from scheduling.models import ScheduleException
from tests.factories import PlaceFactory, ServiceOfferFactory

MORNINGS = [{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00"]}]
AFTERNOONS = [{"kind": "weekly", "days": [1, 3], "times": ["14:00-16:00"]}]


@pytest.fixture(autouse=True)
def _roomy_limits(settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}
    yield
    cache.clear()


@pytest.fixture
def place(organisation):
    """Mornings on weekdays, a closure, an event in five days and one in twelve days, and
    an offer with hours of its own."""
    place = PlaceFactory(
        organisation=organisation,
        name="Maison des solidarités",
        slug="maison-des-solidarites",
        status=Place.Status.PUBLISHED,
    )
    schedule = schedule_set_rules(user=None, place=place, rules=MORNINGS)
    today = timezone.localdate()
    exception_add(
        user=None,
        schedule=schedule,
        kind=ScheduleException.Kind.CLOSURE,
        start_date=today + datetime.timedelta(days=3),
        title="Inventaire",
    )
    for days, title in ((5, "Atelier CV"), (12, "Forum emploi")):
        exception_add(
            user=None,
            schedule=place.schedule,
            kind=ScheduleException.Kind.EVENT,
            start_date=today + datetime.timedelta(days=days),
            start_time=datetime.time(14),
            end_time=datetime.time(16),
            title=title,
        )
    offer = ServiceOfferFactory(place=place)
    schedule_set_rules(user=None, offer=offer, rules=AFTERNOONS)
    return place


def _without_dtstamp(content: bytes) -> bytes:
    return re.sub(rb"DTSTAMP:[0-9TZ]+\r\n", b"", content)


@pytest.mark.django_db
def test_the_api_and_the_page_give_the_same_ics(place):
    client = Client()
    page = client.get(f"/lieux/{place.slug}/agenda.ics")
    api = client.get(f"/api/v1/places/{place.public_id}/calendar/?format=ics")
    assert page.status_code == api.status_code == 200
    assert api["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"RRULE:FREQ=WEEKLY" in api.content
    assert b"Forum emploi" in api.content
    assert _without_dtstamp(api.content) == _without_dtstamp(page.content)


@pytest.mark.django_db
def test_from_and_to_narrow_the_ics_to_their_days(place):
    today = timezone.localdate()
    start = datetime.datetime.combine(today + datetime.timedelta(days=4), datetime.time(12))
    end = start + datetime.timedelta(days=2)
    tz = timezone.get_current_timezone()
    response = Client().get(
        f"/api/v1/places/{place.public_id}/calendar/",
        {
            "format": "ics",
            "from": start.replace(tzinfo=tz).isoformat(),
            "to": end.replace(tzinfo=tz).isoformat(),
        },
    )
    assert response.status_code == 200
    assert b"Atelier CV" in response.content  # day 5: inside
    assert b"Forum emploi" not in response.content  # day 12: outside
    # The recurrence stops at the end of the last local day asked for (day 6 included).
    stop = datetime.datetime.combine(today + datetime.timedelta(days=7), datetime.time(), tz)
    until = stop.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ").encode()
    assert b"UNTIL=" + until in response.content


@pytest.mark.django_db
def test_the_json_calendar_groups_rows_by_offer_in_id_order(place):
    second = ServiceOfferFactory(place=place)
    # The second offer opens earlier in the day than the first: ordering is by id anyway.
    schedule_set_rules(
        user=None,
        offer=second,
        rules=[{"kind": "weekly", "days": [0, 1, 2, 3, 4, 5, 6], "times": ["07:00-08:00"]}],
    )
    body = (
        Client()
        .get(
            f"/api/v1/places/{place.public_id}/calendar/",
            {"to": (timezone.now() + datetime.timedelta(days=14)).isoformat()},
        )
        .json()
    )
    ids = [entry["id"] for entry in body["offers"]]
    assert ids == sorted(ids) and len(ids) == 2
    for rows in [body["intervals"], *(entry["intervals"] for entry in body["offers"])]:
        starts = [row["start"] for row in rows]
        assert starts and starts == sorted(starts)
    kinds = {row["kind"] for row in body["intervals"]}
    assert {"open", "closed", "event"} <= kinds
