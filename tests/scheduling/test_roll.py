"""The nightly roll moves the calendar window without a full rebuild, to the same rows.

Each case builds the window at a first "today", rolls it to a later one with
`roll_calendar`, and compares every row with what `rebuild_calendar` writes for the later
window: evenings past midnight, closures across the old end, an offer's own slots, a
suspended offer, a school-holiday rule, OSM hours, overseas places and a DST change.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from scheduling import actions, materialise
from scheduling.management.commands import rebuild_calendar, roll_calendar
from scheduling.models import CalendarWindow, OpeningInterval
from scheduling.selectors import open_places
from services import actions as service_actions
from tests.factories import PlaceFactory, ServiceOfferFactory

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
WEEKDAYS = {"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00", "14:00-17:00"]}
EVENINGS = {"kind": "weekly", "days": [4, 5], "times": ["21:00-02:00"]}


def _today(monkeypatch, today: datetime.date) -> None:
    """Both commands read the window for `today` (the clock itself is left alone)."""
    window = lambda: materialise.default_window(today)  # noqa: E731
    monkeypatch.setattr(rebuild_calendar, "default_window", window)
    monkeypatch.setattr(roll_calendar, "default_window", window)


def _start(monkeypatch, today: datetime.date) -> None:
    """A window built whole for `today` (the clock itself is left alone)."""
    first, end = materialise.default_window(today)
    CalendarWindow.objects.all().delete()
    CalendarWindow.objects.create(pk=1, start=first, end=end, build_end=end)
    _today(monkeypatch, today)
    call_command("rebuild_calendar", "--no-progress")


def _rows() -> set[tuple]:
    return set(
        OpeningInterval.objects.values_list(
            "place_id", "offer_id", "start", "end", "kind", "comment"
        )
    )


@pytest.fixture
def registry(db, registry_admin):
    staff = registry_admin
    lyon = PlaceFactory(name="Médiathèque", postcode="69003", insee_code="69383")
    actions.schedule_set_rules(user=staff, place=lyon, rules=[WEEKDAYS, EVENINGS])
    caf = ServiceOfferFactory(place=lyon)
    desk = actions.schedule_set_rules(
        user=staff, offer=caf, rules=[{"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}]
    )
    school = PlaceFactory(name="Ludothèque", postcode="75011", insee_code="75111")
    actions.schedule_set_rules(
        user=staff,
        place=school,
        rules=[
            {"kind": "weekly", "days": [2], "times": ["14:00-18:00"]},
            {
                "kind": "weekly",
                "days": [0, 1, 3, 4],
                "times": ["10:00-12:00"],
                "season": "school_holidays",
            },
        ],
    )
    osm = PlaceFactory(name="Repair café", postcode="69001", insee_code="69381")
    actions.schedule_set_osm(user=staff, place=osm, text="Sa 10:00-18:00; PH off")
    reunion = PlaceFactory(name="Saint-Denis", postcode="97400", insee_code="97411")
    actions.schedule_set_rules(user=staff, place=reunion, rules=[WEEKDAYS, EVENINGS])
    guyane = PlaceFactory(name="Cayenne", postcode="97300", insee_code="97302")
    actions.schedule_set_rules(user=staff, place=guyane, rules=[WEEKDAYS, EVENINGS])
    suspended = ServiceOfferFactory(place=osm)
    actions.schedule_set_rules(user=staff, offer=suspended, rules=[WEEKDAYS])
    return {
        "staff": staff,
        "lyon": lyon,
        "desk": desk,
        "caf": caf,
        "suspended": suspended,
        "places": [lyon, school, osm, reunion, guyane],
    }


@pytest.mark.parametrize(
    ("first_day", "days_later"),
    [
        (datetime.date(2026, 10, 20), 1),  # the nightly case
        (datetime.date(2026, 10, 20), 9),  # a week of missed nights
        (datetime.date(2026, 11, 24), 5),  # the new end crosses the spring DST change
    ],
)
def test_a_roll_writes_what_a_rebuild_writes(monkeypatch, registry, first_day, days_later):
    _start(monkeypatch, first_day)
    later = first_day + days_later * DAY
    old_end = CalendarWindow.objects.get().build_end
    # Changes made between the two nights reach the new days too: a closure across the
    # old end (which the roll must not duplicate) and a suspension.
    actions.exception_add(
        user=registry["staff"],
        schedule=registry["desk"],
        kind="closure",
        start_date=old_end - 2 * DAY,
        end_date=old_end + 3 * DAY,
        title="Travaux",
    )
    service_actions.offer_suspend(
        offer=registry["suspended"], user=registry["staff"], until=old_end + 2 * DAY
    )
    _today(monkeypatch, later)
    out = io.StringIO()
    call_command("roll_calendar", "--no-progress", "--batch", "2", stdout=out)
    assert "rolled from" in out.getvalue()
    rolled, window = _rows(), CalendarWindow.objects.get()
    assert (window.start, window.end, window.build_end) == (
        later - DAY,
        later + 121 * DAY,
        later + 121 * DAY,
    )
    call_command("rebuild_calendar", "--no-progress")
    rebuilt = _rows()
    assert rolled == rebuilt, (sorted(rolled - rebuilt)[:5], sorted(rebuilt - rolled)[:5])
    # The new days have rows, the past ones went.
    last = max(end for *_ids, _start, end, _kind, _comment in rolled)
    assert last.date() >= (later + 119 * DAY)
    assert not OpeningInterval.objects.filter(
        end__lt=materialise._midnight(later - 2 * DAY, "Europe/Paris")
    ).exists()


def test_a_second_roll_the_same_day_changes_nothing(monkeypatch, registry):
    _start(monkeypatch, datetime.date(2026, 10, 20))
    _today(monkeypatch, datetime.date(2026, 10, 21))
    call_command("roll_calendar", "--no-progress")
    before = _rows()
    out = io.StringIO()
    call_command("roll_calendar", "--no-progress", stdout=out)
    assert "already rolled" in out.getvalue()
    assert _rows() == before


def test_searches_keep_answering_during_a_roll(monkeypatch, registry):
    """Between every batch of the roll (one place per batch), "open at" answers as before
    for an instant inside both windows, and never promises a day without rows."""
    _start(monkeypatch, datetime.date(2026, 10, 20))
    tuesday_morning = materialise._midnight(datetime.date(2026, 10, 27), "Europe/Paris")
    tuesday_morning += datetime.timedelta(hours=10)
    expected = set(open_places(tuesday_morning).values_list("pk", flat=True))
    assert registry["lyon"].pk in expected
    answers = []
    real = materialise.roll_places

    def watched(place_ids, old, new):
        added = real(place_ids, old, new)
        answers.append(set(open_places(tuesday_morning).values_list("pk", flat=True)))
        window = CalendarWindow.objects.get()
        # The end promised is still the old one until every place has its new days.
        assert window.end <= old[1]
        return added

    monkeypatch.setattr(roll_calendar, "roll_places", watched)
    _today(monkeypatch, datetime.date(2026, 10, 22))
    call_command("roll_calendar", "--no-progress", "--batch", "1")
    assert len(answers) == len(registry["places"])
    assert all(answer == expected for answer in answers)


def test_the_roll_costs_the_same_queries_for_more_places(monkeypatch, registry):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _start(monkeypatch, datetime.date(2026, 10, 20))
    window = CalendarWindow.objects.get()
    old = (window.start, window.build_end)
    new = (old[0] + DAY, old[1] + DAY)
    ids = [p.pk for p in registry["places"]]
    with CaptureQueriesContext(connection) as two:
        materialise.roll_places(ids[:2], old, new)
    with CaptureQueriesContext(connection) as five:
        materialise.roll_places(
            ids, (old[0] + DAY, old[1] + DAY), (old[0] + 2 * DAY, old[1] + 2 * DAY)
        )
    # Per zone present: two deletes (the two places of the first call share Paris's zone).
    zones_first, zones_all = 1, 3
    assert len(five) - len(two) == 2 * (zones_all - zones_first), "\n".join(
        q["sql"][:150] for q in five.captured_queries
    )
