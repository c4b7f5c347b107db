"""Budgets and CSV imports: bad input gives a clear message with its row; nothing partial."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from economics import actions, csv_io
from economics.models import Attendance, BudgetLine
from places.models import ChangeRecord
from tests.factories import ProviderFactory

HEADER = "year,scenario,direction,category,amount,funder,label\n"


def _import(place, user, text):
    return actions.budget_import(
        user=user, place=place, budgets=csv_io.read_budget(text), source="import:csv"
    )


def test_budget_set_records_history(fablab, registry_admin):
    actions.budget_set(
        user=registry_admin,
        place=fablab,
        year=2025,
        scenario="actual",
        lines=[
            {"direction": "cost", "category": "staff", "amount": D("1000.50")},
            {"direction": "revenue", "category": "training", "amount": D("300")},
        ],
    )
    record = ChangeRecord.objects.get(place=fablab, target="budget:2025:actual")
    assert record.changes["costs"] == [None, "1000.50"]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ({"direction": "cost", "category": "staff", "amount": D("-5")}, "lines[1].amount"),
        ({"direction": "cost", "category": "training", "amount": D("5")}, "lines[1].category"),
        ({"direction": "revenue", "category": "nope", "amount": D("5")}, "lines[1].category"),
    ],
)
def test_budget_set_refuses_bad_lines_and_keeps_the_old_budget(fablab, registry_admin, line, key):
    actions.budget_set(
        user=registry_admin,
        place=fablab,
        year=2025,
        scenario="actual",
        lines=[{"direction": "cost", "category": "staff", "amount": D("1")}],
    )
    with pytest.raises(ValidationError) as exc:
        actions.budget_set(
            user=registry_admin,
            place=fablab,
            year=2025,
            scenario="actual",
            lines=[{"direction": "cost", "category": "energy", "amount": D("2")}, line],
        )
    assert key in exc.value.message_dict
    assert list(BudgetLine.objects.values_list("category", flat=True)) == ["staff"]


def test_budget_year_out_of_range(fablab, registry_admin):
    with pytest.raises(ValidationError) as exc:
        actions.budget_set(
            user=registry_admin, place=fablab, year=1999, scenario="actual", lines=[]
        )
    assert "2000 and 2100" in exc.value.message_dict["year"][0]


def test_csv_import_with_funder(fablab, registry_admin):
    ProviderFactory(slug="caf", name="CAF")
    count = _import(
        fablab,
        registry_admin,
        HEADER
        + "2024,actual,cost,premises,12000.00,,Loyer\n"
        + "2024,actual,revenue,provider_contributions,8000,provider:caf,Permanences\n"
        + "2025,forecast,revenue,subsidy_region,5000,organisation:ville-de-lyon,\n",
    )
    assert count == 3
    line = BudgetLine.objects.get(category="provider_contributions")
    assert line.funder_provider.slug == "caf" and line.amount == D("8000")
    assert BudgetLine.objects.get(category="subsidy_region").funder_organisation.slug == (
        "ville-de-lyon"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('2024,actual,cost,staff,"1200,50",,\n', "Row 3: amount “1200,50” uses a decimal comma"),
        ("2024,actual,cost,staff,-3,,\n", "Row 3: amount “-3” is negative"),
        ("2024,actual,cost,lunch,3,,\n", "Row 3: unknown cost category “lunch”"),
        ("1999,actual,cost,staff,3,,\n", "Row 3: year “1999” is not between 2000 and 2100"),
        ("2024,actual,revenue,sales,3,provider:nobody,\n", "Row 3: unknown funder"),
    ],
)
def test_csv_bad_rows_store_nothing(fablab, registry_admin, body, message):
    text = HEADER + "2024,actual,cost,premises,100,,\n" + body
    with pytest.raises(ValidationError) as exc:
        _import(fablab, registry_admin, text)
    assert any(m.startswith(message) for m in exc.value.messages), exc.value.messages
    assert not BudgetLine.objects.exists()


def test_csv_missing_column(fablab, registry_admin):
    with pytest.raises(ValidationError) as exc:
        csv_io.read_budget("year;scenario;direction;category\n2024;actual;cost;staff\n")
    assert "Row 1: missing column(s) amount" in exc.value.messages[0]


def test_semicolon_csv_is_read(fablab, registry_admin):
    text = "year;scenario;direction;category;amount\n2024;actual;cost;energy;99.90\n"
    assert _import(fablab, registry_admin, text) == 1


def test_attendance_csv(fablab, meeting_room, registry_admin):
    text = (
        "date,space,slot_start,slot_end,visits,uses,hours_used\n"
        "2025-10-06,Salle Ada,09:00,11:00,3,3,\n"
        "2025-10-07,,,,40,0,\n"
    )
    rows = csv_io.read_attendance(text, fablab)
    assert actions.attendance_import(user=registry_admin, place=fablab, rows=rows, source="x") == 2
    assert Attendance.objects.get(date=datetime.date(2025, 10, 6)).hours_used == D("6")


def test_attendance_csv_errors_name_the_row(fablab, meeting_room, registry_admin):
    text = (
        "date,space,visits,uses,hours_used\n"
        '2025-10-06,Salle Ada,3,3,"2,5"\n'
        "2025-10-07,Atelier,1,1,\n"
    )
    with pytest.raises(ValidationError) as exc:
        csv_io.read_attendance(text, fablab)
    messages = exc.value.messages
    assert messages[0].startswith("Row 2: hours_used “2,5” uses a decimal comma")
    assert messages[1] == "Row 3: this place has no space named “Atelier”."
    # a slot ending before it starts is refused by the action, with the row
    rows = csv_io.read_attendance(
        "date,space,slot_start,slot_end,visits,uses\n2025-10-06,Salle Ada,11:00,09:00,1,1\n", fablab
    )
    with pytest.raises(ValidationError) as exc:
        actions.attendance_import(user=registry_admin, place=fablab, rows=rows, source="x")
    assert "row 2: slot_end" in exc.value.message_dict
    assert not Attendance.objects.exists()


def test_sharing_offer_validates_rules_and_price(meeting_room, registry_admin):
    with pytest.raises(ValidationError) as exc:
        actions.sharing_offer_set(
            user=registry_admin,
            space=meeting_room,
            rules=[{"kind": "weekly", "days": [9], "times": ["25:00-26:00"]}],
            data={"terms": "per_hour"},
            expected_version=None,
        )
    keys = set(exc.value.message_dict)
    assert {"rules[0].days", "rules[0].times", "price"} <= keys
