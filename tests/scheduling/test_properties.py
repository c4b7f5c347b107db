"""Random rule sets: the materialised calendar agrees with direct evaluation."""

from __future__ import annotations

import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduling import actions, selectors
from scheduling.models import CalendarWindow, OpeningInterval
from scheduling.osm import export_osm, parse_rules
from scheduling.rules import RuleSet, rules_from_data
from tests.factories import PlaceFactory
from tests.scheduling.conftest import paris

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def time_ranges(draw):
    # Non-overlapping ranges on a day; the last one may run past midnight.
    cuts = sorted(draw(st.sets(st.integers(0, 47), min_size=2, max_size=6)))
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    out = [f"{a // 2:02d}:{a % 2 * 30:02d}-{b // 2:02d}:{b % 2 * 30:02d}" for a, b in pairs]
    if draw(st.booleans()) and pairs[-1][1] < 46:
        out[-1] = out[-1].split("-")[0] + "-" + "01:30" if pairs[0][0] >= 4 else out[-1]
    return out


@st.composite
def rule_dicts(draw):
    kind = draw(st.sampled_from(["weekly", "every_n_weeks", "nth_weekday", "dates"]))
    rule = {"kind": kind, "times": draw(time_ranges())}
    rule["days"] = sorted(draw(st.sets(st.integers(0, 6), min_size=1, max_size=7)))
    if kind == "every_n_weeks":
        rule["interval"] = draw(st.integers(1, 4))
        rule["anchor"] = draw(
            st.dates(datetime.date(2025, 1, 1), datetime.date(2025, 6, 1))
        ).isoformat()
    if kind == "nth_weekday":
        rule["nth"] = sorted(
            draw(st.sets(st.sampled_from([1, 2, 3, 4, -1]), min_size=1, max_size=2))
        )
    if kind == "dates":
        first = draw(st.dates(datetime.date(2025, 1, 1), datetime.date(2026, 12, 1)))
        rule["start_date"] = first.isoformat()
        rule["end_date"] = (first + datetime.timedelta(days=draw(st.integers(0, 30)))).isoformat()
    if draw(st.booleans()):
        rule["yearly_from"], rule["yearly_to"] = draw(
            st.sampled_from([("04-01", "10-31"), ("11-01", "02-29"), ("03-15", "03-31")])
        )
    rule["season"] = draw(
        st.sampled_from(["always", "always", "school_holidays", "outside_school_holidays"])
    )
    return rule


def _valid(rules):
    try:
        rules_from_data(rules)
        return True
    except Exception:
        return False


rule_sets = st.lists(rule_dicts(), min_size=1, max_size=3).filter(_valid)
instants = st.datetimes(datetime.datetime(2025, 1, 1), datetime.datetime(2026, 12, 30)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=datetime.UTC)
)


@SETTINGS
@given(
    rules=rule_sets,
    holidays=st.sampled_from(["closed", "open"]),
    ats=st.lists(instants, min_size=5, max_size=5),
)
def test_materialised_agrees_with_direct_evaluation(window, staff, rules, holidays, ats):
    place = PlaceFactory(postcode="57000", insee_code="57463")
    actions.schedule_set_rules(user=staff, place=place, rules=rules, public_holidays=holidays)
    inside = [selectors.is_open(place, at) for at in ats]
    CalendarWindow.objects.filter(pk=1).update(
        start=datetime.date(2000, 1, 1), end=datetime.date(2000, 1, 2)
    )
    direct = [selectors.is_open(place, at) for at in ats]
    CalendarWindow.objects.filter(pk=1).update(
        start=datetime.date(2025, 1, 1), end=datetime.date(2027, 1, 1)
    )
    assert inside == direct


@SETTINGS
@given(rules=rule_sets)
def test_rebuilding_twice_gives_the_same_rows(window, staff, rules):
    from scheduling.materialise import rebuild_places

    place = PlaceFactory()
    actions.schedule_set_rules(user=staff, place=place, rules=rules)

    def rows():
        return list(
            OpeningInterval.objects.filter(place=place)
            .order_by("start", "kind")
            .values_list("start", "end", "kind", "offer_id", "comment")
        )

    first = rows()
    rebuild_places([place.pk], CalendarWindow.objects.get())
    assert rows() == first
    rebuild_places([place.pk], CalendarWindow.objects.get())
    assert rows() == first


osm_rule_sets = st.lists(
    # Forms with no exact OSM writing are refused by export_osm (tested in test_osm.py).
    rule_dicts().filter(
        lambda r: (
            r["kind"] != "every_n_weeks"
            and r.get("season") != "outside_school_holidays"
            and not (r["kind"] == "dates" and "yearly_from" in r)
        )
    ),
    min_size=1,
    max_size=3,
).filter(_valid)


@settings(max_examples=80, deadline=None)
@given(rules=osm_rule_sets, holidays=st.sampled_from(["closed", "open"]))
def test_osm_round_trip_gives_the_same_calendar(rules, holidays):
    parsed = rules_from_data(rules)
    text = export_osm(parsed, holidays)
    back = parse_rules(text)
    first, stop = datetime.date(2025, 1, 1), datetime.date(2025, 9, 1)
    ours = RuleSet(parsed, holidays, zone="A").base_open(first, stop)
    theirs = RuleSet(rules_from_data(back.rules), back.public_holidays, zone="A").base_open(
        first, stop
    )
    assert ours == theirs, text


def test_next_opening_says_what_opens(window, staff, lyon):
    actions.schedule_set_rules(
        user=staff, place=lyon, rules=[{"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}]
    )
    opening = selectors.next_opening(lyon, paris(2025, 3, 4, 10))
    assert (opening.start, opening.end, opening.label) == (
        paris(2025, 3, 11, 9),
        paris(2025, 3, 11, 12),
        lyon.name,
    )
