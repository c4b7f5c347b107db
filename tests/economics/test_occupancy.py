"""Offered capacity from the calendar over October 2025: DST change and a closure."""

import datetime
from decimal import Decimal as D

from economics import actions
from economics.availability import hours, place_open_intervals
from economics.models import OccupancyMonth
from economics.occupancy import report
from scheduling.models import CalendarWindow, OpeningInterval

OCT, NOV = datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)


def test_open_hours_count_the_long_autumn_sunday_and_drop_the_closure(open_all_october, fablab):
    # 31 days × 24 h = 744 h, + 1 h on 26 October (clocks go back: a 25-hour day),
    # − 48 h closed on 13 and 14 October = 697 h.
    assert OpeningInterval.objects.filter(place=fablab, kind="closed").exists()
    intervals = place_open_intervals(fablab, OCT, NOV)
    assert round(hours(intervals), 6) == 697


def test_direct_evaluation_agrees_with_the_materialised_calendar(open_all_october, fablab):
    elsewhere = CalendarWindow(
        start=datetime.date(2030, 1, 1),
        end=datetime.date(2030, 2, 1),
        build_end=datetime.date(2030, 2, 1),
    )
    assert round(hours(place_open_intervals(fablab, OCT, NOV, window=elsewhere)), 6) == 697
    # March 2026 (outside the window, evaluated): 31 × 24 − 1 h (spring forward on the 29th)
    march = place_open_intervals(fablab, datetime.date(2026, 3, 1), datetime.date(2026, 4, 1))
    assert round(hours(march), 6) == 743


def test_occupancy_rate_by_space_week_and_month(
    open_all_october, fablab, meeting_room, registry_admin
):
    actions.attendance_record(
        user=registry_admin,
        place=fablab,
        rows=[
            # 3 uses of a 2-hour slot: 3 × 2 = 6 capacity-hours
            {
                "date": datetime.date(2025, 10, 6),
                "space": meeting_room,
                "slot_start": datetime.time(9),
                "slot_end": datetime.time(11),
                "visits": 3,
                "uses": 3,
            },
            # the long Sunday: 10 capacity-hours given directly
            {
                "date": datetime.date(2025, 10, 26),
                "space": meeting_room,
                "visits": 5,
                "uses": 2,
                "hours_used": D("10"),
            },
            # visits at the place, no space: counted as visits, not as capacity used
            {"date": datetime.date(2025, 10, 7), "visits": 40, "uses": 0},
        ],
    )
    r = report(fablab, OCT, NOV)
    # offered = capacity 2 × 697 h = 1 394 capacity-hours; used = 6 + 10 = 16
    assert r.total.offered == D("1394.00")
    assert r.total.used == D("16")
    # 16 ÷ 1 394 = 0.011477... -> 0.0115
    assert r.total.rate == D("0.0115")
    assert r.visits == 48
    space, bucket = r.spaces[0]
    assert space == meeting_room and bucket.rate == D("0.0115")
    # Week 41 (6–12 Oct): 7 × 24 = 168 h open × 2 = 336 offered, 6 used
    week41 = next(b for b in r.weeks if b.key == "2025-W41")
    assert (week41.offered, week41.used) == (D("336.00"), D("6"))
    # Week 42 (13–19 Oct) lost the two closed days: 5 × 24 × 2 = 240
    assert next(b for b in r.weeks if b.key == "2025-W42").offered == D("240.00")
    # heat map: the slot lands on Monday 9h and 10h, 3 capacity-hours each
    assert r.used_grid[0][9] == 3 and r.used_grid[0][10] == 3
    # stored month, used by the dashboard
    stored = OccupancyMonth.objects.get(place=fablab, month=OCT)
    assert (stored.offered_hours, stored.used_hours, stored.visits) == (D("1394.00"), D("16"), 48)
    assert len(stored.heat["offered"]) == 7 and len(stored.heat["offered"][0]) == 24
