"""Provider agreements join the one optimistic lock (places.versioning): the staff forms
and the API writes carry the version they started from; without it nothing is written,
and a stale one is a conflict that names who changed what and keeps the person's input."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from api.actions import agreement_create, agreement_end, agreement_update, token_create
from api.models import PlaceProviderAgreement
from places.models import ChangeRecord
from places.versioning import StaleRecord
from tests.factories import PlaceFactory, ProviderFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_throttle(settings):
    cache.clear()
    settings.API_RATE_LIMITS = {"anonymous": "1000/min", "partner": "5000/min"}
    yield
    cache.clear()


@pytest.fixture
def place(organisation):
    return PlaceFactory(organisation=organisation, name="Maison France Services")


@pytest.fixture
def agreement(place, registry_admin):
    provider = ProviderFactory(slug="caf-rhone", name="CAF du Rhône")
    return agreement_create(
        user=registry_admin, place=place, provider=provider, kinds=["caf"], terms="Mardis"
    )


@pytest.fixture
def raw(organisation, registry_admin):
    return token_create(
        user=registry_admin,
        organisation=organisation,
        name="agreements",
        scopes=["read", "write:agreements"],
    )[1]


def _theirs(agreement, place_manager, **changes):
    """A colleague's change, saved from the version the page showed."""
    return agreement_update(
        agreement=agreement,
        user=place_manager,
        expected_version=agreement.version,
        **changes,
    )


def _edit_url(agreement):
    return f"/manage/partners/agreements/{agreement.pk}/edit/"


def _end_url(agreement):
    return f"/manage/partners/agreements/{agreement.pk}/end/"


# ---------------------------------------------------------------------------- actions


def test_each_change_bumps_the_version_and_a_stale_one_names_who(
    agreement, registry_admin, place_manager
):
    assert agreement.version == 1
    changed = _theirs(agreement, place_manager, terms="Jeudis")
    assert changed.version == 2
    with pytest.raises(StaleRecord) as exc:
        agreement_update(
            agreement=agreement, user=registry_admin, expected_version=1, terms="Lundis"
        )
    assert exc.value.code == "stale_version" and exc.value.version == 2
    assert [(r.user, r.changes) for r in exc.value.since] == [
        (place_manager, {"terms": ["Mardis", "Jeudis"]})
    ]
    assert "changed by manager" in exc.value.messages[0]
    with pytest.raises(StaleRecord):
        agreement_end(agreement=agreement, user=registry_admin, expected_version=1)
    stored = PlaceProviderAgreement.objects.get()
    assert stored.terms == "Jeudis" and stored.ends_on is None and stored.version == 2
    # saving the same values changes nothing: same version, no record
    same = agreement_update(
        agreement=agreement, user=registry_admin, expected_version=2, terms="Jeudis"
    )
    assert same.version == 2
    ended = agreement_end(agreement=agreement, user=registry_admin, expected_version=2)
    assert ended.version == 3 and ended.ends_on == TODAY
    records = ChangeRecord.objects.filter(target=f"agreement:{agreement.pk}").order_by("id")
    assert [r.version for r in records] == [1, 2, 3]


# ------------------------------------------------------------------------- staff pages


def test_the_forms_carry_the_version(admin_client_, agreement, place_manager):
    _theirs(agreement, place_manager, terms="Jeudis")
    for url in (_edit_url(agreement), _end_url(agreement)):
        html = admin_client_.get(url).content.decode()
        assert 'name="version" value="2"' in html, url


def test_an_edit_without_its_version_is_refused(admin_client_, agreement):
    response = admin_client_.post(
        _edit_url(agreement), {"kinds": [], "starts_on": TODAY.isoformat(), "terms": "Mine"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "does not say which version you started from" in html
    assert "Mine" in html  # the input is kept
    agreement.refresh_from_db()
    assert agreement.terms == "Mardis" and agreement.version == 1


def test_an_edit_conflict_names_the_colleague_and_keeps_my_input(
    admin_client_, agreement, place_manager
):
    _theirs(agreement, place_manager, terms="Jeudis")
    mine = {"kinds": ["caf"], "starts_on": TODAY.isoformat(), "terms": "Samedis"}
    response = admin_client_.post(_edit_url(agreement), {**mine, "version": 1})
    assert response.status_code == 409
    html = response.content.decode()
    assert "This agreement was changed by manager" in html
    assert "What changed while you were editing" in html
    assert "Terms" in html and "Jeudis" in html  # what they changed, by field
    assert "Samedis" in html and 'name="version" value="2"' in html
    agreement.refresh_from_db()
    assert agreement.terms == "Jeudis" and agreement.version == 2
    # saving again from the version shown applies mine
    response = admin_client_.post(_edit_url(agreement), {**mine, "version": 2})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.terms == "Samedis" and agreement.version == 3


def test_an_end_without_its_version_is_refused(admin_client_, agreement):
    response = admin_client_.post(_end_url(agreement), {"ends_on": TODAY.isoformat()})
    assert response.status_code == 400
    assert "does not say which version you started from" in response.content.decode()
    agreement.refresh_from_db()
    assert agreement.ends_on is None


def test_an_end_conflict_names_the_colleague_and_keeps_the_day(
    admin_client_, agreement, place_manager
):
    _theirs(agreement, place_manager, kinds=[])
    last_day = (TODAY + 30 * DAY).isoformat()
    response = admin_client_.post(_end_url(agreement), {"ends_on": last_day, "version": 1})
    assert response.status_code == 409
    html = response.content.decode()
    assert "This agreement was changed by manager" in html
    assert "Service kinds" in html  # the field they changed, by its name
    assert f'value="{last_day}"' in html and 'name="version" value="2"' in html
    agreement.refresh_from_db()
    assert agreement.ends_on is None
    response = admin_client_.post(_end_url(agreement), {"ends_on": last_day, "version": 2})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.ends_on.isoformat() == last_day and agreement.version == 3


# --------------------------------------------------------------------------------- API


def _patch(client, raw, agreement, body, **headers):
    return client.patch(
        f"/api/v1/agreements/{agreement.pk}/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        **headers,
    )


def _end(client, raw, agreement, body, **headers):
    return client.post(
        f"/api/v1/agreements/{agreement.pk}/end/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
        **headers,
    )


def test_api_writes_without_a_version_are_428(client, raw, agreement):
    for response in (
        _patch(client, raw, agreement, {"terms": "Mine"}),
        _end(client, raw, agreement, {}),
    ):
        assert response.status_code == 428, response.content
        error = response.json()["error"]
        assert error["code"] == "version_required"
        assert "version" in error["fields"]
    agreement.refresh_from_db()
    assert agreement.terms == "Mardis" and agreement.ends_on is None and agreement.version == 1


def test_api_stale_version_is_409_with_the_agreement_as_it_is(
    client, raw, agreement, place_manager
):
    _theirs(agreement, place_manager, terms="Jeudis")
    for response in (
        _patch(client, raw, agreement, {"terms": "Mine", "version": 1}),
        _end(client, raw, agreement, {"version": 1}),
    ):
        assert response.status_code == 409, response.content
        error = response.json()["error"]
        assert error["code"] == "stale_version"
        assert "changed by manager" in error["message"]
        assert error["current"]["terms"] == "Jeudis" and error["current"]["version"] == 2
    agreement.refresh_from_db()
    assert agreement.terms == "Jeudis" and agreement.ends_on is None


def test_api_if_match_takes_the_etag(client, raw, agreement, place_manager):
    read = client.get(f"/api/v1/agreements/{agreement.pk}/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    etag = read["ETag"]
    assert etag.startswith('"1-') and read.json()["version"] == 1
    changed = _patch(client, raw, agreement, {"terms": "Mine"}, HTTP_IF_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = _end(client, raw, agreement, {}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale.json()["error"]["code"] == "stale_version"
    ended = _end(client, raw, agreement, {"ends_on": TODAY.isoformat()}, HTTP_IF_MATCH='"2"')
    assert ended.status_code == 200 and ended.json()["version"] == 3
