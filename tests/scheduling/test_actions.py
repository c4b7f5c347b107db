from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from places.models import ChangeRecord
from scheduling import actions, selectors
from scheduling.ical import calendar_ics
from scheduling.models import OpeningInterval, Schedule
from tests.scheduling.conftest import paris

MON_FRI = {"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00", "14:00-18:00"]}


@pytest.fixture
def scheduled(window, staff, lyon):
    actions.schedule_set_rules(user=staff, place=lyon, rules=[MON_FRI])
    return lyon


def _rows(place):
    return list(OpeningInterval.objects.filter(place=place).values_list("start", "end", "kind"))


@pytest.mark.parametrize(
    "rule,field",
    [
        (
            {"kind": "weekly", "days": [0], "times": ["09:00-12:00", "11:00-13:00"]},
            "rules[0].times",
        ),
        ({"kind": "weekly", "days": [0], "times": ["09:00-09:00"]}, "rules[0].times"),
        (
            {"kind": "weekly", "days": [0, 1], "times": ["22:00-10:00", "09:00-11:00"]},
            "rules[0].times",
        ),
        ({"kind": "weekly", "days": [], "times": ["09:00-12:00"]}, "rules[0].days"),
        ({"kind": "weekly", "days": [0], "times": ["9h-12h"]}, "rules[0].times"),
        (
            {
                "kind": "dates",
                "start_date": "2025-05-10",
                "end_date": "2025-05-01",
                "times": ["09:00-12:00"],
            },
            "rules[0].end_date",
        ),
        (
            {
                "kind": "weekly",
                "days": [0],
                "times": ["09:00-12:00"],
                "valid_from": "2025-06-01",
                "valid_to": "2025-01-01",
            },
            "rules[0].valid_to",
        ),
        (
            {"kind": "nth_weekday", "days": [5], "nth": [7], "times": ["09:00-12:00"]},
            "rules[0].nth",
        ),
        (
            {
                "kind": "weekly",
                "days": [0],
                "times": ["09:00-12:00"],
                "yearly_from": "02-30",
                "yearly_to": "03-01",
            },
            "rules[0].yearly_from",
        ),
    ],
)
def test_bad_rules_are_refused_and_calendar_unchanged(scheduled, staff, rule, field):
    before = _rows(scheduled)
    version = Schedule.objects.get(place=scheduled).version
    with pytest.raises(ValidationError) as info:
        actions.schedule_set_rules(user=staff, place=scheduled, rules=[rule])
    assert field in info.value.message_dict
    assert _rows(scheduled) == before
    assert Schedule.objects.get(place=scheduled).version == version


def test_set_rules_records_history_and_materialises(scheduled):
    change = ChangeRecord.objects.filter(place=scheduled, target="schedule:place").get()
    assert change.action == ChangeRecord.Action.CREATE
    assert OpeningInterval.objects.filter(place=scheduled, kind="open").exists()
    assert selectors.is_open(scheduled, paris(2025, 3, 4, 10))


def test_stale_version_is_refused(scheduled, staff):
    with pytest.raises(ValidationError) as info:
        actions.schedule_set_rules(user=staff, place=scheduled, rules=[MON_FRI], expected_version=7)
    assert info.value.code == "stale_version"  # one conflict code for every record


def test_closure_with_reason(scheduled, staff):
    schedule = Schedule.objects.get(place=scheduled)
    actions.exception_add(
        user=staff, schedule=schedule, kind="closure",
        start_date=datetime.date(2025, 3, 4), title="Inventaire",
    )  # fmt: skip
    assert not selectors.is_open(scheduled, paris(2025, 3, 4, 10))
    closed = OpeningInterval.objects.get(place=scheduled, kind="closed")
    assert closed.comment == "Inventaire"
    assert [
        e.title for e in selectors.upcoming_exceptions(scheduled, datetime.date(2025, 3, 1))
    ] == ["Inventaire"]
    actions.exception_remove(user=staff, exception=schedule.exceptions.get())
    assert selectors.is_open(scheduled, paris(2025, 3, 4, 10))


def test_closure_needs_a_reason(scheduled, staff):
    with pytest.raises(ValidationError) as info:
        actions.exception_add(
            user=staff, schedule=Schedule.objects.get(place=scheduled), kind="closure",
            start_date=datetime.date(2025, 3, 4),
        )  # fmt: skip
    assert "title" in info.value.message_dict


def test_exception_end_before_start(scheduled, staff):
    with pytest.raises(ValidationError) as info:
        actions.exception_add(
            user=staff, schedule=Schedule.objects.get(place=scheduled), kind="event",
            start_date=datetime.date(2025, 3, 4), end_date=datetime.date(2025, 3, 1), title="Fête",
        )  # fmt: skip
    assert "end_date" in info.value.message_dict


def test_closure_outside_every_validity_period(window, staff, lyon):
    actions.schedule_set_rules(
        user=staff,
        place=lyon,
        rules=[
            {
                "kind": "weekly",
                "days": [5],
                "times": ["10:00-18:00"],
                "yearly_from": "04-01",
                "yearly_to": "10-31",
            }
        ],
    )
    with pytest.raises(ValidationError) as info:
        actions.exception_add(
            user=staff, schedule=Schedule.objects.get(place=lyon), kind="closure",
            start_date=datetime.date(2025, 12, 20), title="Travaux",
        )  # fmt: skip
    assert "start_date" in info.value.message_dict


def test_extra_opening_and_event(scheduled, staff):
    schedule = Schedule.objects.get(place=scheduled)
    actions.exception_add(
        user=staff, schedule=schedule, kind="extra_opening", start_date=datetime.date(2025, 3, 8),
        start_time=datetime.time(10), end_time=datetime.time(12),
    )  # fmt: skip
    actions.exception_add(
        user=staff, schedule=schedule, kind="event", start_date=datetime.date(2025, 3, 8),
        start_time=datetime.time(14), end_time=datetime.time(16), title="Repair café",
    )  # fmt: skip
    assert selectors.is_open(scheduled, paris(2025, 3, 8, 11))
    assert not selectors.is_open(scheduled, paris(2025, 3, 8, 15))  # an event is not an opening
    assert OpeningInterval.objects.get(place=scheduled, kind="event").comment == "Repair café"


def test_offer_schedule_differs_from_place(scheduled, staff):
    from services.models import ServiceOffer

    offer = _offer(scheduled)
    actions.schedule_set_rules(
        user=staff, offer=offer, rules=[{"kind": "weekly", "days": [1], "times": ["14:00-16:00"]}]
    )
    assert selectors.is_open(offer, paris(2025, 3, 4, 15))
    assert not selectors.is_open(offer, paris(2025, 3, 4, 10))
    assert selectors.is_open(scheduled, paris(2025, 3, 4, 10))
    assert isinstance(offer, ServiceOffer)
    assert b"RRULE:FREQ=WEEKLY" in calendar_ics(offer)


def _offer(place):
    from services.models import Provider, ServiceKind, ServiceOffer

    return ServiceOffer.objects.create(
        place=place,
        kind=ServiceKind.objects.filter(active=True).first(),
        provider=Provider.objects.create(slug="caf-test", name="CAF test", sector="public"),
    )


def test_open_places_is_a_combinable_queryset(scheduled, staff):
    from places.models import Place
    from tests.factories import PlaceFactory

    PlaceFactory(name="Closed place")
    at = paris(2025, 3, 4, 10)
    assert list(selectors.open_places(at)) == [scheduled]
    assert not selectors.open_places(at, Place.objects.filter(name="Closed place")).exists()
    with pytest.raises(selectors.OutsideWindow) as info:
        selectors.open_places(paris(2030, 1, 1, 10))
    assert "2025-01-01" in str(info.value) and "2027-01-01" in str(info.value)


def test_week_timetable_wording(window, staff, lyon):
    actions.schedule_set_rules(
        user=staff,
        place=lyon,
        rules=[
            {
                "kind": "weekly",
                "days": [1],
                "times": ["09:00-12:00"],
                "season": "outside_school_holidays",
            }
        ],
    )
    from django.utils import translation

    with translation.override("en"):
        table = selectors.week_timetable(lyon, datetime.date(2025, 3, 1))
    assert table["days"][1]["lines"] == ["Tuesday 9 h – 12 h, outside school holidays"]
    assert table["notes"] == ["closed on public holidays"]
    with translation.override("fr"):
        table = selectors.week_timetable(lyon, datetime.date(2025, 3, 1))
    assert table["days"][1]["lines"][0].startswith("mardi 9 h – 12 h")


def test_ics_has_rrule_and_holiday_exdates(scheduled):
    body = calendar_ics(scheduled, today=datetime.date(2025, 3, 1)).decode()
    assert "RRULE:FREQ=WEEKLY;UNTIL=" in body and "BYDAY=MO,TU,WE,TH,FR" in body
    exdates = [line for line in body.replace("\r\n ", "").splitlines() if line.startswith("EXDATE")]
    assert any("20250501T090000" in line for line in exdates)  # 1 May, morning range
    assert not any("20250502T090000" in line for line in exdates)
    assert "BEGIN:VTIMEZONE" in body


def test_school_rule_needs_a_zone(window, staff):
    from tests.factories import PlaceFactory

    ajaccio = PlaceFactory(postcode="20000", insee_code="2A004")
    rule = {"kind": "weekly", "days": [1], "times": ["09:00-12:00"], "season": "school_holidays"}
    with pytest.raises(ValidationError) as info:
        actions.schedule_set_rules(user=staff, place=ajaccio, rules=[rule])
    assert "holiday_zone" in info.value.message_dict
    actions.schedule_set_rules(user=staff, place=ajaccio, rules=[rule], holiday_zone="B")


def test_school_calendar_not_covered_is_an_error():
    from scheduling.school_holidays import SchoolCalendarNotCovered, is_school_holiday

    with pytest.raises(SchoolCalendarNotCovered, match="2027-07-31"):
        is_school_holiday(datetime.date(2028, 2, 1), "A")
    assert is_school_holiday(datetime.date(2026, 2, 10), "A")
    assert not is_school_holiday(datetime.date(2026, 2, 10), "C")


def test_rebuild_calendar_command(scheduled):
    from django.core.management import call_command

    from scheduling.models import CalendarWindow

    call_command("rebuild_calendar", "--no-progress")
    window = CalendarWindow.objects.get()
    assert window.end - window.start == datetime.timedelta(days=122)
    assert OpeningInterval.objects.filter(place=scheduled).exists()


def test_school_calendar_coverage_notice():
    from scheduling.school_holidays import COVERED_TO, NOTICE_DAYS, coverage_notice

    # The window's end is excluded: ending the day after the table's last day, it still
    # fits, and the next daily roll takes it past.
    last_fit = COVERED_TO + datetime.timedelta(days=1)
    assert coverage_notice(last_fit - datetime.timedelta(days=NOTICE_DAYS)) is None
    soon = coverage_notice(last_fit - datetime.timedelta(days=NOTICE_DAYS - 2))
    assert f"ends {COVERED_TO.isoformat()}" in soon
    assert f"in {NOTICE_DAYS - 1} days" in soon
    assert "reaches past it in 1 day." in coverage_notice(last_fit)
    assert "already reaches past it" in coverage_notice(last_fit + datetime.timedelta(days=1))


@pytest.mark.parametrize("covered_days_ahead, warned", [(400, False), (30, True)])
def test_rebuild_calendar_warns_before_the_school_calendar_runs_out(
    scheduled, monkeypatch, covered_days_ahead, warned
):
    """The nightly rebuild says, months ahead, when the school calendar on file will no
    longer cover the window (the table's end is moved here instead of the clock)."""
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from scheduling import school_holidays

    covered_to = timezone.localdate() + datetime.timedelta(days=covered_days_ahead)
    monkeypatch.setattr(school_holidays, "COVERED_TO", covered_to)
    err = io.StringIO()
    call_command("rebuild_calendar", "--no-progress", stderr=err)
    assert (f"school calendar on file ends {covered_to.isoformat()}" in err.getvalue()) is warned


def test_rebuild_calendar_sweeps_rows_of_deleted_places_and_offers(scheduled, staff):
    """Calendar rows have no foreign-key constraint: rows a rebuild wrote for a place or an
    offer deleted meanwhile are removed by the next full rebuild (the sweep for places,
    the place's own rebuild for offers), and only those."""
    import io

    from django.core.management import call_command

    from tests.factories import ServiceOfferFactory

    offer = ServiceOfferFactory(place=scheduled)
    actions.schedule_set_rules(user=staff, offer=offer, rules=[MON_FRI])
    at, later = paris(2025, 3, 4, 9), paris(2025, 3, 4, 12)
    OpeningInterval.objects.create(place_id=scheduled.pk + 10_000, start=at, end=later)
    OpeningInterval.objects.create(
        place_id=scheduled.pk, offer_id=offer.pk + 10_000, start=at, end=later
    )
    out = io.StringIO()
    call_command("rebuild_calendar", "--no-progress", stdout=out)
    assert "1 rows of deleted places removed" in out.getvalue()
    assert not OpeningInterval.objects.filter(place_id=scheduled.pk + 10_000).exists()
    assert not OpeningInterval.objects.filter(offer_id=offer.pk + 10_000).exists()
    assert OpeningInterval.objects.filter(offer=offer).exists()
    assert OpeningInterval.objects.filter(place=scheduled, offer=None).exists()
    # Deleting through Django still takes the rows along (CASCADE without a constraint).
    offer_pk = offer.pk
    offer.delete()
    assert not OpeningInterval.objects.filter(offer_id=offer_pk).exists()


def test_places_sharing_hours_get_the_rows_each_would_get_alone(window, staff, lyon, metz):
    """rebuild_places evaluates each distinct schedule once and gives its rows to every
    place that reads the same: same rows as rebuilt place by place, and a place whose
    department has holidays of its own (Metz: Good Friday, 26 December) or whose
    schedule has an exception gets its own."""
    from scheduling.materialise import current_window, rebuild_places
    from tests.factories import PlaceFactory

    lyon_too = PlaceFactory(name="Mairie", postcode="69007", insee_code="69387")
    excepted = PlaceFactory(name="Musée", postcode="69002", insee_code="69382")
    places = [lyon, lyon_too, metz, excepted]
    for place in places:
        actions.schedule_set_rules(user=staff, place=place, rules=[MON_FRI])
    schedule = Schedule.objects.get(place=excepted)
    actions.exception_add(
        user=staff,
        schedule=schedule,
        kind="closure",
        start_date=datetime.date(2025, 3, 3),
        title="Inventaire",
    )
    alone = {p.pk: sorted(_rows(p)) for p in places}  # each built by its own action
    OpeningInterval.objects.all().delete()
    rebuild_places([p.pk for p in places], current_window())
    together = {p.pk: sorted(_rows(p)) for p in places}
    assert together == alone
    assert alone[lyon.pk] == alone[lyon_too.pk]
    assert alone[metz.pk] != alone[lyon.pk]  # Good Friday is a holiday in Moselle only
    assert "closed" in {kind for _s, _e, kind in alone[excepted.pk]}
