"""The full registry export for staff: CSV (streamed) and XLSX of the places the list shows."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from places.models import Place
from tests.factories import (
    NetworkFactory,
    PlaceFactory,
    ProviderFactory,
    ServiceOfferFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CSV_URL = "manage:place_export_csv"
XLSX_URL = "manage:place_export_xlsx"


def _csv(response, *, delimiter=","):
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=delimiter))


def _xlsx(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]], sheet


@pytest.fixture
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def full_place(organisation, place_manager):
    """A draft with a manager, a network, two offers and verification dates."""
    place = PlaceFactory(
        organisation=organisation,
        name="Fabrique de Gerland",
        slug="fabrique-gerland",
        status=Place.Status.DRAFT,
        phone="+33 4 72 10 30 30",
        longitude=Decimal("-1.553600"),
        verified_at=datetime.datetime(2026, 3, 4, 9, 30, tzinfo=datetime.UTC),
        networks=[NetworkFactory(slug="reseau-fab", name="Réseau des fabriques")],
    )
    place.managers.add(place_manager)
    ServiceOfferFactory(
        place=place, provider=ProviderFactory(slug="caf-rhone", name="CAF du Rhône")
    )
    ServiceOfferFactory(
        place=place,
        provider=ProviderFactory(slug="emmaus", name="Emmaüs Connect"),
        status="ended",
    )
    return place


def test_anonymous_people_are_sent_to_log_in(client):
    for name in (CSV_URL, XLSX_URL):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("manage:login") in response["Location"]


def test_people_without_a_role_are_refused(client):
    client.force_login(UserFactory(username="nobody"))
    for name in (CSV_URL, XLSX_URL):
        assert client.get(reverse(name)).status_code == 403


def test_outsiders_get_none_of_our_places(outsider_client, full_place, english):
    assert _csv(outsider_client.get(reverse(CSV_URL))) == []
    rows, _sheet = _xlsx(outsider_client.get(reverse(XLSX_URL)))
    assert rows == []


def test_it_exports_every_field_drafts_managers_offers_and_dates(
    admin_client_, full_place, english
):
    (row,) = _csv(admin_client_.get(reverse(CSV_URL)))
    assert row["Identifier"] == str(full_place.public_id)
    assert row["Name"] == "Fabrique de Gerland"
    assert row["Status"] == "Draft"
    assert row["Organisation"] == "Ville de Lyon"
    assert row["Networks"] == "Réseau des fabriques"
    assert row["Managers"].startswith("manager")
    assert row["Phone"] == "+33 4 72 10 30 30"  # a phone number is not a formula
    assert row["Longitude"] == "-1.553600"  # negative figures stay readable
    assert row["Last verified"] == "2026-03-04 10:30"  # Paris time, as the pages show
    full_place.refresh_from_db()
    assert full_place.verification_due_on is not None
    assert row["Verification due on"] == full_place.verification_due_on.isoformat()
    assert row["Services"].count(";") == 1
    assert row["Providers"] == "CAF du Rhône; Emmaüs Connect"
    assert row["Service statuses"] == "Active; Ended"


def test_the_xlsx_holds_the_same_table(admin_client_, full_place, english):
    csv_rows = _csv(admin_client_.get(reverse(CSV_URL)))
    rows, _sheet = _xlsx(admin_client_.get(reverse(XLSX_URL)))
    assert [r["Identifier"] for r in rows] == [r["Identifier"] for r in csv_rows]
    (row,) = rows
    assert row["Providers"] == "CAF du Rhône; Emmaüs Connect"
    full_place.refresh_from_db()
    assert row["Verification due on"].date() == full_place.verification_due_on
    assert row["Last verified"] == datetime.datetime(2026, 3, 4, 10, 30)
    assert row["Longitude"] == pytest.approx(-1.5536)


def test_headers_are_french_in_french(admin_client_, full_place, settings):
    settings.LANGUAGE_CODE = "fr"
    response = admin_client_.get(reverse(CSV_URL), HTTP_ACCEPT_LANGUAGE="fr")
    (row,) = _csv(response, delimiter=";")
    assert row["Nom"] == "Fabrique de Gerland"
    assert row["Statut"] == "Brouillon"
    full_place.refresh_from_db()
    assert row["Prochaine vérification"] == full_place.verification_due_on.isoformat()
    assert row["Longitude"] == "-1,553600"  # decimal comma for French spreadsheets
    assert row["Prestataires"] == "CAF du Rhône; Emmaüs Connect"


def test_headers_are_english_in_english(admin_client_, full_place, english):
    rows, _sheet = _xlsx(admin_client_.get(reverse(XLSX_URL)))
    assert {"Name", "Status", "Managers", "Services", "Verification due on"} <= set(rows[0])


def test_the_filtered_export_is_the_filtered_list(admin_client_, organisation, english):
    for n in range(3):
        PlaceFactory(organisation=organisation, name=f"Atelier {n}", status="draft")
        PlaceFactory(organisation=organisation, name=f"Jardin {n}", status="published")
    query = "?status=draft&per_page=25"
    listed = [p.name for p in admin_client_.get(reverse("manage:home") + query).context["page"]]
    exported = [r["Name"] for r in _csv(admin_client_.get(reverse(CSV_URL) + query))]
    assert sorted(exported) == sorted(listed) == ["Atelier 0", "Atelier 1", "Atelier 2"]
    rows, _sheet = _xlsx(admin_client_.get(reverse(XLSX_URL) + "?q=jardin"))
    assert sorted(r["Name"] for r in rows) == ["Jardin 0", "Jardin 1", "Jardin 2"]


def test_the_export_takes_every_page_of_the_list(admin_client_, organisation, english):
    for n in range(30):
        PlaceFactory(organisation=organisation, name=f"Lieu {n:02}")
    assert len(_csv(admin_client_.get(reverse(CSV_URL) + "?per_page=25&page=1"))) == 30


def test_managers_and_viewers_export_their_organisation(
    manager_client, viewer_client, full_place, english
):
    for client in (manager_client, viewer_client):
        assert [r["Name"] for r in _csv(client.get(reverse(CSV_URL)))] == ["Fabrique de Gerland"]


def test_a_formula_name_is_written_as_text(admin_client_, organisation, english):
    PlaceFactory(organisation=organisation, name='=HYPERLINK("http://evil.example","x")')
    (row,) = _csv(admin_client_.get(reverse(CSV_URL)))
    assert row["Name"] == '\'=HYPERLINK("http://evil.example","x")'
    rows, sheet = _xlsx(admin_client_.get(reverse(XLSX_URL)))
    assert rows[0]["Name"] == '=HYPERLINK("http://evil.example","x")'
    assert sheet["B2"].data_type == "s"  # a text cell, not a formula


def _export_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    return len(ctx)


def _places_with_offers(organisation, manager, count):
    for n in range(count):
        place = PlaceFactory(organisation=organisation, name=f"Lieu {n:02}", networks=[])
        place.managers.add(manager)
        ServiceOfferFactory(place=place)


@pytest.mark.parametrize("url_name", [CSV_URL, XLSX_URL])
def test_the_number_of_queries_does_not_grow_with_the_places(
    admin_client_, organisation, place_manager, url_name, english
):
    url = reverse(url_name)
    _places_with_offers(organisation, place_manager, 3)
    few = _export_queries(admin_client_, url)
    _places_with_offers(organisation, place_manager, 27)
    many = _export_queries(admin_client_, url)
    # session, user, roles; the filter form's communes and networks; the places (with
    # organisation, profiles and verifier joined); typologies, networks, managers, offers
    # (with kinds and providers joined).
    assert few == many == 10


def test_the_export_link_keeps_the_list_filters(admin_client_, full_place, english):
    response = admin_client_.get(reverse("manage:home") + "?status=draft")
    assert f'{reverse(CSV_URL)}?status=draft"' in response.content.decode()
    assert f'{reverse(XLSX_URL)}?status=draft"' in response.content.decode()


def test_the_file_is_named_for_the_day(admin_client_, english):
    response = admin_client_.get(reverse(XLSX_URL))
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="registry-{timezone.localdate():%Y-%m-%d}.xlsx"'
    )
