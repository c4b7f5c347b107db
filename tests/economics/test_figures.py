"""Figures that never corrupt: amounts typed the French or the English way, blank spare rows,
the budget's version, amounts shown by language, the year pages open on, unique funders."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from economics import actions, selectors
from economics.models import BudgetLine
from economics.numbers import format_amount, format_money, parse_decimal
from places.models import ChangeRecord
from services.models import Provider

pytestmark = pytest.mark.django_db

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1 500,50", "1500.50"),
        (f"1{NBSP}500,50", "1500.50"),
        (f"1{NNBSP}500,50", "1500.50"),
        ("1500,50", "1500.50"),
        ("1500.50", "1500.50"),
        ("1 500", "1500"),
        ("1 500.5", "1500.5"),
        ("1,500.50", "1500.50"),
        ("1.500,50", "1500.50"),
        ("1 234 567,89", "1234567.89"),
        ("12,5", "12.5"),
        ("0,125", "0.125"),
        ("1500", "1500"),
        ("1 500,50 €", "1500.50"),
    ],
)
def test_it_reads_french_and_english_notation(typed, value):
    assert parse_decimal(typed) == D(value)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1,500", "ambiguous"),
        ("1.500", "ambiguous"),
        ("12,500", "ambiguous"),
        ("15 00", "bad_grouping"),
        ("1 50,5", "bad_grouping"),
        ("1,500,50", "invalid"),
        ("1.500.50", "invalid"),
        ("1,2.3,4", "invalid"),
        ("douze", "invalid"),
    ],
)
def test_it_refuses_ambiguous_and_malformed_numbers(typed, code):
    with pytest.raises(ValidationError) as caught:
        parse_decimal(typed)
    assert caught.value.code == code
    assert typed in caught.value.messages[0]


def test_amounts_are_written_the_readers_way():
    assert format_amount(D("1500.5"), language="fr") == f"1{NNBSP}500,50"
    assert format_amount(D("1500.5"), language="en") == "1,500.50"
    assert format_money(D("29191"), language="fr") == f"29{NNBSP}191,00{NBSP}€"
    assert format_money(D("29191"), language="en") == "€29,191.00"


def _post(lines, *, total=None, version=0):
    data = {
        "form-TOTAL_FORMS": str(total or len(lines)),
        "form-INITIAL_FORMS": "0",
        "version": str(version),
    }
    for i in range(total or len(lines)):
        # What a browser sends for a spare row: the selects' first options, nothing typed.
        row = {
            "direction": "cost",
            "category": "premises",
            "amount": "",
            "funder": "",
            "label": "",
            "visibility": "staff",
            "note": "",
        }
        row.update(lines[i] if i < len(lines) else {})
        for key, value in row.items():
            data[f"form-{i}-{key}"] = value
    return data


def _url(place, year=2025, scenario="actual"):
    return reverse("economics:budget_edit", args=[place.public_id, year, scenario])


def test_a_french_amount_and_blank_spare_rows_save_to_the_cent(fablab, admin_client_):
    response = admin_client_.post(
        _url(fablab), _post([{"amount": "1 500,50", "label": "Loyer"}], total=6)
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    line = BudgetLine.objects.get(place=fablab)
    assert line.amount == D("1500.50") and line.label == "Loyer"


def test_a_decimal_comma_is_never_dropped(fablab, admin_client_):
    admin_client_.post(_url(fablab), _post([{"amount": "1500,50"}]))
    assert BudgetLine.objects.get(place=fablab).amount == D("1500.50")  # not 150050


def test_an_ambiguous_amount_is_refused_next_to_its_field(fablab, admin_client_):
    response = admin_client_.post(_url(fablab), _post([{"amount": "1,500"}], total=3))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_form-0-amount_errors"' in html and "is ambiguous" in html
    assert 'value="1,500"' in html  # the input is kept
    assert 'aria-invalid="true"' in html
    assert "this field is required" not in html.lower()  # spare rows say nothing
    assert not BudgetLine.objects.exists()


def test_an_emptied_line_is_dropped_and_a_half_typed_one_is_not(fablab, admin_client_):
    response = admin_client_.post(_url(fablab), _post([{"label": "Sans montant"}], total=2))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not BudgetLine.objects.exists()


def test_the_editor_shows_amounts_in_the_readers_notation(fablab, admin_client_, registry_admin):
    actions.budget_set(
        user=registry_admin,
        place=fablab,
        year=2025,
        scenario="actual",
        lines=[{"direction": "cost", "category": "staff", "amount": D("29191")}],
    )
    english = admin_client_.get(_url(fablab)).content.decode()
    assert 'value="29,191.00"' in english and 'inputmode="decimal"' in english
    admin_client_.cookies["django_language"] = "fr"
    french = admin_client_.get(_url(fablab)).content.decode()
    assert f'value="29{NNBSP}191,00"' in french


def test_a_budget_form_without_its_version_is_refused(fablab, admin_client_):
    data = _post([{"amount": "10"}])
    data.pop("version")
    response = admin_client_.post(_url(fablab), data)
    assert response.status_code == 400
    assert "does not say which version you started from" in response.content.decode()
    assert not BudgetLine.objects.exists()


def test_a_colleagues_save_in_between_is_a_conflict_that_keeps_my_table(
    fablab, admin_client_, place_manager
):
    form = admin_client_.get(_url(fablab))
    assert 'name="version" value="0"' in form.content.decode()
    actions.budget_set(
        user=place_manager,
        place=fablab,
        year=2025,
        scenario="actual",
        lines=[{"direction": "cost", "category": "staff", "amount": D("900")}],
        expected_version=0,
    )
    mine = _post([{"amount": "1 234,50", "label": "Le mien"}], version=0)
    response = admin_client_.post(_url(fablab), mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This budget was changed by manager" in html
    assert "What changed while you were editing" in html and "900" in html
    assert 'value="1 234,50"' in html and 'value="Le mien"' in html
    assert 'name="version" value="1"' in html
    assert BudgetLine.objects.get(place=fablab).amount == D("900")
    mine["version"] = "1"
    assert admin_client_.post(_url(fablab), mine).status_code == 302
    assert BudgetLine.objects.get(place=fablab).amount == D("1234.50")


def test_the_budget_version_counts_its_saves(fablab, registry_admin):
    assert actions.budget_version(place=fablab, year=2025, scenario="actual") == 0
    for n in (1, 2):
        actions.budget_set(
            user=registry_admin,
            place=fablab,
            year=2025,
            scenario="actual",
            lines=[{"direction": "cost", "category": "staff", "amount": D(n)}],
            expected_version=n - 1,
        )
    assert actions.budget_version(place=fablab, year=2025, scenario="actual") == 2
    assert actions.budget_version(place=fablab, year=2025, scenario="forecast") == 0


def _lines(place, user, year, amount, scenario="actual"):
    actions.budget_set(
        user=user,
        place=place,
        year=year,
        scenario=scenario,
        lines=[{"direction": "cost", "category": "staff", "amount": D(amount)}],
    )


def test_the_place_page_shows_amounts_by_language_and_csv_by_chosen_locale(
    fablab, admin_client_, registry_admin
):
    _lines(fablab, registry_admin, 2025, "1500.5")
    url = reverse("economics:place", args=[fablab.public_id])
    assert "1,500.50" in admin_client_.get(url).content.decode()
    with translation.override("fr"):
        admin_client_.cookies["django_language"] = "fr"
        assert f"1{NNBSP}500,50" in admin_client_.get(url).content.decode()
    french = admin_client_.get(url + "?year=2025&export=budget&locale=fr").content.decode()
    rows = list(csv.reader(io.StringIO(french.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:5] == ["year", "scenario", "direction", "category", "amount"]
    assert rows[1][4] == "1500,50"
    english = admin_client_.get(url + "?year=2025&export=budget&locale=en").content.decode()
    assert list(csv.reader(io.StringIO(english.lstrip("\ufeff"))))[1][4] == "1500.50"


def test_economics_pages_open_on_the_latest_year_with_data(fablab, admin_client_, registry_admin):
    _lines(fablab, registry_admin, 2022, "10")
    _lines(fablab, registry_admin, 2023, "10")
    _lines(fablab, registry_admin, 2030, "10", scenario="forecast")  # a forecast only
    place_page = admin_client_.get(reverse("economics:place", args=[fablab.public_id]))
    assert place_page.context["year"] == 2023
    dashboard = admin_client_.get(reverse("economics:dashboard"))
    assert dashboard.context["year"] == 2023


def test_a_provider_run_by_an_organisation_is_one_funder(fablab, registry_admin, organisation):
    provider = Provider.objects.create(
        slug="ville-provider", name=organisation.name, sector="public", organisation=organisation
    )
    choices = dict(selectors.funder_choices())
    assert f"organisation:{organisation.slug}" in choices
    assert f"provider:{provider.slug}" not in choices
    (line,) = actions.budget_set(
        user=registry_admin,
        place=fablab,
        year=2025,
        scenario="actual",
        lines=[
            {
                "direction": "revenue",
                "category": "subsidy_commune",
                "amount": D("5"),
                "funder_provider": provider,
            }
        ],
    )
    assert line.funder_provider is None and line.funder_organisation == organisation


def test_the_data_migration_merges_duplicate_funders_and_says_so(fablab, organisation, capsys):
    import importlib

    merge = importlib.import_module(
        "economics.migrations.0003_merge_duplicate_funders"
    ).merge_funders
    own = Provider.objects.create(
        slug="ville-provider", name="Régie de la ville", sector="public", organisation=organisation
    )
    independent = Provider.objects.create(slug="indep", name="Indépendant", sector="private")
    merged = BudgetLine.objects.create(
        place=fablab,
        year=2025,
        direction="revenue",
        category="subsidy_commune",
        amount=D("5"),
        funder_provider=own,
    )
    kept = BudgetLine.objects.create(
        place=fablab,
        year=2025,
        direction="revenue",
        category="sponsoring",
        amount=D("7"),
        funder_provider=independent,
    )
    merge(apps, None)
    merged.refresh_from_db()
    kept.refresh_from_db()
    assert merged.funder_organisation == organisation and merged.funder_provider is None
    assert kept.funder_provider == independent
    assert "Régie de la ville" in capsys.readouterr().out


def test_a_space_form_without_its_version_is_refused(fablab, meeting_room, admin_client_):
    url = reverse("economics:space_edit", args=[fablab.public_id, meeting_room.pk])
    data = {
        "name": "Salle Grace",
        "kind": "meeting_room",
        "capacity": "4",
        "capacity_unit": "people",
        "visibility": "staff",
    }
    response = admin_client_.post(url, data)
    assert response.status_code == 400
    assert "does not say which version you started from" in response.content.decode()
    meeting_room.refresh_from_db()
    assert meeting_room.name == "Salle Ada"


def test_a_space_conflict_names_the_colleague_and_keeps_my_input(
    fablab, meeting_room, admin_client_, place_manager
):
    url = reverse("economics:space_edit", args=[fablab.public_id, meeting_room.pk])
    assert 'name="version" value="1"' in admin_client_.get(url).content.decode()
    actions.space_update(
        user=place_manager, space=meeting_room, data={"capacity": 8}, expected_version=1
    )
    mine = {
        "name": "Salle Grace",
        "kind": "meeting_room",
        "capacity": "4",
        "capacity_unit": "people",
        "area_m2": "30,5",
        "visibility": "staff",
        "version": "1",
    }
    response = admin_client_.post(url, mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert "This space was changed by manager" in html and "Capacity" in html
    assert 'value="Salle Grace"' in html and 'name="version" value="2"' in html
    meeting_room.refresh_from_db()
    assert meeting_room.name == "Salle Ada" and meeting_room.capacity == 8
    mine["version"] = "2"
    assert admin_client_.post(url, mine).status_code == 302
    meeting_room.refresh_from_db()
    assert meeting_room.name == "Salle Grace" and meeting_room.area_m2 == D("30.5")
    assert ChangeRecord.objects.filter(target=f"space:{meeting_room.pk}").count() == 3


def test_outsider_cannot_post_a_budget(fablab, outsider_client):
    response = outsider_client.post(_url(fablab), _post([{"amount": "10"}]))
    assert response.status_code == 404
    assert not BudgetLine.objects.exists()
