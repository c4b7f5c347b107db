"""The territory's staff pages: coverage, CSV, scenarios, comparison, draft place."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from places.models import Place
from services.models import ServiceKind
from territory.models import Scenario

from .conftest import MONDAY, lat_at

SATURDAY = datetime.date(2025, 10, 11)

COVERAGE = "/manage/territory/"
SCENARIOS = "/manage/territory/scenarios/"


@pytest.fixture(autouse=True)
def _monday(monkeypatch):
    """The pages look from "today": pin it to Monday 6 October 2025 of the test calendar."""
    monkeypatch.setattr("territory.coverage.reference_day", lambda window=None: MONDAY)


def test_the_urls_are_under_manage_territory():
    assert reverse("territory:coverage") == COVERAGE
    assert reverse("territory:scenarios") == SCENARIOS


@pytest.mark.django_db
def test_coverage_page_gives_the_sentence_the_ranking_and_the_map_data(client, territory, viewer):
    client.force_login(viewer)
    response = client.get(
        COVERAGE,
        {"department": "01", "subject": "kind:caf", "time": "saturday_morning", "radius_km": 10},
    )
    assert response.status_code == 200
    body = response.content.decode()
    sentence = (
        "1,750 residents of department 01 live more than 10 km from a place offering "
        "“Family and social benefits (CAF)” on Saturday morning (4 communes of 5)."
    )
    assert response.context["sentence"] == sentence
    assert sentence in body
    worst = response.context["worst"]
    assert [r.name for r in worst] == ["Alpha", "Gamma", "Beta", "Delta"]
    assert len(response.context["points"]) == 5
    assert ("01", "01 – Ain") in response.context["form"].fields["department"].choices
    assert 'id="territory-points" type="application/json"' in body
    assert "js/territory-map.js" in body


@pytest.mark.django_db
def test_coverage_csv_lists_every_commune_safely(client, territory, viewer):
    Place.objects.filter(pk=territory["saturday"].pk).update(name="=HYPERLINK(1)")
    client.force_login(viewer)
    response = client.get(
        COVERAGE,
        {
            "department": "01",
            "subject": "kind:caf",
            "time": "saturday_morning",
            "radius_km": 10,
            "export": "csv",
        },
    )
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("insee_code,commune,department,population")
    assert len(lines) == 6
    assert "'=HYPERLINK(1)" in lines[1]


@pytest.mark.django_db
def test_bad_coverage_input_is_refused_next_to_the_field(client, territory, viewer):
    client.force_login(viewer)
    response = client.get(
        COVERAGE, {"department": "01", "subject": "kind:", "time": "midnight", "radius_km": 0}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"subject", "time", "radius_km"}
    assert "result" not in response.context


@pytest.mark.django_db
def test_anonymous_people_go_to_the_login_page(client, territory):
    for url in (COVERAGE, SCENARIOS, reverse("territory:compare")):
        response = client.get(url)
        assert response.status_code == 302 and "/manage/login" in response["Location"]


@pytest.mark.django_db
def test_a_scenario_without_service_or_hours_keeps_the_input(client, territory, viewer):
    client.force_login(viewer)
    response = client.post(
        SCENARIOS,
        {"name": "Essai", "department": "01", "commune": "01004", "radius_km": 10},
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "at least one service kind" in errors["kinds"][0]
    assert "weekly hours" in errors["opening_hours"][0]
    assert 'value="Essai"' in response.content.decode()
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_scenarios_are_saved_compared_and_turned_into_a_draft_place(
    client, territory, viewer, registry_admin
):
    caf = ServiceKind.objects.get(slug="caf")
    client.force_login(viewer)
    for name, where in [
        ("À Delta", {"commune": "01004"}),
        ("Au point", {"latitude": lat_at(3), "longitude": 5.0}),
    ]:
        response = client.post(
            SCENARIOS,
            {
                "name": name,
                "department": "01",
                "kinds": [caf.pk],
                "opening_hours": "Sa 09:00-12:00",
                "radius_km": 10,
                **where,
            },
        )
        assert response.status_code == 302, response.context["form"].errors
    delta, point = Scenario.objects.order_by("pk")
    assert delta.commune.name == "Delta"
    assert delta.gains["caf"]["saturday_morning"] == 550
    # At Beta (3 km): Alpha, Beta and Gamma come within 10 km; Delta stays at 11 km.
    assert point.gains["caf"]["saturday_morning"] == 1700

    response = client.get(reverse("territory:compare"), {"scenarios": [delta.pk, point.pk]})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("À Delta") < body.index("Au point")
    assert "550" in body and "1,700" in body.replace("\xa0", ",")

    draft = reverse("territory:scenario_draft", args=[delta.pk])
    assert client.post(draft).status_code == 403  # a viewer may not create places
    client.force_login(registry_admin)
    response = client.post(draft)
    place = Place.objects.get(name="À Delta")
    assert response["Location"] == place.get_absolute_url()
    assert place.status == "draft" and place.commune == "Delta"
    # In one step: its service, run by the organisation's own provider, and its hours.
    offer = place.offers.get()
    assert offer.kind == caf and offer.provider.organisation == place.organisation
    assert place.schedule.osm_source == "Sa 09:00-12:00"
    assert place.opening_intervals.filter(start__date=SATURDAY).exists()
    assert client.post(draft).status_code == 302  # a second time: refused, said
    assert Place.objects.filter(name="À Delta").count() == 1


@pytest.mark.django_db
def test_the_totals_sentence_is_french_in_french(client, territory, viewer, settings):
    settings.LANGUAGE_CODE = "fr"
    client.force_login(viewer)
    response = client.get(
        COVERAGE,
        {"department": "01", "subject": "kind:caf", "time": "saturday_morning", "radius_km": 10},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    sentence = response.context["sentence"].replace("\u202f", " ").replace("\xa0", " ")
    assert sentence.startswith(
        "1 750 habitants du département 01 vivent à plus de 10 km d'un lieu offrant « "
    )
    assert sentence.endswith(" le samedi matin (4 communes sur 5).")


@pytest.mark.django_db
def test_the_coverage_page_makes_as_many_queries_for_more_communes(client, territory, viewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from territory.models import Commune

    client.force_login(viewer)
    query = {"department": "01", "subject": "kind:caf", "time": "weekdays", "radius_km": 10}
    client.get(COVERAGE, query)  # warm the session and the catalogue caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(COVERAGE, query).status_code == 200
    for n in range(30):
        Commune.objects.create(
            insee_code=f"01{200 + n}",
            name=f"Extra {n}",
            department="01",
            population=10 + n,
            latitude=lat_at(40 + n),
            longitude=5.0,
            source="test",
            recorded_on=MONDAY,
        )
    with CaptureQueriesContext(connection) as large:
        response = client.get(COVERAGE, query)
    assert len(response.context["result"].rows) == 35
    assert len(large) == len(small)


@pytest.mark.django_db
def test_an_extra_opening_goes_from_the_coverage_page_to_a_saved_scenario(
    client, territory, viewer
):
    caf = ServiceKind.objects.get(slug="caf")
    alpha = territory["alpha"]
    client.force_login(viewer)
    response = client.get(
        COVERAGE,
        {"department": "01", "subject": "kind:caf", "time": "saturday_morning", "radius_km": 10},
    )
    assert [(s["name"], s["gain"]) for s in response.context["openings"]] == [
        ("Guichet d'Alpha", 1700)
    ]
    link = (
        f"{SCENARIOS}?place={alpha.pk}&amp;department=01&amp;radius_km=10"
        f"&amp;time=saturday_morning&amp;kinds={caf.pk}"
    )
    assert link in response.content.decode()

    # The link opens the form with the hours kept plus Saturday morning.
    response = client.get(link.replace("&amp;", "&"))
    form = response.context["form"]
    assert form["opening_hours"].value() == "Mo-Fr 09:00-17:00, Sa 09:00-12:00; PH off"
    assert form["place"].value() == str(alpha.pk)
    assert form["name"].value() == "Guichet d'Alpha, also open on Saturday morning"

    response = client.post(
        SCENARIOS,
        {
            "name": "Alpha au samedi seulement",
            "department": "01",
            "place": alpha.slug,
            "opening_hours": "Sa 09:00-12:00",
            "radius_km": 10,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    scenario = Scenario.objects.get()
    assert scenario.base_place == alpha and list(scenario.kinds.all()) == [caf]  # its kinds
    body = client.get(SCENARIOS).content.decode()
    assert "Other hours for the existing place" in body
    assert "-1,700" in body.replace("\xa0", ",")  # weekdays lost
    assert reverse("territory:scenario_draft", args=[scenario.pk]) not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"place": "nowhere-at-all"}, "No published place"),
        ({"place": "999999999999999999999999"}, "No published place"),
        ({"place": "ALPHA", "commune": "01004"}, "Choose one"),
    ],
)
def test_a_place_studied_must_exist_and_be_the_only_position(
    client, territory, viewer, where, message
):
    client.force_login(viewer)
    if where["place"] == "ALPHA":
        where = {**where, "place": territory["alpha"].slug}
    response = client.post(
        SCENARIOS,
        {"name": "Essai", "department": "01", "opening_hours": "Sa 09:00-12:00", **where},
    )
    assert response.status_code == 400
    assert message in response.context["form"].errors["place"][0]
    assert not Scenario.objects.exists()
