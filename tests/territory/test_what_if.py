"""What if we open here: residents gained = the difference of two coverage runs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from scheduling import actions as scheduling_actions
from services.models import ServiceKind
from territory import actions, selectors
from territory.coverage import Subject
from territory.models import Scenario

from .conftest import MONDAY, caf_place, lat_at

SATURDAY_DESK = "Sa 09:00-12:00"


def hypothesis(hours=SATURDAY_DESK, km=15):
    return selectors.Hypothesis(
        latitude=lat_at(km), longitude=5.0, kinds=frozenset({"caf"}), hours=hours
    )


@pytest.mark.django_db
def test_the_gain_is_the_difference_of_two_runs_with_a_real_place(
    territory, registry_admin, organisation
):
    gains = selectors.what_if(hypothesis(), department="01", radius_km=10, on=MONDAY)["caf"]
    # Saturday morning: Alpha 26 km, Beta 23, Gamma 18 and Delta 11 beyond 10 km (1,750
    # residents); a desk at Delta brings Gamma (7 km) and Delta (0 km) in: 550.
    assert gains["saturday_morning"] == 550
    assert gains["weekdays"] == 0  # not open on weekdays
    assert gains["evenings"] == 0
    assert gains["any"] == 50  # Delta was at 11 km of the Saturday desk, now 0

    def beyond(time):
        return selectors.coverage(
            Subject("kind", "caf"), time, department="01", radius_km=10, on=MONDAY
        ).population_beyond(10)

    before = {time: beyond(time) for time in gains}
    caf_place(registry_admin, organisation, name="Nouveau", km=15, days=[5], times=["09:00-12:00"])
    after = {time: beyond(time) for time in gains}
    assert gains == {time: before[time] - after[time] for time in gains}


@pytest.mark.django_db
def test_a_scenario_is_saved_with_its_gains_and_nothing_else_is_created(territory, registry_admin):
    from places.models import Place

    places = Place.objects.count()
    scenario = actions.scenario_create(
        user=registry_admin,
        name="Samedi à Delta",
        department="01",
        latitude=lat_at(15),
        longitude=5.0,
        kinds=[ServiceKind.objects.get(slug="caf")],
        opening_hours=SATURDAY_DESK,
        radius_km=10,
        on=MONDAY,
    )
    assert scenario.gains["caf"]["saturday_morning"] == 550
    assert Place.objects.count() == places

    place = actions.scenario_to_draft_place(user=registry_admin, scenario=scenario)
    assert place.status == "draft"
    assert place.latitude == Decimal(str(round(lat_at(15), 6)))
    assert Scenario.objects.get().place == place
    with pytest.raises(ValidationError, match="already become a draft place"):
        actions.scenario_to_draft_place(user=registry_admin, scenario=scenario)


@pytest.mark.django_db
def test_a_scenario_without_service_or_hours_says_what_is_missing(territory, registry_admin):
    with pytest.raises(ValidationError) as error:
        actions.scenario_create(
            user=registry_admin,
            name="Rien",
            department="01",
            latitude=46.0,
            longitude=5.0,
            kinds=[],
            opening_hours="",
        )
    assert set(error.value.message_dict) == {"kinds", "opening_hours"}
    assert "at least one service kind" in error.value.message_dict["kinds"][0]
    assert "weekly hours" in error.value.message_dict["opening_hours"][0]
    with pytest.raises(ValidationError) as error:
        actions.scenario_create(
            user=registry_admin,
            name="Illisible",
            department="01",
            latitude=46.0,
            longitude=5.0,
            kinds=[ServiceKind.objects.get(slug="caf")],
            opening_hours="le samedi matin",
        )
    assert "cannot be read" in error.value.message_dict["opening_hours"][0]
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_suggestions_rank_the_communes_reaching_most_far_residents(territory):
    result = selectors.coverage(
        Subject("kind", "caf"), "saturday_morning", department="01", radius_km=10, on=MONDAY
    )
    ranked = selectors.suggestions(result)
    # Far: Alpha 1000, Beta 200, Gamma 500, Delta 50. At Beta: Alpha (3 km), Beta, Gamma
    # (5 km) = 1700; at Alpha: Alpha, Beta, Gamma (8 km) = 1700; Gamma: all four = 1750.
    assert [(s["commune"].name, s["gain"]) for s in ranked[:3]] == [
        ("Gamma", 1750),
        ("Alpha", 1700),
        ("Beta", 1700),
    ]


def other_hours(place, hours):
    return selectors.Hypothesis(
        latitude=float(place.latitude),
        longitude=float(place.longitude),
        kinds=frozenset({"caf"}),
        hours=hours,
        replaces=place.pk,
    )


@pytest.mark.django_db
def test_other_hours_for_a_real_place_count_gains_and_losses(territory, registry_admin):
    alpha = territory["alpha"]
    # The Alpha desk moves from weekdays to Saturday morning only.
    gains = selectors.what_if(
        other_hours(alpha, SATURDAY_DESK), department="01", radius_km=10, on=MONDAY
    )["caf"]
    # Saturday: Alpha (0 km), Beta (3) and Gamma (8) come within 10 km: 1,700 gained.
    assert gains["saturday_morning"] == 1700
    # Weekdays: the same 1,700 residents lose their only desk open then.
    assert gains["weekdays"] == -1700
    assert gains["any"] == 0  # it still offers CAF help at some time

    def beyond(time):
        return selectors.coverage(
            Subject("kind", "caf"), time, department="01", radius_km=10, on=MONDAY
        ).population_beyond(10)

    before = {time: beyond(time) for time in gains}
    offer = alpha.offers.get(kind__slug="caf")
    scheduling_actions.schedule_set_osm(user=registry_admin, offer=offer, text=SATURDAY_DESK)
    after = {time: beyond(time) for time in gains}
    assert gains == {time: before[time] - after[time] for time in gains}


@pytest.mark.django_db
def test_other_hours_replace_the_place_only_for_the_kinds_studied(territory):
    alpha = territory["alpha"]
    hypothesis = other_hours(alpha, SATURDAY_DESK)
    caf = selectors.coverage(
        Subject("kind", "caf"),
        "weekdays",
        department="01",
        radius_km=10,
        on=MONDAY,
        hypotheses=[hypothesis],
    )
    typology = selectors.coverage(
        Subject("typology", "france_services"),
        "weekdays",
        department="01",
        radius_km=10,
        on=MONDAY,
        hypotheses=[hypothesis],
    )
    assert alpha.pk not in caf.place_keys
    assert alpha.pk in typology.place_keys  # its general hours are not the subject here


@pytest.mark.django_db
def test_a_scenario_on_a_real_place_is_saved_and_has_no_draft_place(territory, registry_admin):
    alpha = territory["alpha"]
    scenario = actions.scenario_create(
        user=registry_admin,
        name="Alpha le samedi",
        department="01",
        latitude=0.0,
        longitude=0.0,  # ignored: the place keeps its position
        kinds=[ServiceKind.objects.get(slug="caf")],
        opening_hours="Mo-Fr 09:00-17:00, Sa 09:00-12:00",
        base_place=alpha,
        on=MONDAY,
    )
    assert scenario.base_place == alpha
    assert (scenario.latitude, scenario.longitude) == (float(alpha.latitude), 5.0)
    assert scenario.gains["caf"]["saturday_morning"] == 1700
    assert scenario.gains["caf"]["weekdays"] == 0
    with pytest.raises(ValidationError) as error:
        actions.scenario_to_draft_place(user=registry_admin, scenario=scenario)
    assert "existing place" in error.value.messages[0]


@pytest.mark.django_db
def test_a_draft_or_unlocated_place_cannot_be_studied(territory, registry_admin, organisation):
    from tests.factories import PlaceFactory

    draft = PlaceFactory(organisation=organisation, name="Brouillon", status="draft")
    with pytest.raises(ValidationError) as error:
        actions.scenario_create(
            user=registry_admin,
            name="Essai",
            department="01",
            latitude=0.0,
            longitude=0.0,
            kinds=[ServiceKind.objects.get(slug="caf")],
            opening_hours=SATURDAY_DESK,
            base_place=draft,
            on=MONDAY,
        )
    assert "published place" in error.value.message_dict["place"][0]
    assert not Scenario.objects.exists()


@pytest.mark.django_db
def test_opening_suggestions_rank_places_that_offer_it_at_other_times(territory):
    saturday = selectors.coverage(
        Subject("kind", "caf"), "saturday_morning", department="01", radius_km=10, on=MONDAY
    )
    ranked = selectors.opening_suggestions(saturday, Subject("kind", "caf"))
    # The Saturday desk already counts; Alpha, open on Saturday too, would bring Alpha,
    # Beta and Gamma (1,700 residents) within 10 km.
    assert [(s["place_id"], s["gain"], s["communes"]) for s in ranked] == [
        (territory["alpha"].pk, 1700, 3)
    ]
    anytime = selectors.coverage(
        Subject("kind", "caf"), "any", department="01", radius_km=10, on=MONDAY
    )
    assert selectors.opening_suggestions(anytime, Subject("kind", "caf")) == []


@pytest.mark.django_db
def test_the_extra_opening_keeps_the_hours_and_the_holiday_rules(territory):
    caf = ServiceKind.objects.get(slug="caf")
    alpha = territory["alpha"]
    assert selectors.hours_kept(alpha, [caf]) == "Mo-Fr 09:00-17:00; PH off"
    assert (
        selectors.extra_opening(alpha, [caf], "saturday_morning")
        == "Mo-Fr 09:00-17:00, Sa 09:00-12:00; PH off"
    )
    # A time condition with no simple extra rule keeps the hours as they are.
    assert selectors.extra_opening(alpha, [caf], "school_holidays") == "Mo-Fr 09:00-17:00; PH off"
