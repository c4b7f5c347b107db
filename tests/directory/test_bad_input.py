"""Bad input gets a helpful page with the person's filters kept, never an error 500."""

from __future__ import annotations

import pytest

from tests.test_csp import frame_ancestors


def get(client, query):
    return client.get(f"/lieux/?{query}", HTTP_ACCEPT_LANGUAGE="en")


@pytest.mark.parametrize(
    ("query", "message", "kept"),
    [
        ("typology=castle&q=jean", "Select a valid choice", 'value="jean"'),
        ("need=teleport&q=jean", "Select a valid choice", 'value="jean"'),
        ("lat=123&lon=4.85&q=jean", "less than or equal to 90", 'value="123"'),
        ("lat=45.7&lon=-200", "greater than or equal to -180", 'value="-200"'),
        ("lat=45.7", "Give both latitude and longitude", 'value="45.7"'),
        ("open=at&date=2026-13-45&time=10:00", "Enter a date such as", 'value="2026-13-45"'),
        ("open=at&date=2026-03-12&time=25:99", "Enter a time such as", 'value="2026-03-12"'),
        ("open=at", "Choose the day you want to go", 'value="at" id="id_open_2" checked'),
        ("lat=45.76&lon=4.85&radius=10000", "Choose a distance among", 'value="45.76"'),
        ("page=abc&need=caf", "The page number must be a whole number", 'value="caf"'),
    ],
)
def test_invalid_filters_explain_and_keep_the_choices(client, registry, query, message, kept):
    response = get(client, query)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert kept in body
    assert 'role="alert"' in body


def test_instant_outside_the_calendar_names_the_window(client, registry):
    response = get(client, "open=at&date=2030-01-01&time=10:00&need=caf")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Opening hours are known from March 1, 2026 to April 14, 2026" in body
    assert 'value="2030-01-01"' in body


def test_page_beyond_the_last_shows_the_last(client, registry):
    response = get(client, "page=99&q=jean")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Page 99 does not exist" in body
    assert "Médiathèque Jean Macé" in body


def test_unknown_parameters_are_ignored(client, registry):
    assert get(client, "colour=blue&q=jean").status_code == 200


def test_nothing_found_is_said(client, registry):
    body = get(client, "q=zzzzzzzz").content.decode()
    assert "No place meets all of these conditions:" in body
    assert "matching the words “zzzzzzzz”" in body


def test_embed_bad_input_is_a_400_page(client, registry):
    response = client.get("/embed/?network=nope")
    assert response.status_code == 400
    assert frame_ancestors(response) == "*"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_visit_on_a_far_date_is_a_400_naming_the_window(client, registry, day):
    response = client.get(
        f"/lieux/mediatheque-jean-mace/agenda.ics?date={day}", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Dated hours are known from" in response.content.decode()
