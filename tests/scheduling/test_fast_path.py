"""The minute-based evaluation and the row writer against the day-by-day reading."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scheduling import actions
from scheduling.materialise import interval_tuples, rebuild_places
from scheduling.models import CalendarWindow, OpeningInterval, Schedule
from scheduling.rules import ExceptionSpec, RuleSet, parse_time_range, rules_from_data
from tests.scheduling.test_properties import SETTINGS, rule_sets

exception_specs = st.builds(
    lambda kind, first, days, times: ExceptionSpec(
        kind=kind,
        start_date=first,
        end_date=first + datetime.timedelta(days=days),
        start_time=times[0] if times else None,
        end_time=times[1] if times else None,
        title="x",
    ),
    st.sampled_from(["closure", "extra_opening", "event"]),
    st.dates(datetime.date(2025, 2, 20), datetime.date(2025, 6, 10)),
    st.integers(0, 10),
    st.one_of(
        st.none(),
        st.tuples(st.integers(0, 11), st.integers(12, 23)).map(
            lambda hh: (datetime.time(hh[0], 15), datetime.time(hh[1], 45))
        ),
    ),
)


@SETTINGS
@given(
    rules=rule_sets,
    holidays=st.sampled_from(["closed", "open", "special"]),
    department=st.sampled_from([None, "69", "57", "67"]),
    zone=st.sampled_from(["A", "B", "C"]),
    exceptions=st.lists(exception_specs, max_size=3),
    first=st.dates(datetime.date(2025, 1, 1), datetime.date(2025, 6, 1)),
    days=st.integers(0, 130),
)
def test_fast_evaluation_equals_day_by_day(
    rules, holidays, department, zone, exceptions, first, days
):
    ruleset = RuleSet(
        rules_from_data(rules),
        public_holidays=holidays,
        holiday_times=(parse_time_range("10:00-12:30"),) if holidays == "special" else (),
        department=department,
        zone=zone,
        exceptions=exceptions,
    )
    stop = first + datetime.timedelta(days=days)
    assert ruleset.minute_exact()
    assert ruleset.base_open(first, stop) == ruleset._base_open_daily(first, stop)
    assert ruleset.open_local(first, stop) == ruleset._open_local_daily(first, stop)


def test_exception_times_with_seconds_use_the_daily_reading():
    spec = ExceptionSpec(
        kind="closure",
        start_date=datetime.date(2025, 3, 4),
        end_date=datetime.date(2025, 3, 4),
        start_time=datetime.time(10, 0, 30),
        end_time=datetime.time(11),
        title="x",
    )
    weekly = rules_from_data([{"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}])
    ruleset = RuleSet(weekly, exceptions=[spec])
    assert not ruleset.minute_exact()
    first, stop = datetime.date(2025, 3, 3), datetime.date(2025, 3, 6)
    assert ruleset.open_local(first, stop) == [
        (datetime.datetime(2025, 3, 4, 9), datetime.datetime(2025, 3, 4, 10, 0, 30)),
        (datetime.datetime(2025, 3, 4, 11), datetime.datetime(2025, 3, 4, 12)),
    ]


@pytest.mark.django_db
def test_rows_cross_daylight_saving_changes(window, staff, lyon):
    # 30 March 2025 loses its 02:00-03:00 hour; 26 October 2025 repeats 02:00-03:00.
    actions.schedule_set_rules(
        user=staff, place=lyon, rules=[{"kind": "weekly", "days": [6], "times": ["00:00-24:00"]}]
    )
    utc = datetime.UTC
    rows = set(
        OpeningInterval.objects.filter(
            place=lyon,
            start__in=[
                datetime.datetime(2025, 3, 29, 23, tzinfo=utc),
                datetime.datetime(2025, 10, 25, 22, tzinfo=utc),
            ],
        ).values_list("start", "end")
    )
    # Paris midnight is 23:00 UTC in winter, 22:00 UTC in summer.
    assert rows == {
        # 30 March: 23 hours long
        (
            datetime.datetime(2025, 3, 29, 23, tzinfo=utc),
            datetime.datetime(2025, 3, 30, 22, tzinfo=utc),
        ),
        # 26 October: 25 hours long
        (
            datetime.datetime(2025, 10, 25, 22, tzinfo=utc),
            datetime.datetime(2025, 10, 26, 23, tzinfo=utc),
        ),
    }


@pytest.mark.django_db
def test_comments_with_special_characters_are_written_verbatim(window, staff, lyon):
    schedule = actions.schedule_set_rules(
        user=staff, place=lyon, rules=[{"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}]
    )
    title = "Fête\tde la « musique »\\N, 100 % \\ gratuite"
    actions.exception_add(
        user=staff,
        schedule=schedule,
        kind="event",
        start_date=datetime.date(2025, 3, 8),
        start_time=datetime.time(14),
        end_time=datetime.time(16),
        title=title,
    )
    rebuild_places([lyon.pk], CalendarWindow.objects.get())
    event = OpeningInterval.objects.get(place=lyon, kind="event")
    assert event.comment == title
    assert event.offer_id is None


@pytest.mark.django_db
def test_rebuild_places_writes_what_interval_tuples_compute(window, staff, lyon):
    from tests.factories import ServiceOfferFactory

    offer = ServiceOfferFactory(place=lyon)
    actions.schedule_set_rules(
        user=staff, place=lyon, rules=[{"kind": "weekly", "days": [0, 4], "times": ["22:00-02:00"]}]
    )
    actions.schedule_set_rules(
        user=staff,
        offer=offer,
        rules=[{"kind": "nth_weekday", "days": [5], "nth": [-1], "times": ["10:00-12:00"]}],
    )
    window_row = CalendarWindow.objects.get()
    assert (
        rebuild_places([lyon.pk], window_row) == OpeningInterval.objects.filter(place=lyon).count()
    )

    def key(row):
        return (row[1] or 0, row[2], row[4])

    expected = sorted(
        (
            row
            for schedule in Schedule.objects.all()
            for row in interval_tuples(schedule, window_row.start, window_row.build_end)
        ),
        key=key,
    )
    stored = OpeningInterval.objects.filter(place=lyon).values_list(
        "place_id", "offer_id", "start", "end", "kind", "comment"
    )
    assert len(expected) > 30
    assert sorted(stored, key=key) == expected
