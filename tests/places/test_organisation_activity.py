"""The organisation's activity log: each action that changes members, partner tokens or
webhooks, each import run and each bulk action leaves one entry (who, what, when), and
registry admins of the organisation read it, newest first, filtered by kind."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api import actions as api_actions
from api import webhooks
from api.imports.records import Report
from api.imports.runs import import_run_record
from api.models import ImportRun
from places import actions, bulk, outbound
from places.models import Membership, OrganisationEvent, Place, Role
from tests.factories import PlaceFactory, UserFactory

Kind, Action = OrganisationEvent.Kind, OrganisationEvent.Action


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _partner_address_resolves(monkeypatch):
    """Partners' example addresses resolve to a public address (nothing is sent to them)."""
    monkeypatch.setattr(
        outbound, "resolve", lambda host, port: [ipaddress.ip_address("93.184.215.14")]
    )


def _url(organisation, **query):
    url = reverse("manage:organisation_activity", args=[organisation.slug])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def _events(organisation):
    return list(OrganisationEvent.objects.filter(organisation=organisation).order_by("id"))


@pytest.fixture
def token(organisation, registry_admin):
    token, _raw = api_actions.token_create(
        user=registry_admin, organisation=organisation, name="Partenaire", scopes=["read"]
    )
    return token


# ------------------------------------------------------------------- what is recorded


def test_membership_added_changed_removed_are_recorded(organisation, registry_admin):
    person = UserFactory(username="berthe")
    actions.membership_set(
        organisation=organisation, user=registry_admin, person=person, role=Role.VIEWER
    )
    actions.membership_set(
        organisation=organisation, user=registry_admin, person=person, role=Role.VIEWER
    )  # no change: nothing recorded
    membership = actions.membership_set(
        organisation=organisation, user=registry_admin, person=person, role=Role.PLACE_MANAGER
    )
    actions.membership_remove(membership=membership, user=registry_admin)

    events = _events(organisation)
    assert [(e.kind, e.action, e.target, e.user) for e in events] == [
        (Kind.MEMBERSHIP, Action.ADDED, "berthe", registry_admin),
        (Kind.MEMBERSHIP, Action.CHANGED, "berthe", registry_admin),
        (Kind.MEMBERSHIP, Action.REMOVED, "berthe", registry_admin),
    ]
    assert events[1].summary == f"{Role.VIEWER} → {Role.PLACE_MANAGER}"


def test_refused_membership_change_records_nothing(organisation, registry_admin):
    membership = Membership.objects.get(user=registry_admin)
    with pytest.raises(ValidationError):  # the last registry admin stays
        actions.membership_remove(membership=membership, user=registry_admin)
    assert _events(organisation) == []


def test_invitation_records_the_membership(organisation, registry_admin):
    actions.person_invite(
        organisation=organisation,
        user=registry_admin,
        username="new.person",
        email="new.person@example.org",
        role=Role.VIEWER,
        send_invitation=False,
    )
    [event] = _events(organisation)
    assert (event.kind, event.action, event.target) == (Kind.MEMBERSHIP, Action.ADDED, "new.person")


def test_token_created_and_revoked_are_recorded_once(organisation, registry_admin, token):
    api_actions.token_revoke(token=token, user=registry_admin)
    api_actions.token_revoke(token=token, user=registry_admin)  # already revoked
    events = _events(organisation)
    assert [(e.kind, e.action, e.user) for e in events] == [
        (Kind.TOKEN, Action.CREATED, registry_admin),
        (Kind.TOKEN, Action.REVOKED, registry_admin),
    ]
    assert events[0].target == f"Partenaire ({token.prefix})"
    assert events[0].summary == "read"


def test_webhook_created_disabled_deleted_are_recorded(organisation, registry_admin, token):
    subscription = webhooks.subscription_create(
        token=token, url="https://partner.example.org/h", events=["place.*"], user=registry_admin
    )
    webhooks._disable(subscription, now=timezone.now())
    webhooks.subscription_delete(subscription=subscription, user=registry_admin)
    events = [e for e in _events(organisation) if e.kind == Kind.WEBHOOK]
    assert [(e.action, e.user) for e in events] == [
        (Action.CREATED, registry_admin),
        (Action.CHANGED, None),  # the endpoint asked us to stop
        (Action.DELETED, registry_admin),
    ]
    assert events[0].target == "https://partner.example.org/h (Partenaire)"
    assert "410" in events[1].summary


def test_refused_webhook_records_nothing(organisation, registry_admin, token):
    with pytest.raises(ValidationError):
        webhooks.subscription_create(
            token=token, url="not a url", events=["place.*"], user=registry_admin
        )
    assert [e.kind for e in _events(organisation)] == [Kind.TOKEN]


def test_import_run_is_recorded_but_not_a_dry_run(organisation, registry_admin):
    report = Report(format="csv", path="lieux.csv", dry_run=False, created=3, rejected=1)
    import_run_record(
        report=report,
        organisation=organisation,
        file_name="lieux.csv",
        via=ImportRun.Via.PAGE,
        user=registry_admin,
    )
    import_run_record(
        report=Report(format="csv", path="x.csv", dry_run=True),
        organisation=organisation,
        file_name="x.csv",
        via=ImportRun.Via.PAGE,
        user=registry_admin,
    )
    [event] = _events(organisation)
    assert (event.kind, event.action, event.target, event.user) == (
        Kind.IMPORT,
        Action.RUN,
        "lieux.csv",
        registry_admin,
    )
    assert event.summary == "csv, 4 rows, 1 rejected"


def test_bulk_action_records_one_entry_per_run(organisation, registry_admin):
    places = [PlaceFactory(organisation=organisation, status=Place.Status.DRAFT) for _ in range(3)]
    selected = bulk.selected_places(user=registry_admin, ids=[p.public_id for p in places])
    bulk.bulk_apply(user=registry_admin, action=bulk.ARCHIVE, places=selected)
    [event] = _events(organisation)
    assert (event.kind, event.action, event.target, event.user) == (
        Kind.BULK,
        Action.RUN,
        bulk.ARCHIVE,
        registry_admin,
    )
    assert event.summary == "3/3"


def test_bulk_action_via_the_page_is_recorded(organisation, registry_admin, admin_client_):
    place = PlaceFactory(organisation=organisation, status=Place.Status.DRAFT)
    ids = [str(place.public_id)]
    data = {"action": bulk.ARCHIVE, "place": ids, f"version-{place.public_id}": place.version}
    response = admin_client_.post(reverse("manage:place_bulk_apply"), data)
    assert response.status_code == 302
    assert [(e.kind, e.target) for e in _events(organisation)] == [(Kind.BULK, bulk.ARCHIVE)]


# ---------------------------------------------------------------------------- the page


def _one_of_each(organisation, registry_admin, token):
    person = UserFactory(username="berthe")
    actions.membership_set(
        organisation=organisation, user=registry_admin, person=person, role=Role.VIEWER
    )
    webhooks.subscription_create(
        token=token, url="https://partner.example.org/h", events=["place.*"], user=registry_admin
    )
    import_run_record(
        report=Report(format="csv", path="lieux.csv", dry_run=False, created=2),
        organisation=organisation,
        file_name="lieux.csv",
        via=ImportRun.Via.PAGE,
        user=registry_admin,
    )
    place = PlaceFactory(organisation=organisation, status=Place.Status.DRAFT)
    bulk.bulk_apply(
        user=registry_admin,
        action=bulk.ARCHIVE,
        places=bulk.selected_places(user=registry_admin, ids=[place.public_id]),
    )


def test_page_lists_every_kind_newest_first(organisation, registry_admin, token, admin_client_):
    _one_of_each(organisation, registry_admin, token)
    response = admin_client_.get(_url(organisation))
    assert response.status_code == 200
    events = list(response.context["page"])
    assert [e.kind for e in events] == [
        Kind.BULK,
        Kind.IMPORT,
        Kind.WEBHOOK,
        Kind.MEMBERSHIP,
        Kind.TOKEN,
    ]
    html = response.content.decode()
    for text in ("berthe", "lieux.csv", "https://partner.example.org/h", "Partenaire", "Archive"):
        assert text in html
    assert "admin" in html  # who


def test_page_filters_by_kind(organisation, registry_admin, token, admin_client_):
    _one_of_each(organisation, registry_admin, token)
    response = admin_client_.get(_url(organisation, kind=Kind.WEBHOOK))
    assert [e.kind for e in response.context["page"]] == [Kind.WEBHOOK]
    unknown = admin_client_.get(_url(organisation, kind="nonsense"))
    assert unknown.status_code == 200
    assert len(unknown.context["page"]) == 5  # an unknown kind shows everything


def test_page_is_paginated(organisation, registry_admin, admin_client_):
    for i in range(55):
        actions.organisation_event_record(
            organisation=organisation,
            user=registry_admin,
            kind=Kind.MEMBERSHIP,
            action=Action.ADDED,
            target=f"person-{i}",
        )
    first = admin_client_.get(_url(organisation))
    assert len(first.context["page"]) == 50
    assert first.context["page"][0].target == "person-54"
    second = admin_client_.get(_url(organisation, page=2))
    assert [e.target for e in second.context["page"]][-1] == "person-0"


def _record(organisation, count):
    users = [UserFactory() for _ in range(count)]
    for i, user in enumerate(users):
        actions.organisation_event_record(
            organisation=organisation,
            user=user,
            kind=list(Kind.values)[i % len(Kind.values)],
            action=Action.RUN,
            target=f"t{i}",
        )


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_events(organisation, registry_admin, admin_client_):
    _record(organisation, 3)
    few = _queries(admin_client_, _url(organisation))
    _record(organisation, 27)
    many = _queries(admin_client_, _url(organisation))
    assert few == many


def test_only_its_registry_admins_read_it(
    client, organisation, other_organisation, manager_client, outsider_client, viewer_client
):
    url = _url(organisation)
    assert manager_client.get(url).status_code == 403
    assert viewer_client.get(url).status_code == 403
    assert outsider_client.get(url).status_code == 404
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert reverse("manage:login") in anonymous["Location"]


def test_other_organisations_events_are_not_shown(
    organisation, other_organisation, outsider, admin_client_
):
    actions.organisation_event_record(
        organisation=other_organisation,
        user=outsider,
        kind=Kind.MEMBERSHIP,
        action=Action.ADDED,
        target="secret-person",
    )
    response = admin_client_.get(_url(organisation))
    assert "secret-person" not in response.content.decode()


def test_staff_pages_link_to_it(organisation, admin_client_):
    url = _url(organisation)
    members = admin_client_.get(reverse("manage:members", args=[organisation.slug]))
    assert url in members.content.decode()
    places = admin_client_.get(reverse("manage:home"))
    assert url in places.content.decode()
