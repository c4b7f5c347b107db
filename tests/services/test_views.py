"""Staff pages of service offers and of the catalogue, with the standing users."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from services import actions
from services.models import Provider, ServiceKind, ServiceOffer
from tests.factories import PlaceFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(managed_place, registry_admin):
    return actions.offer_create(
        place=managed_place,
        user=registry_admin,
        data={"kind": "caf", "provider": "caf", "level": "partial"},
    )


def _offer_urls(place, offer):
    pid = place.public_id
    return {
        "list": reverse("services:offer_list", args=[pid]),
        "create": reverse("services:offer_create", args=[pid]),
        "edit": reverse("services:offer_edit", args=[pid, offer.pk]),
        "suspend": reverse("services:offer_suspend", args=[pid, offer.pk]),
        "end": reverse("services:offer_end", args=[pid, offer.pk]),
    }


def _catalogue_urls():
    return [
        reverse("services:catalogue"),
        reverse("services:service_kind_create"),
        reverse("services:service_kind_edit", args=[ServiceKind.objects.get(slug="caf").pk]),
        reverse("services:provider_create"),
        reverse("services:provider_edit", args=[Provider.objects.get(slug="caf").pk]),
    ]


def test_anonymous_goes_to_login(client, managed_place, offer):
    for url in _offer_urls(managed_place, offer).values():
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_outsider_is_refused_on_every_offer_page(outsider_client, managed_place, offer):
    for url in _offer_urls(managed_place, offer).values():
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, {"until": "2099-01-01"}).status_code in (404, 405), url
    reactivate = reverse("services:offer_reactivate", args=[managed_place.public_id, offer.pk])
    assert outsider_client.post(reactivate).status_code == 404
    offer.refresh_from_db()
    assert offer.version == 1


def test_viewer_reads_but_cannot_change(viewer_client, managed_place, offer):
    urls = _offer_urls(managed_place, offer)
    response = viewer_client.get(urls["list"])
    assert response.status_code == 200
    assert "Prestations familiales" in response.content.decode()
    assert urls["edit"] not in response.content.decode()
    for name in ("create", "edit", "suspend", "end"):
        assert viewer_client.get(urls[name]).status_code == 403, name
    assert viewer_client.post(urls["end"]).status_code == 403


def test_manager_of_another_place_cannot_change(manager_client, organisation, registry_admin):
    place = PlaceFactory(organisation=organisation)
    other = actions.offer_create(
        place=place, user=registry_admin, data={"kind": "caf", "provider": "caf"}
    )
    urls = _offer_urls(place, other)
    assert manager_client.get(urls["list"]).status_code == 200
    assert manager_client.get(urls["edit"]).status_code == 403


def test_manager_adds_an_offer(manager_client, managed_place):
    url = reverse("services:offer_create", args=[managed_place.public_id])
    page = manager_client.get(url)
    assert page.status_code == 200
    assert "<optgroup" in page.content.decode()
    response = manager_client.post(
        url,
        {
            "kind": ServiceKind.objects.get(slug="france-travail").pk,
            "provider": Provider.objects.get(slug="france-travail").pk,
            "level": "information",
            "audiences": ["job_seekers"],
            "fees": "free",
            "access_modes": ["walk_in", "appointment"],
            "appointment_url": "https://rdv.example.org/ft",
        },
    )
    assert response.status_code == 302
    offer = ServiceOffer.objects.get(place=managed_place)
    assert offer.kind.slug == "france-travail" and offer.access_modes == ["walk_in", "appointment"]


def test_invalid_offer_shows_errors(manager_client, managed_place):
    url = reverse("services:offer_create", args=[managed_place.public_id])
    response = manager_client.post(
        url,
        {
            "kind": ServiceKind.objects.get(slug="caf").pk,
            "provider": Provider.objects.get(slug="caf").pk,
            "fees": "conditions",
            "fees_details": "",
        },
    )
    assert response.status_code == 400
    assert "aria-invalid" in response.content.decode()
    assert not ServiceOffer.objects.exists()


def test_edit_conflict_keeps_input(admin_client_, managed_place, offer, place_manager):
    actions.offer_update(
        offer=offer, user=place_manager, expected_version=1, data={"description": "Le mardi"}
    )
    url = reverse("services:offer_edit", args=[managed_place.public_id, offer.pk])
    response = admin_client_.post(
        url,
        {
            "kind": offer.kind_id,
            "provider": offer.provider_id,
            "fees": "free",
            "description": "Le jeudi",
            "version": 1,
        },
    )
    assert response.status_code == 409
    assert "Le jeudi" in response.content.decode()
    offer.refresh_from_db()
    assert offer.description == "Le mardi"


def test_suspend_end_reactivate(manager_client, managed_place, offer):
    urls = _offer_urls(managed_place, offer)
    until = timezone.localdate() + datetime.timedelta(days=10)
    assert manager_client.post(urls["suspend"], {"until": ""}).status_code == 400
    response = manager_client.post(urls["suspend"], {"until": until.isoformat(), "version": 1})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == "suspended" and offer.suspended_until == until
    assert manager_client.get(urls["end"]).status_code == 200
    manager_client.post(urls["end"], {"version": offer.version})
    offer.refresh_from_db()
    assert offer.status == "ended"
    reactivate = reverse("services:offer_reactivate", args=[managed_place.public_id, offer.pk])
    manager_client.post(reactivate, {"version": offer.version})
    offer.refresh_from_db()
    assert offer.status == "active"


def test_offer_list_query_count_is_constant(
    admin_client_, registry_admin, managed_place, django_assert_num_queries
):
    url = reverse("services:offer_list", args=[managed_place.public_id])
    # 1 the session, 2 the signed-in user, 3 their memberships (roles_of, cached for the
    # request, so can_edit_place asks nothing more of a registry admin), 4 the place,
    # 5 the offers JOINed with their kind, category and provider, 6 the count of pending
    # suggestions in the staff menu.
    with django_assert_num_queries(6):
        assert admin_client_.get(url).status_code == 200
    for n in range(6):
        actions.offer_create(
            place=managed_place,
            user=registry_admin,
            data={
                "kind": ServiceKind.objects.order_by("pk")[n],
                "provider": ProviderFactory(),
                "audiences": ["all"],
                "access_modes": ["walk_in"],
            },
        )
    with django_assert_num_queries(6):
        response = admin_client_.get(url)
    assert len(response.context["offers"]) == 6


def test_catalogue_pages_for_registry_admins_only(admin_client_, manager_client, viewer_client):
    from django.test import Client

    client = Client()
    for url in _catalogue_urls():
        assert admin_client_.get(url).status_code == 200, url
        assert manager_client.get(url).status_code == 403, url
        assert viewer_client.get(url).status_code == 403, url
        assert client.get(url).status_code == 302, url


def test_outsider_without_admin_role_is_refused_on_catalogue(other_organisation):
    from django.test import Client

    from places.models import Role
    from tests.factories import MembershipFactory, UserFactory

    person = UserFactory(username="outside-viewer")
    MembershipFactory(user=person, organisation=other_organisation, role=Role.VIEWER)
    visitor = Client()
    visitor.force_login(person)
    for url in _catalogue_urls():
        assert visitor.get(url).status_code == 403, url


def test_admin_edits_kind_and_provider(admin_client_):
    kind = ServiceKind.objects.get(slug="caf")
    response = admin_client_.post(
        reverse("services:service_kind_edit", args=[kind.pk]),
        {
            "slug": "caf",
            "name": "Allocations (CAF)",
            "name_en": "Benefits (CAF)",
            "category": kind.category_id,
            "data_inclusion_thematiques": kind.data_inclusion_thematiques,
            "profile": "mediation",
            "position": 5,
            "active": "on",
            "version": kind.version,
        },
    )
    assert response.status_code == 302
    kind.refresh_from_db()
    assert kind.name == "Allocations (CAF)"
    response = admin_client_.post(
        reverse("services:provider_create"),
        {"slug": "la-banque", "name": "La Banque", "sector": "private", "website": ""},
    )
    assert response.status_code == 302
    assert Provider.objects.filter(slug="la-banque").exists()
    response = admin_client_.post(
        reverse("services:provider_create"),
        {"slug": "caf", "name": "Doublon", "sector": "public"},
    )
    assert response.status_code == 400
