"""Validators, search normalisation, multi-choice levers and the permission selectors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.utils import translation

from places.access import can_edit_place, can_view_place
from places.models import MediationProfile, Place, Role, WorkProfile, normalize_text
from places.selectors import roles_of, visible_places
from places.validators import (
    validate_insee_code,
    validate_legal_id,
    validate_postcode,
    validate_rna,
    validate_siret,
)
from tests.factories import MembershipFactory, PlaceFactory, UserFactory


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English source strings (French is the default language)."""
    with translation.override("en"):
        yield


def _code(validator, value) -> str | None:
    try:
        validator(value)
    except ValidationError as error:
        return error.code
    return None


# --- SIRET ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # an ordinary company: Luhn key
        "35600000000048",  # La Poste's head office keeps a Luhn key
        "35600000049837",  # a La Poste establishment: digits sum to a multiple of 5
        "35600000000001",
    ],
)
def test_valid_sirets(siret):
    assert _code(validate_siret, siret) is None


@pytest.mark.parametrize(
    ("siret", "code"),
    [
        ("73282932000075", "siret_checksum"),  # last digit mistyped
        ("73282932000047", "siret_checksum"),  # two digits swapped
        ("35600000000002", "siret_checksum"),  # La Poste, neither rule holds
        ("12345678901234", "siret_checksum"),  # sums to a multiple of 5, but not La Poste
        ("7328293200007", "siret_format"),
        ("732829320000741", "siret_format"),
        ("7328293200007A", "siret_format"),
        ("", "siret_format"),
    ],
)
def test_invalid_sirets(siret, code):
    assert _code(validate_siret, siret) == code


# --- RNA and legal id ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("W751234567", None),
        ("W75123456", "rna_format"),
        ("W7512345678", "rna_format"),
        ("X751234567", "rna_format"),
        ("w751234567", "rna_format"),  # validate_legal_id upper-cases before checking
    ],
)
def test_rna(value, code):
    assert _code(validate_rna, value) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("W751234567", None),
        ("w751234567", None),
        ("732 829 320 00074", None),
        ("73282932000075", "siret_checksum"),
        ("W12", "rna_format"),
        ("hello", "siret_format"),
    ],
)
def test_legal_id_is_a_siret_or_an_rna(value, code):
    assert _code(validate_legal_id, value) == code


# --- postcode and INSEE code ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ok"),
    [("69003", True), ("20000", True), ("97400", True), ("6900", False), ("690030", False)]
    + [("69 03", False), ("2A004", False), ("", False)],
)
def test_postcode(value, ok):
    assert (_code(validate_postcode, value) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("69123", True),
        ("2A004", True),  # Ajaccio
        ("2B033", True),  # Bastia
        ("97411", True),  # Saint-Denis (La Réunion)
        ("2C004", False),
        ("2a004", False),
        ("6912", False),
        ("691234", False),
        ("", False),
    ],
)
def test_insee_code(value, ok):
    assert (_code(validate_insee_code, value) is None) is ok


# --- Place.full_clean: coordinates ---------------------------------------------------


def _place(organisation, **fields) -> Place:
    values = {"name": "Fab lab des Pentes", "slug": "fab-lab-des-pentes"}
    values.update(fields)
    return Place(organisation=organisation, **values)


def _errors(place: Place) -> dict[str, list[str]]:
    try:
        place.full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


@pytest.mark.django_db
def test_coordinates_in_bounds_are_valid(organisation):
    place = _place(organisation, latitude=Decimal("-90"), longitude=Decimal("180"))
    assert _errors(place) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        (Decimal("90.000001"), Decimal("4.85"), "latitude"),
        (Decimal("-90.5"), Decimal("4.85"), "latitude"),
        (Decimal("45.76"), Decimal("180.000001"), "longitude"),
        (Decimal("45.76"), Decimal("-181"), "longitude"),
    ],
)
def test_coordinates_out_of_bounds(organisation, latitude, longitude, field):
    assert list(_errors(_place(organisation, latitude=latitude, longitude=longitude))) == [field]


@pytest.mark.django_db
def test_latitude_without_longitude(organisation):
    errors = _errors(_place(organisation, latitude=Decimal("45.76")))
    assert errors == {"longitude": ["Give both latitude and longitude, or neither."]}


@pytest.mark.django_db
def test_longitude_without_latitude(organisation):
    errors = _errors(_place(organisation, longitude=Decimal("4.85")))
    assert list(errors) == ["latitude"]


@pytest.mark.django_db
def test_place_fields_use_the_validators(organisation):
    place = _place(organisation, postcode="690", insee_code="2C004", legal_id="73282932000075")
    assert sorted(_errors(place)) == ["insee_code", "legal_id", "postcode"]


# --- normalize_text and search_text --------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("Médiathèque Jean-Macé", "mediatheque jean-mace"),
        ("  ÉCOLE   du\tCœur  ", "ecole du coeur"),
        ("Ægir Çà et là", "aegir ca et la"),
        ("Straße", "strasse"),
        ("ﬁlature", "filature"),  # compatibility ligature
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_text(raw, normalised):
    assert normalize_text(raw) == normalised


@pytest.mark.django_db
def test_search_text_follows_the_place(organisation):
    place = PlaceFactory(organisation=organisation, name="Cœur de Vénissieux", commune="Lyon")
    assert place.search_text == "coeur de venissieux lyon"
    place.name = "Atelier Éclair"
    place.save()
    place.refresh_from_db()
    assert place.search_text == "atelier eclair lyon"


# --- MultipleChoiceField -------------------------------------------------------------


@pytest.mark.django_db
def test_multiple_choices_accept_known_values(managed_place):
    profile = MediationProfile(
        place=managed_place,
        service_levels=["information", "full"],
        mediator_kinds=[],
        service_sectors=["public", "associative"],
    )
    profile.full_clean()


@pytest.mark.django_db
def test_multiple_choices_refuse_unknown_values(managed_place):
    profile = WorkProfile(place=managed_place, colorations=["digital", "astrology", "tarot"])
    with pytest.raises(ValidationError) as error:
        profile.full_clean()
    assert error.value.message_dict == {"colorations": ["Unknown choice(s): astrology, tarot."]}


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["digital", {"digital": True}, 3])
def test_multiple_choices_must_be_a_list(managed_place, value):
    profile = WorkProfile(place=managed_place, colorations=value)
    with pytest.raises(ValidationError) as error:
        profile.full_clean()
    assert "colorations" in error.value.message_dict


def test_multiple_choices_labels_and_form_field():
    field = WorkProfile._meta.get_field("colorations")
    assert field.labels(["digital", "gone"]) == ["Digital", "gone"]
    form_field = field.formfield()
    assert form_field.required is False
    assert ("nomads", "Nomad workers") in list(form_field.choices)


# --- permission selectors ------------------------------------------------------------


@pytest.mark.django_db
def test_roles_of(registry_admin, organisation, other_organisation):
    MembershipFactory(user=registry_admin, organisation=other_organisation, role=Role.VIEWER)
    assert roles_of(registry_admin) == {
        organisation.pk: Role.REGISTRY_ADMIN,
        other_organisation.pk: Role.VIEWER,
    }
    assert roles_of(AnonymousUser()) == {}
    assert roles_of(UserFactory(username="nobody")) == {}


@pytest.mark.django_db
def test_roles_of_is_cached_on_the_user(registry_admin, django_assert_num_queries):
    roles_of(registry_admin)
    with django_assert_num_queries(0):
        roles_of(registry_admin)


@pytest.fixture
def other_place(organisation):
    """A place of the same organisation that the place manager does not manage."""
    return PlaceFactory(organisation=organisation, name="Jardin des Buttes")


@pytest.mark.django_db
def test_registry_admin_edits_every_place_of_the_organisation(
    registry_admin, managed_place, other_place
):
    assert can_edit_place(registry_admin, managed_place)
    assert can_edit_place(registry_admin, other_place)


@pytest.mark.django_db
def test_place_manager_edits_only_their_places(place_manager, managed_place, other_place):
    assert can_edit_place(place_manager, managed_place)
    assert not can_edit_place(place_manager, other_place)
    assert can_view_place(place_manager, other_place)


@pytest.mark.django_db
def test_viewer_edits_nothing(viewer, managed_place):
    managed_place.managers.add(viewer)  # being named manager does not outrank the role
    assert can_view_place(viewer, managed_place)
    assert not can_edit_place(viewer, managed_place)


@pytest.mark.django_db
def test_outsider_neither_reads_nor_edits(outsider, managed_place):
    assert not can_view_place(outsider, managed_place)
    assert not can_edit_place(outsider, managed_place)
    assert not can_edit_place(AnonymousUser(), managed_place)


@pytest.mark.django_db
def test_superuser_edits_everything(managed_place):
    superuser = UserFactory(username="root", is_superuser=True)
    assert can_edit_place(superuser, managed_place)
    assert list(visible_places(superuser)) == [managed_place]


@pytest.mark.django_db
def test_visible_places_are_those_of_the_persons_organisations(
    registry_admin,
    place_manager,
    viewer,
    outsider,
    organisation,
    other_organisation,
    managed_place,
    other_place,
):
    theirs = PlaceFactory(organisation=other_organisation, name="Autre lieu")
    draft = PlaceFactory(organisation=organisation, status=Place.Status.DRAFT)
    ours = {managed_place, other_place, draft}
    for person in (registry_admin, place_manager, viewer):
        assert set(visible_places(person)) == ours
    assert set(visible_places(outsider)) == {theirs}
    assert list(visible_places(AnonymousUser())) == []
