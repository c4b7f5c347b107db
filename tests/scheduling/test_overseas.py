"""Overseas places run on their own clocks and public holidays, not on Paris's."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from places import actions as place_actions
from places.forms import PlaceForm
from places.models import ChangeRecord
from places.timezones import place_zone_name
from scheduling import actions
from scheduling.ical import calendar_ics
from scheduling.jsonld import place_jsonld
from scheduling.models import CalendarWindow, OpeningInterval, ScheduleException
from scheduling.selectors import is_open, next_opening, open_places, window_bounds
from scheduling.status import status_of, statuses_for
from tests.factories import PlaceFactory

UTC = datetime.UTC
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
MORNINGS = {"kind": "weekly", "days": EVERY_DAY, "times": ["08:00-12:00"]}

# (department, INSEE code, postcode, zone, own public holiday, another territory's holiday)
TERRITORIES = [
    ("971", "97101", "97139", "America/Guadeloupe", "2026-05-27", "2026-06-10"),
    ("972", "97209", "97200", "America/Martinique", "2026-05-22", "2026-05-27"),
    ("973", "97302", "97300", "America/Cayenne", "2026-06-10", "2026-05-22"),
    ("974", "97411", "97400", "Indian/Reunion", "2026-12-20", "2026-12-26"),
    ("976", "97611", "97600", "Indian/Mayotte", "2026-04-27", "2026-05-27"),
]
IDS = [t[0] for t in TERRITORIES]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def window(db):
    """March 2026 to New Year 2027: both Paris DST changes and every holiday above."""
    return CalendarWindow.objects.create(
        pk=1,
        start=datetime.date(2026, 3, 1),
        end=datetime.date(2027, 1, 1),
        build_end=datetime.date(2027, 1, 1),
    )


def _at(zone: str, *parts) -> datetime.datetime:
    """An aware instant from the wall-clock parts of `zone`."""
    return datetime.datetime(*parts, tzinfo=zoneinfo.ZoneInfo(zone))


def _place(staff, insee: str, postcode: str, *rules, public_holidays: str = "closed"):
    place = PlaceFactory(insee_code=insee, postcode=postcode, name=f"Lieu {insee}")
    actions.schedule_set_rules(
        user=staff, place=place, rules=list(rules or [MORNINGS]), public_holidays=public_holidays
    )
    return place


@pytest.fixture
def reunion(window, staff):
    return _place(staff, "97411", "97400")


@pytest.mark.parametrize(
    ("dep", "insee", "postcode", "zone", "_own", "_other"), TERRITORIES, ids=IDS
)
def test_each_department_has_its_zone(db, dep, insee, postcode, zone, _own, _other):
    assert place_zone_name(PlaceFactory(insee_code=insee, postcode=postcode)) == zone
    # The postcode alone is enough when the INSEE code is missing.
    assert place_zone_name(PlaceFactory(insee_code="", postcode=postcode)) == zone


def test_collectivities_and_metropolitan_places(db):
    assert place_zone_name(PlaceFactory(insee_code="69123", postcode="69003")) == "Europe/Paris"
    assert place_zone_name(PlaceFactory(insee_code="2A004", postcode="20000")) == "Europe/Paris"
    # Saint-Barthélemy has a Guadeloupe postcode: its INSEE code tells it apart.
    assert place_zone_name(PlaceFactory(insee_code="97701", postcode="97133")) == (
        "America/St_Barthelemy"
    )
    assert place_zone_name(PlaceFactory(insee_code="98735", postcode="98714")) == "Pacific/Tahiti"
    assert place_zone_name(PlaceFactory(insee_code="", postcode="98800")) == "Pacific/Noumea"


@pytest.mark.parametrize(
    ("dep", "insee", "postcode", "zone", "_own", "_other"), TERRITORIES, ids=IDS
)
@pytest.mark.parametrize(
    "day",
    [datetime.date(2026, 3, 10), datetime.date(2026, 7, 7), datetime.date(2026, 11, 3)],
    ids=["paris-winter", "paris-summer", "paris-winter-again"],
)
def test_open_and_closed_at_local_instants_across_paris_dst(
    window, staff, dep, insee, postcode, zone, _own, _other, day
):
    place = _place(staff, insee, postcode)
    y, m, d = day.year, day.month, day.day
    # Paris's offset changes across these days, the place's does not: a calendar
    # evaluated on Paris time would be off by one more hour in summer.
    assert is_open(place, _at(zone, y, m, d, 8, 0))
    assert is_open(place, _at(zone, y, m, d, 11, 59))
    assert not is_open(place, _at(zone, y, m, d, 7, 59))
    assert not is_open(place, _at(zone, y, m, d, 12, 0))
    opening = next_opening(place, _at(zone, y, m, d, 12, 30))
    assert opening.start == _at(zone, y, m, d + 1, 8, 0)
    assert opening.end == _at(zone, y, m, d + 1, 12, 0)


def test_reunion_in_utc_terms(reunion):
    # 08:00-12:00 in Saint-Denis is 04:00-08:00 UTC all year round.
    for month in (3, 7):  # Paris on winter time, then on summer time
        assert is_open(reunion, datetime.datetime(2026, month, 10, 5, 30, tzinfo=UTC))
        assert not is_open(reunion, datetime.datetime(2026, month, 10, 9, 30, tzinfo=UTC))
        assert not is_open(reunion, datetime.datetime(2026, month, 10, 3, 30, tzinfo=UTC))
    at = datetime.datetime(2026, 7, 10, 5, 30, tzinfo=UTC)
    assert list(open_places(at)) == [reunion]
    assert list(open_places(at.replace(hour=9))) == []


def test_outside_the_window_the_schedule_is_evaluated_in_the_place_zone(reunion):
    assert is_open(reunion, datetime.datetime(2027, 2, 2, 5, 30, tzinfo=UTC))
    assert not is_open(reunion, datetime.datetime(2027, 2, 2, 9, 30, tzinfo=UTC))
    opening = next_opening(reunion, datetime.datetime(2027, 2, 2, 9, 30, tzinfo=UTC))
    assert opening.start == datetime.datetime(2027, 2, 3, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(("dep", "insee", "postcode", "zone", "own", "other"), TERRITORIES, ids=IDS)
def test_own_public_holidays_close_other_territories_do_not(
    window, staff, dep, insee, postcode, zone, own, other
):
    place = _place(staff, insee, postcode)
    own_day, other_day = datetime.date.fromisoformat(own), datetime.date.fromisoformat(other)
    assert not is_open(place, _at(zone, own_day.year, own_day.month, own_day.day, 9))
    assert is_open(place, _at(zone, other_day.year, other_day.month, other_day.day, 9))
    # National holidays apply everywhere.
    assert not is_open(place, _at(zone, 2026, 7, 14, 9))
    assert is_open(place, _at(zone, 2026, 7, 15, 9))


def test_alsace_moselle_keeps_its_holidays(window, staff):
    metz = _place(staff, "57463", "57000")
    assert not is_open(metz, _at("Europe/Paris", 2026, 12, 26, 9))  # Saint-Étienne
    assert is_open(metz, _at("Europe/Paris", 2026, 12, 20, 9))  # La Réunion's, not Metz's


def test_instants_at_the_window_edges_are_answered_from_rows(window, staff):
    lo, hi = window_bounds()
    # The window's last instant (Paris midnight, 23:00 UTC) is 03:00 next morning in
    # La Réunion; its first (23:00 UTC the day before) is 19:00 the day before in Guyane.
    nights = {"kind": "weekly", "days": EVERY_DAY, "times": ["00:00-04:00"]}
    evenings = {"kind": "weekly", "days": EVERY_DAY, "times": ["20:00-22:00"]}
    reunion = _place(staff, "97411", "97400", nights, public_holidays="open")
    cayenne = _place(staff, "97302", "97300", evenings)
    last = hi - datetime.timedelta(minutes=30)
    first = lo + datetime.timedelta(minutes=30)
    assert timezone_day(last, "Indian/Reunion") == datetime.date(2027, 1, 1)
    assert timezone_day(first, "America/Cayenne") == datetime.date(2026, 2, 28)
    # Read from the materialised rows (the instants are inside the window)...
    assert OpeningInterval.objects.filter(place_id=reunion.pk, start__lte=last, end__gt=last)
    assert OpeningInterval.objects.filter(place_id=cayenne.pk, start__lte=first, end__gt=first)
    # ...so every reader agrees.
    assert is_open(reunion, last) and is_open(cayenne, first)
    assert set(open_places(last)) == {reunion}  # 19:30 in Cayenne
    assert set(open_places(first)) == {reunion, cayenne}  # 03:30 in La Réunion
    assert status_of(reunion, last).is_open and status_of(cayenne, first).is_open


def timezone_day(at: datetime.datetime, zone: str) -> datetime.date:
    return at.astimezone(zoneinfo.ZoneInfo(zone)).date()


def test_status_wording_uses_the_place_clock(reunion, window, staff):
    cayenne = _place(staff, "97302", "97300")
    morning = datetime.datetime(2026, 3, 10, 5, 30, tzinfo=UTC)  # 09:30 in La Réunion
    statuses = statuses_for([reunion, cayenne], morning)
    assert statuses[reunion.pk].text == "open until 12 h"
    assert statuses[cayenne.pk].text == "opens today at 8 h"  # 02:30 in Cayenne
    after = datetime.datetime(2026, 3, 10, 9, 30, tzinfo=UTC)  # 13:30 in La Réunion
    assert status_of(reunion, after).text == "opens tomorrow at 8 h"
    # Friday 13:00 in Cayenne is 18:00 in Paris: next is Saturday 8 h there.
    friday = _at("America/Cayenne", 2026, 3, 13, 13)
    assert status_of(cayenne, friday).text == "opens tomorrow at 8 h"


def test_status_queries_stay_three(reunion, window, staff, django_assert_num_queries):
    cayenne = _place(staff, "97302", "97300")
    lyon = _place(staff, "69123", "69003")
    with django_assert_num_queries(3):
        statuses = statuses_for(
            [reunion.pk, cayenne.pk, lyon.pk], datetime.datetime(2026, 3, 10, 9, tzinfo=UTC)
        )
    assert statuses[lyon.pk].text == "open until 12 h"  # 10:00 in Lyon


def test_staff_override_of_the_zone(window, staff):
    place = _place(staff, "69123", "69003")
    at = datetime.datetime(2026, 3, 10, 5, 30, tzinfo=UTC)  # 06:30 in Lyon, 09:30 in Réunion
    assert not is_open(place, at)
    place_actions.place_update(
        place=place,
        user=staff,
        expected_version=place.version,
        data={"time_zone": "Indian/Reunion"},
    )
    place.refresh_from_db()
    assert place.zone_name == "Indian/Reunion"
    assert is_open(place, at)  # the calendar was rebuilt in the new zone
    change = ChangeRecord.objects.filter(place=place, target="place").latest("id")
    assert change.changes["time_zone"] == ["", "Indian/Reunion"]
    # Back to blank: derived from the department again.
    place_actions.place_update(
        place=place, user=staff, expected_version=place.version, data={"time_zone": ""}
    )
    place.refresh_from_db()
    assert place.zone_name == "Europe/Paris" and not is_open(place, at)


def test_an_unknown_zone_is_refused_and_nothing_stored(window, staff):
    place = _place(staff, "97411", "97400")
    rows = OpeningInterval.objects.filter(place_id=place.pk).count()
    with pytest.raises(ValidationError) as caught:
        place_actions.place_update(
            place=place, user=staff, expected_version=place.version, data={"time_zone": "Mars/Base"}
        )
    assert "time_zone" in caught.value.message_dict
    place.refresh_from_db()
    assert place.time_zone == "" and place.version == 1
    assert OpeningInterval.objects.filter(place_id=place.pk).count() == rows


def test_the_staff_form_offers_the_zone(db):
    form = PlaceForm(instance=PlaceFactory())
    assert "time_zone" in form.fields and not form.fields["time_zone"].required


SCHOOL_RULE = {"kind": "weekly", "days": [2], "times": ["14:00-17:00"], "season": "school_holidays"}


def test_school_rules_are_refused_overseas(window, staff):
    place = PlaceFactory(insee_code="97411", postcode="97400")
    for zone in ("", "A"):  # never a metropolitan zone in its stead
        with pytest.raises(ValidationError) as caught:
            actions.schedule_set_rules(
                user=staff, place=place, rules=[SCHOOL_RULE], holiday_zone=zone
            )
        (message,) = caught.value.message_dict["rules"]
        assert "school calendar of La Réunion is not on file" in message
    assert not OpeningInterval.objects.filter(place_id=place.pk).exists()


def test_moving_a_place_with_school_rules_overseas_is_refused(window, staff):
    place = _place(staff, "69123", "69003", MORNINGS, SCHOOL_RULE)
    with pytest.raises(ValidationError) as caught:
        place_actions.place_update(
            place=place,
            user=staff,
            expected_version=place.version,
            data={"postcode": "97600", "insee_code": "97611"},
        )
    assert "Mayotte" in str(caught.value)
    place.refresh_from_db()
    assert place.insee_code == "69123"


def test_ics_and_jsonld_carry_the_place_zone(reunion, window, staff):
    actions.exception_add(
        user=staff,
        schedule=reunion.schedule,
        kind=ScheduleException.Kind.EVENT,
        start_date=datetime.date(2026, 3, 20),
        end_date=datetime.date(2026, 3, 20),
        start_time=datetime.time(14),
        end_time=datetime.time(16),
        title="Atelier",
    )
    ics = calendar_ics(reunion, today=datetime.date(2026, 3, 10)).decode()
    assert "DTSTART;TZID=Indian/Reunion:20260309T080000" in ics.replace("\r\n ", "")
    assert "Europe/Paris" not in ics
    data = place_jsonld(reunion, url="/x/", schedule=reunion.schedule, exceptions=[
        reunion.schedule.exceptions.get()
    ])  # fmt: skip
    assert data["event"][0]["startDate"] == "2026-03-20T14:00:00+04:00"


def test_osm_text_with_holidays_the_library_cannot_know_is_refused(window, staff):
    place = PlaceFactory(insee_code="97302", postcode="97300")
    with pytest.raises(ValidationError) as caught:
        actions.schedule_set_osm(
            user=staff, place=place, text="Mo-Fr 09:00-18:00; We 09:00-12:00; PH off"
        )
    (message,) = caught.value.message_dict["osm_source"]
    assert "Guyane" in message
    # The same hours as rules are accepted, with Guyane's holidays.
    actions.schedule_set_osm(user=staff, place=place, text="Mo-Fr 08:00-12:00; PH off")
    assert not is_open(place, _at("America/Cayenne", 2026, 6, 10, 9))
    assert is_open(place, _at("America/Cayenne", 2026, 6, 11, 9))


def test_preview_names_the_territory_for_school_rules(db):
    from scheduling.preview import build_ruleset

    place = PlaceFactory(insee_code="97611", postcode="97600")
    with pytest.raises(ValidationError) as caught:
        build_ruleset(place, rules=[SCHOOL_RULE], holiday_zone="B")
    assert "Mayotte" in str(caught.value)


def test_service_status_is_worded_in_the_place_clock(reunion, window, staff):
    from scheduling.status import offer_statuses_for
    from tests.factories import ServiceOfferFactory

    offer = ServiceOfferFactory(place=reunion)
    actions.schedule_set_rules(
        user=staff, offer=offer, rules=[{"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}]
    )
    monday = datetime.datetime(2026, 3, 9, 10, tzinfo=UTC)  # 14:00 in La Réunion
    assert offer_statuses_for([offer], monday)[offer.pk].text == "opens tomorrow at 9 h"
    tuesday = datetime.datetime(2026, 3, 10, 6, tzinfo=UTC)  # 10:00 in La Réunion
    assert offer_statuses_for([offer], tuesday)[offer.pk].text == "open until 12 h"


def test_the_place_agenda_tells_days_and_hours_in_the_place_clock(reunion, window):
    from scheduling.agenda import place_agenda

    # Monday 9 March, 21:00 UTC: still Monday in Paris, already Tuesday in La Réunion.
    at = datetime.datetime(2026, 3, 9, 21, tzinfo=UTC)
    agenda = place_agenda(reunion, [], at)
    first = agenda.place.days[0]
    assert first.date == datetime.date(2026, 3, 10)
    assert [slot.text for slot in first.opens] == ["8 h – 12 h"]
    assert agenda.place.status.text == "opens today at 8 h"
