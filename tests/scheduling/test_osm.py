from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from scheduling import actions
from scheduling.models import Schedule
from scheduling.osm import NotRepresentable, check_syntax, export_osm, parse_rules, rules_equivalent
from scheduling.rules import rules_from_data

ROUND_TRIP = [
    "Mo-Fr 09:00-12:00,14:00-18:00; PH off",
    "24/7",
    "Sa[1],Fr[-1] 10:00-12:00",
    "Apr 01-Oct 31 Sa,Su 10:00-18:00",
    "Mo 22:00-02:00; PH 10:00-12:00",
    "2025 Dec 24 10:00-12:00",
    "Tu,Th 14:00-17:00; SH off",
    "Mo-Fr 10:00-12:00; SH off, SH Sa 10:00-12:00",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_round_trip(text):
    imported = parse_rules(text)
    exported = export_osm(
        rules_from_data(imported.rules), imported.public_holidays, _times(imported.holiday_times)
    )
    assert parse_rules(exported) == imported
    check_syntax(exported)  # the library accepts what we write
    if "SH" not in text:
        assert rules_equivalent(text, imported)
        assert rules_equivalent(exported, imported)


def _times(values):
    from scheduling.rules import parse_time_range

    return tuple(parse_time_range(v) for v in values)


@pytest.mark.parametrize(
    "text",
    ["sunrise-sunset", "Mo-Fr 09:00-18:00; We 09:00-12:00", 'Mo 10:00-12:00 "on appointment"'],
)
def test_strings_rules_cannot_express_stay_text(staff, lyon, text):
    schedule = actions.schedule_set_osm(user=staff, place=lyon, text=text)
    assert schedule.mode == Schedule.Mode.OSM
    assert schedule.osm_source == text


def test_expressible_string_becomes_rules_and_keeps_its_source(staff, lyon, window):
    schedule = actions.schedule_set_osm(user=staff, place=lyon, text="Mo-Fr 09:00-12:00; PH off")
    assert schedule.mode == Schedule.Mode.RULES
    assert schedule.osm_source == "Mo-Fr 09:00-12:00; PH off"
    assert schedule.rules == [{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00"]}]


def test_syntax_error_names_the_faulty_part(staff, lyon):
    with pytest.raises(ValidationError) as info:
        actions.schedule_set_osm(user=staff, place=lyon, text="Mo-Fr 09:00-12:00; Sa 25:00-xx")
    message = info.value.message_dict["osm_source"][0]
    assert "25:00-xx" in message and "position 23" in message
    assert not Schedule.objects.exists()


def test_every_n_weeks_has_no_exact_osm_form():
    rules = rules_from_data(
        [
            {
                "kind": "every_n_weeks",
                "days": [0],
                "interval": 2,
                "anchor": "2025-01-06",
                "times": ["10:00-12:00"],
            }
        ]
    )
    with pytest.raises(NotRepresentable):
        export_osm(rules)


def test_unreadable_school_holiday_form_is_refused(staff, lyon):
    with pytest.raises(ValidationError) as info:
        actions.schedule_set_osm(
            user=staff, place=lyon, text="Mo-Fr 09:00-18:00; SH Mo 10:00-11:00 off"
        )
    assert "osm_source" in info.value.message_dict


def test_ph_text_refused_in_alsace_moselle_when_not_rules(staff, metz):
    with pytest.raises(ValidationError):
        actions.schedule_set_osm(
            user=staff, place=metz, text="Mo-Fr 09:00-18:00; We 09:00-12:00; PH off"
        )


def test_today_independent(monkeypatch):
    assert rules_equivalent("Mo 10:00-12:00", parse_rules("Mo 10:00-12:00"), days=30)
    assert datetime.date.today()  # the check runs from today's date
