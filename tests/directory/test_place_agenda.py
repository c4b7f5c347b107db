"""The place page's dated days, the .ics of one visit, and pages of incomplete places.

"Now" is frozen on Tuesday 15 December 2026, 10:30 (Paris): the next 14 days run to Monday
28 December and include Christmas Day (Friday 25, a public holiday), a closure for
inventory on Monday 28 and an event on Saturday 19.
"""

from __future__ import annotations

import datetime
import zoneinfo

import icalendar
import pytest

from scheduling import actions as scheduling_actions
from scheduling import status
from scheduling.agenda import place_agenda
from scheduling.models import CalendarWindow, Schedule
from services.models import Provider
from tests.directory.conftest import MON_FRI, _kind, make_place
from tests.factories import PlaceFactory, ServiceOfferFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 12, 15, 10, 30, tzinfo=PARIS)  # a Tuesday
SATURDAY_MORNING = datetime.datetime(2026, 12, 19, 10, 0, tzinfo=PARIS)
TUESDAY_MORNING = {"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}
URL = "/lieux/france-services-croix-rousse/"


@pytest.fixture(autouse=True)
def _french():
    """The selector's words are asserted in French, the default language, whatever a test
    run before this one left active."""
    from django.utils import translation

    with translation.override("fr"):
        yield


@pytest.fixture
def december(db):
    return CalendarWindow.objects.create(
        pk=1,
        start=datetime.date(2026, 12, 1),
        end=datetime.date(2027, 2, 1),
        build_end=datetime.date(2027, 2, 1),
    )


@pytest.fixture
def frozen(monkeypatch):
    def freeze(at=NOW):
        monkeypatch.setattr(status, "clock", lambda: at)
        return at

    freeze()
    return freeze


@pytest.fixture
def place(december, frozen, registry_admin, organisation):
    place = make_place(
        registry_admin,
        name="France Services Croix-Rousse",
        slug="france-services-croix-rousse",
        organisation=organisation,
        address="12 place de la Croix-Rousse",
        postcode="69004",
        commune="Lyon",
        insee_code="69123",
        typologies=["france_services"],
    )
    schedule = Schedule.objects.get(place=place)
    scheduling_actions.exception_add(
        user=registry_admin,
        schedule=schedule,
        kind="closure",
        start_date=datetime.date(2026, 12, 28),
        title="Inventaire",
    )
    scheduling_actions.exception_add(
        user=registry_admin,
        schedule=schedule,
        kind="event",
        start_date=datetime.date(2026, 12, 19),
        start_time=datetime.time(14),
        end_time=datetime.time(16),
        title="Atelier numérique",
    )
    caf = ServiceOfferFactory(
        place=place, kind=_kind("caf"), provider=Provider.objects.get(slug="caf")
    )
    scheduling_actions.schedule_set_rules(user=registry_admin, offer=caf, rules=[TUESDAY_MORNING])
    ServiceOfferFactory(place=place, kind=_kind("impression-numerisation"))
    return place


def _offers(place):
    caf = place.offers.get(kind__slug="caf")
    printing = place.offers.get(kind__slug="impression-numerisation")
    return caf, printing


# -- the selector ------------------------------------------------------------------------


def test_fourteen_dated_days_in_three_queries(place, django_assert_num_queries):
    caf, printing = _offers(place)
    with django_assert_num_queries(3):
        agenda = place_agenda(place, [caf, printing], NOW)
    days = agenda.place.days
    assert [d.date for d in days] == [
        datetime.date(2026, 12, 15) + datetime.timedelta(days=k) for k in range(14)
    ]
    assert days[0].is_today and not days[1].is_today
    tuesday = days[0]
    assert [s.text for s in tuesday.opens] == ["9 h – 12 h", "14 h – 17 h"]
    christmas = days[10]
    assert christmas.date == datetime.date(2026, 12, 25)
    assert christmas.opens == [] and christmas.holiday == "Noël"
    assert christmas.closure_reason == "jour férié (Noël)"
    saturday = days[4]
    assert saturday.opens == [] and saturday.closure_reason == ""
    assert [(e.comment, e.text) for e in saturday.events] == [("Atelier numérique", "14 h – 16 h")]
    inventory = days[13]
    assert inventory.opens == [] and inventory.closure_reason == "Inventaire"
    # The CAF desk has its own slots (Tuesday mornings); printing follows the place.
    caf_days = agenda.for_offer(caf).days
    assert [d.date.day for d in caf_days if d.opens] == [15, 22]
    assert [s.text for s in caf_days[7].opens] == ["9 h – 12 h"]
    assert agenda.for_offer(printing) is None


def test_statuses_agree_with_the_search_results_status(place, frozen):
    caf, printing = _offers(place)
    for at in (NOW, SATURDAY_MORNING, datetime.datetime(2026, 12, 28, 10, tzinfo=PARIS)):
        agenda = place_agenda(place, [caf, printing], at)
        assert agenda.place.status == status.status_of(place, at), at
    agenda = place_agenda(place, [caf], NOW)
    assert agenda.place.now_text == "ouvert maintenant jusqu'à 12 h"
    assert agenda.for_offer(caf).now_text == "ouvert maintenant jusqu'à 12 h"
    afternoon = datetime.datetime(2026, 12, 15, 15, tzinfo=PARIS)
    agenda = place_agenda(place, [caf], afternoon)
    assert agenda.place.now_text == "ouvert maintenant jusqu'à 17 h"
    assert agenda.for_offer(caf).now_text == "fermé maintenant — ouvre mardi à 9 h"


def test_a_place_without_hours_has_no_dated_days(december, frozen, registry_admin):
    place = make_place(registry_admin, name="Sans horaires", slug="sans-horaires", hours=())
    agenda = place_agenda(place, [], NOW)
    assert not agenda.place.has_hours
    assert agenda.place.status.state == "unknown"
    assert all(not d.opens for d in agenda.place.days)


# -- the page ------------------------------------------------------------------------------


def test_page_shows_the_next_fourteen_days_in_french(client, place):
    body = client.get(URL).content.decode()
    assert "Les 14 prochains jours" in body
    assert "Mardi 15 décembre" in body and "Lundi 28 décembre" in body
    assert "Mardi 29 décembre" not in body
    assert "<strong>Fermé</strong> : jour férié (Noël)" in body
    assert "<strong>Fermé</strong> : Inventaire" in body
    assert "Atelier numérique, 14 h – 16 h" in body
    assert 'aria-current="date"' in body
    assert "Ouvert maintenant jusqu&#x27;à 12 h" in body


def test_page_in_english_per_service(client, place):
    caf, _printing = _offers(place)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The next 14 days" in body
    assert "Friday 25 December" in body
    assert "<strong>Closed</strong>: public holiday (Christmas Day)" in body
    assert "<strong>Closed</strong>: Inventaire" in body
    assert "Event:</strong> Atelier numérique" in body
    # The CAF desk: its own status and its own slots, each with its visit's .ics.
    assert "open now until 12 h" in body
    offer_ics = f"/lieux/france-services-croix-rousse/services/{caf.pk}/agenda.ics"
    assert f'href="{offer_ics}?date=2026-12-22&amp;time=09:00"' in body
    assert f'href="{offer_ics}?date=2026-12-16' not in body  # no CAF desk on Wednesdays
    # The place's slots link to its own visit .ics.
    place_ics = "/lieux/france-services-croix-rousse/agenda.ics"
    assert f'href="{place_ics}?date=2026-12-16&amp;time=14:00"' in body
    assert "add this visit to my calendar" in body
    # Printing follows the place's hours and says so.
    assert "Available during the place's opening hours." in body


def test_page_when_closed_says_when_it_opens(client, place, frozen):
    frozen(SATURDAY_MORNING)
    body = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Closed now — opens Monday at 9 h" in body
    assert "closed now — opens Tuesday at 9 h" in body  # the CAF desk


# -- the .ics of one visit -----------------------------------------------------------------


def _events(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    return list(calendar.walk("VEVENT"))


def test_offer_ics_of_one_visit(client, place):
    caf, _printing = _offers(place)
    url = f"/lieux/france-services-croix-rousse/services/{caf.pk}/agenda.ics?date=2026-12-22"
    response = client.get(url)
    assert "2026-12-22.ics" in response["Content-Disposition"]
    [event] = _events(response)
    assert event.decoded("dtstart") == datetime.datetime(2026, 12, 22, 9, tzinfo=PARIS)
    assert event.decoded("dtend") == datetime.datetime(2026, 12, 22, 12, tzinfo=PARIS)
    assert "rrule" not in event
    assert str(event["summary"]).endswith("France Services Croix-Rousse")
    location = str(event["location"])
    assert "12 place de la Croix-Rousse" in location and "69004 Lyon" in location
    assert (event["geo"].latitude, event["geo"].longitude) == (45.76, 4.85)


def test_place_ics_of_one_slot_and_of_a_day(client, place):
    base = "/lieux/france-services-croix-rousse/agenda.ics?date=2026-12-16"
    [afternoon] = _events(client.get(base + "&time=14:00"))
    assert afternoon.decoded("dtstart") == datetime.datetime(2026, 12, 16, 14, tzinfo=PARIS)
    assert len(_events(client.get(base))) == 2


def test_every_directory_ics_carries_the_address(client, place):
    caf, _printing = _offers(place)
    for url in (
        "/lieux/france-services-croix-rousse/agenda.ics",
        f"/lieux/france-services-croix-rousse/services/{caf.pk}/agenda.ics",
    ):
        events = _events(client.get(url))
        assert events
        for event in events:
            assert "12 place de la Croix-Rousse" in str(event["location"]), url
            assert event["geo"].latitude == 45.76


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ("date=9/12/2026", 400, "YYYY-MM-DD"),
        ("date=2026-12-16&time=midi", 400, "HH:MM"),
        ("date=2031-01-01", 400, "2026-12-01"),
        ("date=2026-12-25", 404, "2026-12-25"),
        ("date=2026-12-16&time=08:00", 404, "2026-12-16"),
    ],
)
def test_visit_ics_bad_input_is_explained(client, place, query, code, words):
    response = client.get(
        f"/lieux/france-services-croix-rousse/agenda.ics?{query}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == code
    assert response["Content-Type"].startswith("text/plain")
    assert words in response.content.decode()


def test_a_place_without_coordinates_has_dated_days_and_no_geo(
    client, december, frozen, registry_admin
):
    bus = PlaceFactory(
        name="Bus numérique", slug="bus-numerique", latitude=None, longitude=None, insee_code=""
    )
    scheduling_actions.schedule_set_rules(user=registry_admin, place=bus, rules=[MON_FRI])
    body = client.get("/lieux/bus-numerique/").content.decode()
    assert "Les 14 prochains jours" in body and "data-place-static-map" not in body
    ics = client.get("/lieux/bus-numerique/agenda.ics?date=2026-12-16").content.decode()
    assert "LOCATION:Bus numérique" in ics and "GEO" not in ics
