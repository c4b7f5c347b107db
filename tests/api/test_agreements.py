"""Place–provider agreements: actions, staff pages, partner API, and the offer write path."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from api.actions import agreement_create, agreement_end, agreement_update, token_create
from api.models import PlaceProviderAgreement
from places.models import ChangeRecord
from services.models import ServiceKind, ServiceOffer
from tests.factories import PlaceFactory, ProviderFactory, ServiceOfferFactory

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_throttle(settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}
    yield
    cache.clear()


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def provider(db):
    return ProviderFactory(slug="caf-rhone", name="CAF du Rhône")


@pytest.fixture
def place(organisation):
    return PlaceFactory(organisation=organisation, name="Maison France Services")


@pytest.fixture
def other_kind(db):
    return ServiceKind.objects.exclude(slug="caf").order_by("slug").first()


@pytest.fixture
def tokens(organisation, provider, registry_admin):
    out = {}
    for name, scopes, prov in (
        ("read", ["read"], None),
        ("agreements", ["read", "write:agreements"], None),
        ("offers", ["read", "write:offers"], provider),
        ("places", ["write:places"], None),
    ):
        out[name] = token_create(
            user=registry_admin, organisation=organisation, name=name, scopes=scopes, provider=prov
        )
    return out


# ---------------------------------------------------------------------------- actions


@pytest.mark.django_db
def test_create_change_and_end_are_recorded_in_the_place_history(
    place, provider, registry_admin, other_kind
):
    agreement = agreement_create(
        user=registry_admin, place=place, provider=provider, kinds=["caf"], terms="Mardis"
    )
    assert agreement.starts_on == TODAY
    agreement_update(
        agreement=agreement,
        user=registry_admin,
        expected_version=1,
        kinds=["caf", other_kind.slug],
    )
    agreement_end(agreement=agreement, user=registry_admin, expected_version=2, on=TODAY + 10 * DAY)
    records = list(
        ChangeRecord.objects.filter(place=place, target=f"agreement:{agreement.pk}").order_by("id")
    )
    assert [r.action for r in records] == ["create", "update", "status"]
    assert records[0].changes["kinds"] == [None, ["caf"]]
    assert records[0].changes["terms"] == [None, "Mardis"]
    assert records[1].changes == {"kinds": [["caf"], sorted(["caf", other_kind.slug])]}
    assert records[2].changes == {"ends_on": [None, (TODAY + 10 * DAY).isoformat()]}
    assert all(r.user == registry_admin and r.source == "staff" for r in records)


@pytest.mark.django_db
def test_an_update_that_changes_nothing_leaves_no_record(place, provider, registry_admin):
    agreement = agreement_create(user=registry_admin, place=place, provider=provider)
    agreement_update(agreement=agreement, user=registry_admin, expected_version=1, terms="")
    assert ChangeRecord.objects.filter(target=f"agreement:{agreement.pk}").count() == 1


@pytest.mark.django_db
def test_it_refuses_an_end_before_the_start(place, provider, registry_admin):
    with pytest.raises(ValidationError) as exc:
        agreement_create(
            user=registry_admin,
            place=place,
            provider=provider,
            starts_on=TODAY,
            ends_on=TODAY - DAY,
        )
    assert "ends_on" in exc.value.message_dict
    assert not PlaceProviderAgreement.objects.exists()
    agreement = agreement_create(user=registry_admin, place=place, provider=provider)
    with pytest.raises(ValidationError) as exc:
        agreement_end(agreement=agreement, user=registry_admin, expected_version=1, on=TODAY - DAY)
    assert "ends_on" in exc.value.message_dict
    agreement.refresh_from_db()
    assert agreement.ends_on is None


@pytest.mark.django_db
def test_it_refuses_an_unknown_kind_and_a_second_agreement(place, provider, registry_admin):
    with pytest.raises(ValidationError) as exc:
        agreement_create(user=registry_admin, place=place, provider=provider, kinds=["nope"])
    assert "nope" in exc.value.message_dict["kinds"][0]
    assert not PlaceProviderAgreement.objects.exists()
    agreement_create(user=registry_admin, place=place, provider=provider)
    with pytest.raises(ValidationError) as exc:
        agreement_create(user=registry_admin, place=place, provider=provider)
    assert "provider" in exc.value.message_dict


# ------------------------------------------------------------------------- staff pages


def _place_url(place):
    return f"/manage/partners/agreements/place/{place.public_id}/"


@pytest.mark.django_db
def test_anonymous_is_sent_to_log_in(client, place, provider):
    agreement = agreement_create(user=None, place=place, provider=provider)
    for url in (
        _place_url(place),
        f"{_place_url(place)}new/",
        f"/manage/partners/agreements/{agreement.pk}/edit/",
        f"/manage/partners/agreements/{agreement.pk}/end/",
        f"/manage/partners/agreements/organisation/{place.organisation.slug}/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider_client", "manager_client", "viewer_client"])
def test_only_registry_admins_of_the_organisation_manage_agreements(
    who, request, place, provider, place_manager
):
    place.managers.add(place_manager)
    agreement = agreement_create(user=None, place=place, provider=provider)
    browser = request.getfixturevalue(who)
    for url in (
        _place_url(place),
        f"{_place_url(place)}new/",
        f"/manage/partners/agreements/{agreement.pk}/edit/",
        f"/manage/partners/agreements/{agreement.pk}/end/",
        f"/manage/partners/agreements/organisation/{place.organisation.slug}/",
    ):
        assert browser.get(url).status_code == 403, url
    response = browser.post(f"/manage/partners/agreements/{agreement.pk}/end/", {})
    assert response.status_code == 403
    agreement.refresh_from_db()
    assert agreement.ends_on is None


@pytest.mark.django_db
def test_admin_reaches_agreements_from_the_place_page(admin_client_, place, place_manager):
    page = admin_client_.get(f"/manage/places/{place.public_id}/")
    assert _place_url(place) in page.content.decode()
    place.managers.add(place_manager)
    manager = Client()
    manager.force_login(place_manager)
    page = manager.get(f"/manage/places/{place.public_id}/")
    assert page.status_code == 200
    assert _place_url(place) not in page.content.decode()


@pytest.mark.django_db
def test_admin_creates_changes_and_ends_an_agreement(
    admin_client_, place, provider, registry_admin
):
    response = admin_client_.post(
        f"{_place_url(place)}new/",
        {
            "provider": provider.pk,
            "kinds": ["caf"],
            "starts_on": TODAY.isoformat(),
            "terms": "Permanence le mardi",
        },
    )
    assert response.status_code == 302, response.content
    agreement = PlaceProviderAgreement.objects.get(place=place, provider=provider)
    assert [k.slug for k in agreement.kinds.all()] == ["caf"]
    listing = admin_client_.get(_place_url(place)).content.decode()
    assert "CAF du Rhône" in listing and "Permanence le mardi" in listing
    response = admin_client_.post(
        f"/manage/partners/agreements/{agreement.pk}/edit/",
        {"kinds": [], "starts_on": TODAY.isoformat(), "terms": "Tous les jours", "version": 1},
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.terms == "Tous les jours" and not agreement.kinds.exists()
    response = admin_client_.post(
        f"/manage/partners/agreements/{agreement.pk}/end/",
        {"ends_on": TODAY.isoformat(), "version": 2},
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.ends_on == TODAY
    sources = ChangeRecord.objects.filter(target=f"agreement:{agreement.pk}")
    assert sources.count() == 3
    assert set(sources.values_list("user", flat=True)) == {registry_admin.pk}


@pytest.mark.django_db
def test_bad_input_is_shown_next_to_the_field_and_kept(admin_client_, place, provider):
    response = admin_client_.post(
        f"{_place_url(place)}new/",
        {
            "provider": provider.pk,
            "kinds": ["does-not-exist"],
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY - DAY).isoformat(),
            "terms": "Mes conditions",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "kinds" in form.errors
    assert form.errors["ends_on"] == ["The last day cannot come before the first day."]
    html = response.content.decode()
    assert "Mes conditions" in html
    assert 'id="id_ends_on_errors"' in html or "field-error" in html
    assert not PlaceProviderAgreement.objects.exists()


@pytest.mark.django_db
def test_ending_before_the_start_is_refused_on_the_page(
    admin_client_, place, provider, registry_admin
):
    agreement = agreement_create(
        user=registry_admin, place=place, provider=provider, starts_on=TODAY + 5 * DAY
    )
    response = admin_client_.post(
        f"/manage/partners/agreements/{agreement.pk}/end/",
        {"ends_on": TODAY.isoformat(), "version": 1},
    )
    assert response.status_code == 400
    assert "ends_on" in response.context["form"].errors
    agreement.refresh_from_db()
    assert agreement.ends_on is None


@pytest.mark.django_db
def test_organisation_list_shows_every_place_in_constant_queries(
    admin_client_, organisation, other_organisation, provider, django_assert_num_queries
):
    for n in range(3):
        agreement_create(
            user=None,
            place=PlaceFactory(organisation=organisation, name=f"Lieu {n}"),
            provider=provider,
            kinds=["caf"],
        )
    foreign = PlaceFactory(organisation=other_organisation, name="Ailleurs")
    agreement_create(user=None, place=foreign, provider=provider)
    url = f"/manage/partners/agreements/organisation/{organisation.slug}/"
    admin_client_.get(url)  # warm the session
    # session, user, organisation, roles, pending suggestions (the staff menu),
    # agreements with their place and provider, their kinds
    with django_assert_num_queries(7):
        response = admin_client_.get(url)
    html = response.content.decode()
    assert all(f"Lieu {n}" in html for n in range(3))
    assert "Ailleurs" not in html


# --------------------------------------------------------------------------------- API


@pytest.mark.django_db
def test_reading_agreements_needs_a_token_with_read(
    client, tokens, place, provider, other_organisation
):
    agreement_create(user=None, place=place, provider=provider, kinds=["caf"], terms="T")
    agreement_create(
        user=None, place=PlaceFactory(organisation=other_organisation), provider=ProviderFactory()
    )
    assert client.get("/api/v1/agreements/").status_code == 401
    refused = client.get("/api/v1/agreements/", **bearer(tokens["places"][1]))
    assert refused.status_code == 403
    response = client.get("/api/v1/agreements/", **bearer(tokens["read"][1]))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 1  # the other organisation's agreement stays hidden
    assert rows[0]["service_kinds"] == ["caf"]
    assert rows[0]["active"] is True
    assert rows[0]["provider"] == "caf-rhone"
    one = client.get(f"/api/v1/agreements/{rows[0]['id']}/", **bearer(tokens["read"][1]))
    assert one.status_code == 200 and one.json()["terms"] == "T"


@pytest.mark.django_db
def test_writing_agreements_needs_write_agreements(client, tokens, place, provider):
    body = {"place": str(place.public_id), "provider": "caf-rhone", "service_kinds": ["caf"]}
    for name in ("read", "offers"):
        response = client.post(
            "/api/v1/agreements/", body, content_type="application/json", **bearer(tokens[name][1])
        )
        assert response.status_code == 403
    assert client.post(
        "/api/v1/agreements/", body, content_type="application/json"
    ).status_code in (
        401,
        403,
    )
    assert not PlaceProviderAgreement.objects.exists()


@pytest.mark.django_db
def test_api_creates_changes_and_ends_with_history(client, tokens, place, provider):
    token, raw = tokens["agreements"]
    created = client.post(
        "/api/v1/agreements/",
        {"place": str(place.public_id), "provider": "caf-rhone", "service_kinds": ["caf"]},
        content_type="application/json",
        **bearer(raw),
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["version"] == 1
    changed = client.patch(
        f"/api/v1/agreements/{pk}/",
        {"terms": "Le jeudi", "version": 1},
        content_type="application/json",
        **bearer(raw),
    )
    assert changed.status_code == 200 and changed.json()["terms"] == "Le jeudi"
    assert changed.json()["version"] == 2
    ended = client.post(
        f"/api/v1/agreements/{pk}/end/",
        {"version": 2},
        content_type="application/json",
        **bearer(raw),
    )
    assert ended.status_code == 200
    assert ended.json()["ends_on"] == TODAY.isoformat()
    records = ChangeRecord.objects.filter(target=f"agreement:{pk}")
    assert records.count() == 3
    assert set(records.values_list("source", flat=True)) == {token.source}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, field",
    [
        ({"service_kinds": ["nope"]}, "kinds"),
        ({"starts_on": "2026-05-02", "ends_on": "2026-05-01"}, "ends_on"),
        ({"starts_on": "demain"}, "starts_on"),
    ],
)
def test_api_bad_input_is_400_naming_the_field(client, tokens, place, provider, body, field):
    response = client.post(
        "/api/v1/agreements/",
        {"place": str(place.public_id), "provider": "caf-rhone", **body},
        content_type="application/json",
        **bearer(tokens["agreements"][1]),
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not PlaceProviderAgreement.objects.exists()


@pytest.mark.django_db
def test_api_writes_only_the_organisation_places(client, tokens, provider, other_organisation):
    foreign = PlaceFactory(organisation=other_organisation)
    response = client.post(
        "/api/v1/agreements/",
        {"place": str(foreign.public_id), "provider": "caf-rhone"},
        content_type="application/json",
        **bearer(tokens["agreements"][1]),
    )
    assert response.status_code == 400
    assert "place" in response.json()["error"]["fields"]
    agreement = agreement_create(user=None, place=foreign, provider=provider)
    response = client.post(
        f"/api/v1/agreements/{agreement.pk}/end/",
        {"version": 1},
        content_type="application/json",
        **bearer(tokens["agreements"][1]),
    )
    assert response.status_code == 404
    agreement.refresh_from_db()
    assert agreement.ends_on is None


@pytest.mark.django_db
def test_schema_lists_the_agreement_endpoints(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/agreements/" in schema["paths"]
    assert "/api/v1/agreements/{id}/end/" in schema["paths"]
    assert set(schema["paths"]["/api/v1/agreements/"]) >= {"get", "post"}
    assert any(name.startswith("AgreementWrite") for name in schema["components"]["schemas"])


# -------------------------------------------------------- the partner offer write path


def _offer(client, raw, place, kind="caf"):
    return client.post(
        "/api/v1/offers/",
        {
            "place": str(place.public_id),
            "service_kind": kind,
            "audiences": ["all"],
            "access_modes": ["walk_in"],
        },
        content_type="application/json",
        **bearer(raw),
    )


@pytest.mark.django_db
def test_offers_only_within_the_agreement_kinds(client, tokens, place, provider, other_kind):
    raw = tokens["offers"][1]
    agreement_create(user=None, place=place, provider=provider, kinds=["caf"])
    refused = _offer(client, raw, place, kind=other_kind.slug)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "place_not_accepted"
    assert _offer(client, raw, place).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    "starts, ends, allowed",
    [
        (TODAY, None, True),
        (TODAY - 9 * DAY, TODAY, True),  # the last day still holds
        (TODAY + DAY, None, False),  # not begun
        (TODAY - 9 * DAY, TODAY - DAY, False),  # ended
    ],
)
def test_offers_only_within_the_agreement_dates(
    client, tokens, place, provider, starts, ends, allowed
):
    agreement_create(user=None, place=place, provider=provider, starts_on=starts, ends_on=ends)
    response = _offer(client, tokens["offers"][1], place)
    assert response.status_code == (201 if allowed else 403), response.content


@pytest.mark.django_db
def test_an_ended_agreement_outweighs_a_live_offer(client, tokens, place, provider):
    raw = tokens["offers"][1]
    ServiceOfferFactory(place=place, provider=provider)  # a live CAF offer, no agreement
    kinds = ServiceKind.objects.exclude(slug="caf").order_by("slug")[:2]
    first = _offer(client, raw, place, kind=kinds[0].slug)
    assert first.status_code == 201, first.content  # no agreement: as before
    agreement = agreement_create(user=None, place=place, provider=provider, starts_on=TODAY - DAY)
    agreement_end(agreement=agreement, user=None, expected_version=None, on=TODAY - DAY)
    refused = _offer(client, raw, place, kind=kinds[1].slug)
    assert refused.status_code == 403, refused.content


@pytest.mark.django_db
def test_an_offer_cannot_change_to_a_kind_outside_the_agreement(
    client, tokens, place, provider, other_kind
):
    raw = tokens["offers"][1]
    agreement_create(user=None, place=place, provider=provider, kinds=["caf"])
    offer_id = _offer(client, raw, place).json()["id"]
    response = client.patch(
        f"/api/v1/offers/{offer_id}/",
        {"service_kind": other_kind.slug, "version": 1},
        content_type="application/json",
        **bearer(raw),
    )
    assert response.status_code == 403
    assert ServiceOffer.objects.get(pk=offer_id).kind.slug == "caf"
