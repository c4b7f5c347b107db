"""Staff pages of the registry: list, forms, status changes, history, geocoding, members."""

from __future__ import annotations

import re
import sys
import types
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from places import actions
from places.models import ChangeRecord, Membership, Place, Role
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, NetworkFactory, PlaceFactory, UserFactory

pytestmark = pytest.mark.django_db

VALID_SIRET = "73282932000074"


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English source strings."""
    settings.LANGUAGE_CODE = "en"


def _form_data(**overrides) -> dict:
    data = {
        "name": "Fab lab de la Croix-Rousse",
        "slug": "",
        "short_description": "Machines et ateliers",
        "description": "",
        "typologies": ["fablab"],
        "origin": "created",
        "address": "12 rue d'Austerlitz",
        "postcode": "69004",
        "commune": "Lyon",
        "insee_code": "69123",
        "latitude": "45.774000",
        "longitude": "4.831000",
        "phone": "04 72 00 00 00",
        "email": "contact@fablab.example.org",
        "website": "https://fablab.example.org",
        "wheelchair": "yes",
        "accessibility_notes": "",
        "acceslibre_url": "",
        "legal_id": VALID_SIRET,
        "creation-enabled": "on",
        "creation-activities": ["free_access", "workshops"],
        "creation-opening_mode": "open",
        "creation-opening_frequencies": ["evenings"],
        "creation-animated_by": ["users"],
        "creation-machines": "Découpe laser",
        "mediation-access": "",
        "work-animation": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _edit_data(place: Place, **overrides) -> dict:
    data = _form_data(
        name=place.name,
        slug=place.slug,
        postcode=place.postcode,
        commune=place.commune,
        insee_code=place.insee_code,
        latitude="" if place.latitude is None else str(place.latitude),
        longitude="" if place.longitude is None else str(place.longitude),
        typologies=[t.code for t in place.typologies.all()],
        legal_id="",
        version=str(place.version),
    )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _field_errors(response, field_id: str) -> str:
    """The text of the error list linked to one input; fails if the link is missing."""
    html = response.content.decode()
    match = re.search(rf'<ul class="errorlist" id="{field_id}_errors">(.*?)</ul>', html, re.S)
    assert match, f"no error list for {field_id}"
    assert re.search(rf'aria-describedby="[^"]*{field_id}_errors', html), (
        f"{field_id} does not point to its errors"
    )
    return re.sub(r"<[^>]+>", " ", match.group(1))


# --------------------------------------------------------------------------- auth


def test_login_and_logout(client, registry_admin):
    response = client.get(reverse("manage:login"))
    assert response.status_code == 200
    assert 'for="id_username"' in response.content.decode()
    response = client.post(
        reverse("manage:login"), {"username": "admin", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("manage:home")
    response = client.post(reverse("manage:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("manage:login")
    assert client.get(reverse("manage:home")).status_code == 302


def test_wrong_password_is_refused(client, registry_admin):
    response = client.post(reverse("manage:login"), {"username": "admin", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_password_reset_flow(client, registry_admin):
    response = client.post(reverse("manage:password_reset"), {"email": registry_admin.email})
    assert response["Location"] == reverse("manage:password_reset_done")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/manage/password-reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    confirm_url = response.redirect_chain[-1][0]
    response = client.post(
        confirm_url,
        {"new_password1": "a new long secret 42", "new_password2": "a new long secret 42"},
    )
    assert response["Location"] == reverse("manage:password_reset_complete")
    registry_admin.refresh_from_db()
    assert registry_admin.check_password("a new long secret 42")


# --------------------------------------------------------------------------- list


def test_list_shows_the_organisation_places_only(admin_client_, managed_place, other_organisation):
    PlaceFactory(organisation=other_organisation, name="Coworking d'ailleurs")
    response = admin_client_.get(reverse("manage:home"))
    html = response.content.decode()
    assert "Médiathèque Jean Macé" in html
    assert "Coworking d&#x27;ailleurs" not in html and "ailleurs" not in html


def test_search_ignores_accents_and_case(admin_client_, organisation):
    PlaceFactory(organisation=organisation, name="Médiathèque Jean Macé")
    PlaceFactory(organisation=organisation, name="Repair café")
    response = admin_client_.get(reverse("manage:home"), {"q": "MEDIATHEQUE mace"})
    assert [p.name for p in response.context["page"]] == ["Médiathèque Jean Macé"]


def test_filters_combine(admin_client_, organisation):
    network = NetworkFactory(slug="france-services", name="France Services")
    wanted = PlaceFactory(
        organisation=organisation, name="A", typologies=["france_services"], networks=[network]
    )
    PlaceFactory(organisation=organisation, name="B", typologies=["france_services"])
    PlaceFactory(
        organisation=organisation, name="C", typologies=["france_services"], networks=[network]
    ).__class__.objects.filter(name="C").update(status=Place.Status.DRAFT)
    PlaceFactory(organisation=organisation, name="D", insee_code="69266", commune="Villeurbanne")
    response = admin_client_.get(
        reverse("manage:home"),
        {
            "status": "published",
            "typology": "france_services",
            "network": "france-services",
            "commune": "69123",
        },
    )
    assert [p.name for p in response.context["page"]] == [wanted.name]
    response = admin_client_.get(reverse("manage:home"), {"commune": "69266"})
    assert [p.name for p in response.context["page"]] == ["D"]


def test_profile_filter(admin_client_, registry_admin, organisation):
    PlaceFactory(organisation=organisation, name="Sans profil")
    actions.place_create(
        user=registry_admin,
        organisation=organisation,
        data={"name": "Avec profil"},
        typologies=["coworking"],
        profiles={"work": {"desks": 12}},
    )
    response = admin_client_.get(reverse("manage:home"), {"profile": "work"})
    assert [p.name for p in response.context["page"]] == ["Avec profil"]


def test_page_size_parameter(admin_client_, organisation):
    for n in range(60):
        PlaceFactory(organisation=organisation, name=f"Lieu {n:03}")
    assert len(admin_client_.get(reverse("manage:home")).context["page"]) == 25
    response = admin_client_.get(reverse("manage:home"), {"per_page": "50"})
    assert len(response.context["page"]) == 50
    # An unsupported size falls back to the default rather than failing.
    response = admin_client_.get(reverse("manage:home"), {"per_page": "100000"})
    assert len(response.context["page"]) == 25


@pytest.mark.parametrize("per_page", [25, 100])
def test_list_query_count_does_not_grow_with_page_size(
    admin_client_, registry_admin, organisation, django_assert_num_queries, per_page
):
    network = NetworkFactory()
    for n in range(per_page):
        place = PlaceFactory(
            organisation=organisation, typologies=["epn", "fablab"], networks=[network]
        )
        if n % 3 == 0:
            place.managers.add(registry_admin)
    actions.place_create(
        user=registry_admin,
        organisation=organisation,
        data={"name": "Profilé"},
        typologies=["coworking"],
        profiles={"work": {"desks": 3}, "mediation": {"access": "walk_in"}},
    )
    url = reverse("manage:home") + f"?per_page={per_page}&status=published&status=draft"
    # 1 session, 2 user, 3 the person's memberships (roles_of), 4 networks for the filter,
    # 5 communes for the filter, 6 count for the paginator, 7 the page of places with their
    # organisation and profiles (select_related, edit right annotated), 8 their typologies,
    # 9 their networks, 10 "may create places?" (editable organisations),
    # 11 the organisations whose members the person manages,
    # 12 pending suggestions for the navigation link.
    with django_assert_num_queries(12):
        response = admin_client_.get(url)
    assert len(response.context["page"]) == per_page


def test_edit_links_follow_the_rights(manager_client, managed_place, organisation):
    other = PlaceFactory(organisation=organisation, name="Pas à moi")
    html = manager_client.get(reverse("manage:home")).content.decode()
    assert reverse("manage:place_edit", args=[managed_place.public_id]) in html
    assert other.name in html  # managers read their organisation's other places
    assert reverse("manage:place_edit", args=[other.public_id]) not in html
    assert reverse("manage:place_create") not in html


# ---------------------------------------------------------------- create and edit


def test_form_is_accessible_and_works_without_js(admin_client_, settings):
    response = admin_client_.get(reverse("manage:place_create"))
    html = response.content.decode()
    assert response.status_code == 200
    # Every visible input has a label (or sits in a fieldset with a legend for groups).
    for input_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
        if input_id == "language-select":
            continue
        if re.search(r'id="' + re.escape(input_id) + r'"[^>]*type="hidden"', html):
            continue
        group = re.sub(r"_\d+$", "", input_id)
        assert f'for="{input_id}"' in html or f'id="{group}_group"' in html, input_id
    assert html.count("<legend>") >= 5
    # Coordinates are plain number inputs; the map only enhances them.
    assert re.search(r'<input type="number" name="latitude"', html)
    assert "vendor/leaflet/leaflet.js" in html and "js/place-map.js" in html
    # No script or stylesheet from another server (a CSRF token may spell "cdn").
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"(https?:)?//", html)
    assert settings.MAP_TILE_URL in html.replace("&amp;", "&")
    headings = [int(h) for h in re.findall(r"<h([1-6])", html)]
    assert headings[0] == 1 and all(
        b - a <= 1 for a, b in zip(headings, headings[1:], strict=False)
    )


def test_create_place_with_a_profile(admin_client_, registry_admin, place_manager, organisation):
    network = NetworkFactory(name="Réseau des fab labs")
    response = admin_client_.post(
        reverse("manage:place_create"),
        _form_data(
            organisation=str(organisation.pk),
            networks=[str(network.pk)],
            managers=[str(place_manager.pk)],
        ),
    )
    place = Place.objects.get(name="Fab lab de la Croix-Rousse")
    assert response.status_code == 302 and response["Location"] == place.get_absolute_url()
    assert place.status == Place.Status.DRAFT and place.slug == "fab-lab-de-la-croix-rousse"
    assert place.latitude == Decimal("45.774")
    assert place.creation.activities == ["free_access", "workshops"]
    assert not hasattr(place, "work") or place.work is None
    assert list(place.networks.all()) == [network]
    assert list(place.managers.all()) == [place_manager]
    assert set(place.changes.values_list("target", flat=True)) == {"place", "creation"}
    assert place.changes.first().user == registry_admin
    page = admin_client_.get(response["Location"])
    assert 'role="status"' in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        ({"latitude": "95"}, "id_latitude", "less than or equal to 90"),
        ({"longitude": "east"}, "id_longitude", "number"),
        ({"latitude": "45.7", "longitude": ""}, "id_longitude", "both latitude and longitude"),
        ({"legal_id": "73282932000075"}, "id_legal_id", "check digit"),
        ({"legal_id": "1234"}, "id_legal_id", "14 digits"),
        ({"postcode": "6900"}, "id_postcode", "5 digits"),
        ({"email": "not-an-email"}, "id_email", "valid email"),
        ({"website": "fablab dot org"}, "id_website", "valid URL"),
        ({"typologies": ["spaceport"]}, "id_typologies", "valid choice"),
        ({"typologies": []}, "id_typologies", "required"),
        ({"creation-activities": ["juggling"]}, "id_creation-activities", "valid choice"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_stored(
    admin_client_, organisation, overrides, field, expected
):
    before = (Place.objects.count(), ChangeRecord.objects.count())
    response = admin_client_.post(
        reverse("manage:place_create"), _form_data(organisation=str(organisation.pk), **overrides)
    )
    assert response.status_code == 400
    assert expected in _field_errors(response, field)
    assert (Place.objects.count(), ChangeRecord.objects.count()) == before
    # The person's input is kept.
    assert "Fab lab de la Croix-Rousse" in response.content.decode()


def test_duplicate_slug_is_refused(admin_client_, organisation, managed_place):
    response = admin_client_.post(
        reverse("manage:place_create"),
        _form_data(organisation=str(organisation.pk), slug=managed_place.slug),
    )
    assert response.status_code == 400
    assert "already used" in _field_errors(response, "id_slug")
    assert Place.objects.count() == 1


def test_disabled_profile_is_not_validated_nor_stored(admin_client_, organisation):
    data = _form_data(organisation=str(organisation.pk))
    data.pop("creation-enabled")
    data["creation-activities"] = ["juggling"]
    response = admin_client_.post(reverse("manage:place_create"), data)
    assert response.status_code == 302
    assert Place.objects.filter(name="Fab lab de la Croix-Rousse").exists()
    assert not Place.objects.filter(creation__isnull=False).exists()


def test_action_errors_are_mapped_to_profile_fields(
    admin_client_, managed_place, monkeypatch, registry_admin
):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError(
            {
                "mediation.service_levels": ["Pick a level the place really offers."],
                "phone": ["This phone number is not French."],
                "profiles": ["Something about profiles."],
            }
        )

    monkeypatch.setattr(actions, "place_update", refuse)
    data = _edit_data(managed_place, **{"mediation-enabled": "on"})
    response = admin_client_.post(
        reverse("manage:place_edit", args=[managed_place.public_id]), data
    )
    assert response.status_code == 400
    assert "really offers" in _field_errors(response, "id_mediation-service_levels")
    assert "not French" in _field_errors(response, "id_phone")
    assert "Something about profiles." in response.content.decode()


def test_edit_place_and_remove_a_profile(admin_client_, registry_admin, organisation):
    place = actions.place_create(
        user=registry_admin,
        organisation=organisation,
        data={"name": "Maison de quartier", "postcode": "69003"},
        typologies=["mjc"],
        profiles={"work": {"desks": 4}},
    )
    url = reverse("manage:place_edit", args=[place.public_id])
    form = admin_client_.get(url)
    assert form.context["profile_forms"][1].initial["enabled"] is True
    assert 'name="version" value="1"' in form.content.decode()
    data = _edit_data(place, phone="04 78 00 00 01")
    data.pop("creation-enabled")  # work is not ticked either: both go away
    response = admin_client_.post(url, data)
    assert response.status_code == 302
    place.refresh_from_db()
    assert place.phone == "04 78 00 00 01" and place.version == 2
    assert not Place.objects.filter(pk=place.pk, work__isnull=False).exists()


def test_stale_version_keeps_input_and_shows_the_other_changes(
    admin_client_, registry_admin, place_manager, managed_place
):
    url = reverse("manage:place_edit", args=[managed_place.public_id])
    mine = _edit_data(managed_place, phone="04 00 00 00 01", short_description="Ma version")
    assert mine["version"] == "1"
    # Meanwhile, the place manager saves a change.
    actions.place_update(
        place=managed_place,
        user=place_manager,
        expected_version=1,
        data={"phone": "04 99 99 99 99"},
    )
    response = admin_client_.post(url, mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by manager" in html
    assert "04 99 99 99 99" in html and "Phone" in html  # their change, labelled
    assert 'value="Ma version"' in html and 'value="04 00 00 00 01"' in html  # my input kept
    assert 'name="version" value="2"' in html
    managed_place.refresh_from_db()
    assert managed_place.phone == "04 99 99 99 99" and managed_place.version == 2
    # Saving again, with the version shown, applies my input deliberately.
    mine["version"] = "2"
    response = admin_client_.post(url, mine)
    assert response.status_code == 302
    managed_place.refresh_from_db()
    assert managed_place.phone == "04 00 00 00 01" and managed_place.version == 3


def test_managers_are_limited_to_members_of_the_organisation(
    admin_client_, managed_place, outsider
):
    url = reverse("manage:place_edit", args=[managed_place.public_id])
    form = admin_client_.get(url).context["form"]
    assert outsider not in form.fields["managers"].queryset
    response = admin_client_.post(url, _edit_data(managed_place, managers=[str(outsider.pk)]))
    assert response.status_code == 400
    assert "valid choice" in _field_errors(response, "id_managers")
    assert list(managed_place.managers.values_list("username", flat=True)) == ["manager"]


def test_place_manager_edits_own_place_without_touching_managers(
    manager_client, managed_place, place_manager
):
    url = reverse("manage:place_edit", args=[managed_place.public_id])
    response = manager_client.get(url)
    assert "managers" not in response.context["form"].fields
    response = manager_client.post(url, _edit_data(managed_place, phone="04 11 22 33 44"))
    assert response.status_code == 302
    managed_place.refresh_from_db()
    assert managed_place.phone == "04 11 22 33 44"
    assert list(managed_place.managers.all()) == [place_manager]


def test_place_manager_reads_but_cannot_edit_other_places(manager_client, organisation):
    other = PlaceFactory(organisation=organisation)
    detail = manager_client.get(reverse("manage:place_detail", args=[other.public_id]))
    assert detail.status_code == 200
    assert reverse("manage:place_edit", args=[other.public_id]) not in detail.content.decode()
    edit = reverse("manage:place_edit", args=[other.public_id])
    assert manager_client.get(edit).status_code == 403
    assert manager_client.post(edit, _edit_data(other)).status_code == 403
    assert manager_client.get(reverse("manage:place_create")).status_code == 403


def test_viewer_reads_only(viewer_client, managed_place):
    detail = viewer_client.get(reverse("manage:place_detail", args=[managed_place.public_id]))
    html = detail.content.decode()
    assert detail.status_code == 200
    assert "/edit/" not in html and "/publish/" not in html and "/archive/" not in html
    listing = viewer_client.get(reverse("manage:home")).content.decode()
    assert "/edit/" not in listing and reverse("manage:place_create") not in listing
    for name in ("place_edit", "place_publish", "place_archive", "place_restore"):
        url = reverse(f"manage:{name}", args=[managed_place.public_id])
        assert viewer_client.post(url, _edit_data(managed_place)).status_code == 403, name
    managed_place.refresh_from_db()
    assert managed_place.version == 1


# ---------------------------------------------------------- publish, archive, restore


def test_publish_archive_restore(admin_client_, registry_admin, organisation):
    place = actions.place_create(
        user=registry_admin,
        organisation=organisation,
        data={"name": "Jardin"},
        typologies=["jardin_partage"],
    )
    publish = reverse("manage:place_publish", args=[place.public_id])
    assert admin_client_.get(publish).status_code == 405
    response = admin_client_.post(publish, {"version": "1"}, follow=True)
    assert "is now published" in response.content.decode()
    place.refresh_from_db()
    assert place.status == Place.Status.PUBLISHED

    archive = reverse("manage:place_archive", args=[place.public_id])
    confirm = admin_client_.get(archive)
    assert confirm.status_code == 200 and "Archive this place" in confirm.content.decode()
    place.refresh_from_db()
    assert place.status == Place.Status.PUBLISHED  # a GET changes nothing
    admin_client_.post(archive, {"version": str(place.version)})
    place.refresh_from_db()
    assert place.status == Place.Status.ARCHIVED

    restore = reverse("manage:place_restore", args=[place.public_id])
    assert admin_client_.get(restore).status_code == 405
    admin_client_.post(restore, {"version": str(place.version)})
    place.refresh_from_db()
    assert place.status == Place.Status.DRAFT


def test_refused_status_change_says_why(admin_client_, managed_place):
    # The factory's place is already published: publishing again is refused.
    url = reverse("manage:place_publish", args=[managed_place.public_id])
    response = admin_client_.post(url, {"version": "1"}, follow=True)
    assert "cannot be changed this way" in response.content.decode()


def test_status_change_on_a_stale_page_is_refused(admin_client_, managed_place, place_manager):
    actions.place_update(
        place=managed_place, user=place_manager, expected_version=1, data={"phone": "01"}
    )
    url = reverse("manage:place_archive", args=[managed_place.public_id])
    response = admin_client_.post(url, {"version": "1"}, follow=True)
    assert "changed by manager" in response.content.decode()
    managed_place.refresh_from_db()
    assert managed_place.status == Place.Status.PUBLISHED


# ------------------------------------------------------------------------ history


def test_history_lists_who_changed_what(admin_client_, registry_admin, place_manager, organisation):
    place = actions.place_create(
        user=registry_admin,
        organisation=organisation,
        data={"name": "Cantine", "wheelchair": "no"},
        typologies=["cantine"],
    )
    actions.place_update(
        place=place,
        user=place_manager,
        expected_version=1,
        data={"wheelchair": "partial", "phone": "04 72 12 34 56"},
        profiles={"mediation": {"service_levels": ["information", "full"]}},
    )
    response = admin_client_.get(reverse("manage:place_history", args=[place.public_id]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "by manager" in html and "by admin" in html
    assert "Wheelchair access" in html and "Partially" in html  # labels, not codes
    assert "Levels of service" in html and "Information and forms, Full service" in html
    assert "04 72 12 34 56" in html and "source: staff" in html
    rows = response.context["changes"]
    assert rows[0]["record"].user == place_manager


# ---------------------------------------------------------------------- geocoding


@dataclass
class _Result:
    label: str
    latitude: Decimal
    longitude: Decimal
    postcode: str
    commune: str
    insee_code: str
    score: float


class _GeocodingError(Exception):
    pass


@pytest.fixture
def fake_geocoding(monkeypatch):
    """Stands in for places.geocoding so no test reaches the network."""
    module = types.ModuleType("places.geocoding")
    module.GeocodingError = _GeocodingError
    module.enabled = True
    module.calls = []
    module.geocoding_enabled = lambda: module.enabled

    def geocode(query, *, postcode="", limit=5):
        module.calls.append((query, postcode))
        if "timeout" in query:
            raise _GeocodingError("The address service did not answer in time.")
        return [
            _Result(
                "12 Rue d'Austerlitz 69004 Lyon",
                Decimal("45.774123"),
                Decimal("4.831456"),
                "69004",
                "Lyon",
                "69123",
                0.93,
            )
        ]

    module.geocode = geocode
    monkeypatch.setitem(sys.modules, "places.geocoding", module)
    return module


def test_geocode_endpoint_returns_results(admin_client_, fake_geocoding):
    response = admin_client_.get(
        reverse("manage:geocode"), {"q": "12 rue d'Austerlitz", "postcode": "69004"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "results": [
            {
                "label": "12 Rue d'Austerlitz 69004 Lyon",
                "latitude": "45.774123",
                "longitude": "4.831456",
                "postcode": "69004",
                "commune": "Lyon",
                "insee_code": "69123",
                "score": 0.93,
            }
        ]
    }
    assert fake_geocoding.calls == [("12 rue d'Austerlitz", "69004")]


def test_geocode_failure_and_switched_off(admin_client_, fake_geocoding):
    response = admin_client_.get(reverse("manage:geocode"), {"q": "timeout street"})
    assert response.status_code == 502
    assert response.json() == {"error": "The address service did not answer in time."}
    fake_geocoding.enabled = False
    response = admin_client_.get(reverse("manage:geocode"), {"q": "12 rue"})
    assert response.status_code == 503 and "error" in response.json()
    assert fake_geocoding.calls == [("timeout street", "")]


def test_geocode_needs_a_query(admin_client_, fake_geocoding):
    response = admin_client_.get(reverse("manage:geocode"), {"q": " "})
    assert response.status_code == 400 and "error" in response.json()
    assert fake_geocoding.calls == []


def test_find_address_button_follows_the_switch(admin_client_, fake_geocoding):
    url = reverse("manage:place_create")
    assert "Find the address" in admin_client_.get(url).content.decode()
    fake_geocoding.enabled = False
    assert "Find the address" not in admin_client_.get(url).content.decode()


def test_real_adapter_off_without_a_geocoder_url(admin_client_, settings):
    geocoding = pytest.importorskip("places.geocoding")
    settings.GEOCODER_URL = ""
    if geocoding.geocoding_enabled():
        pytest.skip("the adapter reads its switch elsewhere")
    response = admin_client_.get(reverse("manage:geocode"), {"q": "12 rue de la Paix"})
    assert response.status_code == 503
    assert (
        "Find the address" not in admin_client_.get(reverse("manage:place_create")).content.decode()
    )


# ------------------------------------------------------------------------ members


def test_members_page_lists_people_and_roles(admin_client_, organisation, place_manager, viewer):
    response = admin_client_.get(reverse("manage:members", args=[organisation.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    for name in ("admin", "manager", "viewer"):
        assert name in html


def test_add_a_person(admin_client_, organisation):
    url = reverse("manage:member_add", args=[organisation.slug])
    response = admin_client_.post(
        url, {"username": "nadia", "email": "nadia@example.org", "role": Role.PLACE_MANAGER}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="nadia")
    assert membership.role == Role.PLACE_MANAGER and membership.organisation == organisation
    assert not membership.user.has_usable_password()


def test_add_a_person_with_bad_input(admin_client_, organisation):
    url = reverse("manage:member_add", args=[organisation.slug])
    response = admin_client_.post(url, {"username": "bad name!", "email": "nope", "role": "king"})
    assert response.status_code == 400
    assert "valid email" in _field_errors(response, "id_email")
    assert "valid choice" in _field_errors(response, "id_role")
    response = admin_client_.post(
        url, {"username": "bad name!", "email": "a@example.org", "role": Role.VIEWER}
    )
    assert response.status_code == 400
    assert "valid username" in _field_errors(response, "id_username")
    assert not Membership.objects.filter(user__username="bad name!").exists()


def test_change_a_role(admin_client_, organisation, viewer):
    membership = Membership.objects.get(user=viewer)
    url = reverse("manage:member_role", args=[organisation.slug, membership.pk])
    admin_client_.post(url, {f"m{membership.pk}-role": Role.PLACE_MANAGER})
    membership.refresh_from_db()
    assert membership.role == Role.PLACE_MANAGER


def test_the_last_admin_cannot_be_removed_or_demoted(admin_client_, organisation, registry_admin):
    membership = Membership.objects.get(user=registry_admin)
    remove = reverse("manage:member_remove", args=[organisation.slug, membership.pk])
    assert admin_client_.get(remove).status_code == 200  # the confirmation page
    response = admin_client_.post(remove, follow=True)
    assert "at least one registry admin" in response.content.decode()
    role = reverse("manage:member_role", args=[organisation.slug, membership.pk])
    response = admin_client_.post(role, {f"m{membership.pk}-role": Role.VIEWER}, follow=True)
    assert "at least one registry admin" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.REGISTRY_ADMIN


def test_remove_a_member(admin_client_, organisation, viewer):
    membership = Membership.objects.get(user=viewer)
    url = reverse("manage:member_remove", args=[organisation.slug, membership.pk])
    response = admin_client_.post(url, follow=True)
    assert "was removed" in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_only_registry_admins_manage_members(manager_client, viewer_client, organisation):
    url = reverse("manage:members", args=[organisation.slug])
    assert manager_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403


def test_a_member_of_another_organisation_cannot_be_changed(
    admin_client_, organisation, other_organisation
):
    stranger = MembershipFactory(
        user=UserFactory(username="stranger"), organisation=other_organisation, role=Role.VIEWER
    )
    url = reverse("manage:member_remove", args=[organisation.slug, stranger.pk])
    assert admin_client_.post(url).status_code == 404
    assert Membership.objects.filter(pk=stranger.pk).exists()
