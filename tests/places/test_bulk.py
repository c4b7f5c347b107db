"""Bulk actions on the staff place list: selection, confirmation, per-row report, rights,
bad input (nothing changed), and bounded query counts."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from places import actions
from places.bulk_views import SESSION_KEY
from places.models import ChangeRecord, Place, Reminder, Role
from tests.factories import MembershipFactory, PlaceFactory, UserFactory

CONFIRM = reverse("manage:place_bulk")
APPLY = reverse("manage:place_bulk_apply")
REPORT = reverse("manage:place_bulk_report")


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _confirm(client, action, places, **extra):
    data = {"action": action, "place": [str(p.public_id) for p in places], **extra}
    return client.post(CONFIRM, data)


def _apply(client, action, places, **extra):
    data = {"action": action, "place": [str(p.public_id) for p in places], **extra}
    for place in places:
        data.setdefault(f"version-{place.public_id}", str(place.version))
    return client.post(APPLY, data)


def _report(client):
    response = client.get(REPORT)
    assert response.status_code == 200
    return {row["place"].name: (row["done"], row["message"]) for row in response.context["rows"]}


def _drafts(organisation, n=2):
    return [
        PlaceFactory(organisation=organisation, status=Place.Status.DRAFT, name=f"Brouillon {i}")
        for i in range(n)
    ]


# ---------------------------------------------------------------------------- the list


def test_the_list_offers_the_bulk_form_and_a_checkbox_per_row(admin_client_, organisation):
    places = _drafts(organisation, 3)
    html = admin_client_.get(reverse("manage:home")).content.decode()
    assert 'id="place-bulk"' in html
    assert 'name="all_on_page"' in html
    for place in places:
        assert f'name="place" value="{place.public_id}" form="place-bulk"' in html
        assert f'name="page_place" value="{place.public_id}"' in html
    assert "js/bulk-select.js" in html


# ---------------------------------------------------------------------- confirmation step


def test_confirmation_lists_the_places_and_changes_nothing(admin_client_, organisation):
    places = _drafts(organisation)
    response = _confirm(admin_client_, "publish", places)
    assert response.status_code == 200
    html = response.content.decode()
    for place in places:
        assert place.name in html
        assert f'name="version-{place.public_id}" value="{place.version}"' in html
        place.refresh_from_db()
        assert place.status == Place.Status.DRAFT
    assert not ChangeRecord.objects.filter(action=ChangeRecord.Action.STATUS).exists()


def test_all_on_this_page_takes_every_place_of_the_page_without_js(admin_client_, organisation):
    places = _drafts(organisation, 3)
    response = admin_client_.post(
        CONFIRM,
        {
            "action": "archive",
            "all_on_page": "1",
            "page_place": [str(p.public_id) for p in places],
            "place": [str(places[0].public_id)],
        },
    )
    assert response.status_code == 200
    assert [r["place"] for r in response.context["rows"]] == places


def test_confirmation_marks_the_places_that_will_be_refused(
    manager_client, managed_place, organisation
):
    other = PlaceFactory(organisation=organisation, name="Pas à moi")
    response = _confirm(manager_client, "archive", [managed_place, other])
    refusals = {r["place"].name: r["refusal"] for r in response.context["rows"]}
    assert refusals[managed_place.name] == ""
    assert "not change it" in refusals["Pas à moi"]
    assert "Will be refused" in response.content.decode()


# --------------------------------------------------------------------------- each action


def test_publish(admin_client_, organisation, registry_admin):
    places = _drafts(organisation)
    response = _apply(admin_client_, "publish", places)
    assert response.status_code == 302 and response.url == REPORT
    report = _report(admin_client_)
    assert all(done for done, _ in report.values())
    for place in places:
        place.refresh_from_db()
        assert place.status == Place.Status.PUBLISHED
        entry = place.changes.get(action=ChangeRecord.Action.STATUS)
        assert entry.user == registry_admin and entry.source == "staff:bulk"


def test_archive(admin_client_, organisation):
    places = _drafts(organisation)
    _apply(admin_client_, "archive", places)
    for place in places:
        place.refresh_from_db()
        assert place.status == Place.Status.ARCHIVED
        assert place.changes.filter(source="staff:bulk").exists()


def test_assign_a_manager(admin_client_, organisation, place_manager):
    places = _drafts(organisation)
    response = _confirm(admin_client_, "assign_manager", places)
    assert place_manager in response.context["form"].fields["person"].queryset
    _apply(admin_client_, "assign_manager", places, person=str(place_manager.pk))
    assert all(done for done, _ in _report(admin_client_).values())
    for place in places:
        assert list(place.managers.all()) == [place_manager]
        entry = place.changes.get(source="staff:bulk")
        assert entry.changes["managers"] == [[], ["manager"]]


def test_assign_a_manager_needs_a_person(admin_client_, organisation):
    places = _drafts(organisation)
    response = _apply(admin_client_, "assign_manager", places)
    assert response.status_code == 400
    assert "Choose the person" in response.content.decode()
    assert not places[0].managers.exists()


def test_assign_a_manager_refuses_a_person_of_another_organisation(
    admin_client_, organisation, outsider
):
    place = _drafts(organisation, 1)[0]
    response = _apply(admin_client_, "assign_manager", [place], person=str(outsider.pk))
    assert response.status_code == 400  # not among the choices
    assert not place.managers.exists()


def test_mark_verified(admin_client_, organisation, registry_admin):
    places = _drafts(organisation)
    _apply(admin_client_, "verify", places, method="phone")
    for place in places:
        place.refresh_from_db()
        assert place.verified_by == registry_admin
        assert place.verification_method == "phone"
        assert timezone.localdate(place.verified_at) == timezone.localdate()
        assert place.changes.filter(target="verification", source="staff:bulk").exists()


def test_mark_verified_needs_a_method(admin_client_, organisation):
    place = _drafts(organisation, 1)[0]
    response = _apply(admin_client_, "verify", [place])
    assert response.status_code == 400
    place.refresh_from_db()
    assert place.verified_at is None


def test_send_reminder(admin_client_, organisation, managed_place, place_manager):
    place_manager.email = "manager@example.org"
    place_manager.save()
    silent = PlaceFactory(organisation=organisation, name="Sans adresse", email="")
    _apply(admin_client_, "remind", [managed_place, silent])
    report = _report(admin_client_)
    assert report[managed_place.name][0] is True
    assert "manager@example.org" in report[managed_place.name][1]
    assert report["Sans adresse"][0] is False
    assert "No manager with an email address" in report["Sans adresse"][1]
    assert [m.to for m in mail.outbox] == [["manager@example.org"]]
    assert Reminder.objects.filter(place=managed_place).count() == 1
    # Twice in the same period: refused per row, nothing sent.
    _apply(admin_client_, "remind", [managed_place])
    done, message = _report(admin_client_)[managed_place.name]
    assert done is False
    assert message.startswith("manager@example.org: Already reminded in this period")
    assert len(mail.outbox) == 1


# ------------------------------------------------------------------- per-row refusals


def test_domain_refusals_are_reported_per_row_and_the_others_go_on(admin_client_, organisation):
    draft = _drafts(organisation, 1)[0]
    published = PlaceFactory(organisation=organisation, name="Déjà publié")
    untyped = PlaceFactory(
        organisation=organisation, name="Sans typologie", status=Place.Status.DRAFT
    )
    untyped.typologies.clear()
    _apply(admin_client_, "publish", [draft, published, untyped])
    report = _report(admin_client_)
    assert report[draft.name] == (True, "")
    assert report["Déjà publié"][0] is False
    assert "cannot be changed this way" in report["Déjà publié"][1]
    assert report["Sans typologie"] == (False, "Choose a typology before publishing.")
    draft.refresh_from_db()
    assert draft.status == Place.Status.PUBLISHED


def test_a_manager_acts_only_on_the_places_they_manage(manager_client, managed_place, organisation):
    managed_place.status = Place.Status.DRAFT
    managed_place.save()
    other = PlaceFactory(organisation=organisation, name="Pas à moi", status=Place.Status.DRAFT)
    _apply(manager_client, "publish", [managed_place, other])
    report = _report(manager_client)
    assert report[managed_place.name] == (True, "")
    assert report["Pas à moi"] == (False, "You may read this place but not change it.")
    other.refresh_from_db()
    assert other.status == Place.Status.DRAFT


@pytest.mark.parametrize("action", ["remind", "assign_manager"])
def test_a_manager_may_not_remind_or_assign(manager_client, managed_place, place_manager, action):
    extra = {"person": str(place_manager.pk)} if action == "assign_manager" else {}
    response = _apply(manager_client, action, [managed_place], **extra)
    if action == "assign_manager":
        # No organisation they administer: nobody to choose, the form says so.
        assert response.status_code == 400
    else:
        assert _report(manager_client)[managed_place.name][0] is False
    assert not Reminder.objects.exists()
    assert not managed_place.changes.filter(source="staff:bulk").exists()


def test_a_viewer_is_refused_on_every_row(viewer_client, managed_place):
    _apply(viewer_client, "archive", [managed_place])
    assert _report(viewer_client)[managed_place.name][0] is False
    managed_place.refresh_from_db()
    assert managed_place.status == Place.Status.PUBLISHED


# -------------------------------------------------------------------------- permissions


@pytest.mark.parametrize("url", [CONFIRM, APPLY, REPORT])
def test_anonymous_people_are_sent_to_the_login_page(client, managed_place, url):
    response = client.post(url, {"action": "archive", "place": [str(managed_place.public_id)]})
    assert response.status_code == 302
    assert reverse("manage:login") in response.url
    managed_place.refresh_from_db()
    assert managed_place.status == Place.Status.PUBLISHED


def test_a_person_without_organisation_is_refused(client, managed_place):
    client.force_login(UserFactory(username="nobody"))
    response = client.post(CONFIRM, {"action": "archive", "place": [str(managed_place.public_id)]})
    assert response.status_code == 403


def test_an_outsider_cannot_touch_another_organisations_places(outsider_client, managed_place):
    for url in (CONFIRM, APPLY):
        response = _apply(outsider_client, "archive", [managed_place]) if url == APPLY else None
        response = response or _confirm(outsider_client, "archive", [managed_place])
        assert response.status_code == 400
        assert "nothing was changed" in response.content.decode()
        assert managed_place.name not in response.content.decode()
    managed_place.refresh_from_db()
    assert managed_place.status == Place.Status.PUBLISHED
    assert not managed_place.changes.filter(source="staff:bulk").exists()


def test_a_mixed_selection_with_another_organisations_place_changes_nothing(
    admin_client_, organisation, other_organisation
):
    ours = _drafts(organisation, 1)[0]
    theirs = PlaceFactory(organisation=other_organisation, status=Place.Status.DRAFT)
    response = _apply(admin_client_, "publish", [ours, theirs])
    assert response.status_code == 400
    ours.refresh_from_db()
    assert ours.status == Place.Status.DRAFT


def test_an_admin_of_two_organisations_acts_on_both(admin_client_, registry_admin, organisation):
    second = MembershipFactory(user=registry_admin, role=Role.REGISTRY_ADMIN).organisation
    places = [
        PlaceFactory(organisation=o, status=Place.Status.DRAFT) for o in (organisation, second)
    ]
    _apply(admin_client_, "publish", places)
    assert all(done for done, _ in _report(admin_client_).values())
    assert not Place.objects.filter(status=Place.Status.DRAFT).exists()


# ---------------------------------------------------------------------------- bad input


def test_no_place_selected(admin_client_, organisation):
    _drafts(organisation, 1)
    response = admin_client_.post(CONFIRM, {"action": "publish"})
    assert response.status_code == 400
    assert "Select at least one place." in response.content.decode()
    response = admin_client_.post(APPLY, {"action": "publish"})
    assert response.status_code == 400


def test_unknown_action(admin_client_, organisation):
    places = _drafts(organisation)
    for response in (_confirm(admin_client_, "delete", places), _apply(admin_client_, "", places)):
        assert response.status_code == 400
        assert "Choose an action from the list." in response.content.decode()
    assert not ChangeRecord.objects.filter(action=ChangeRecord.Action.STATUS).exists()


def test_an_id_that_is_not_an_id(admin_client_, organisation):
    response = admin_client_.post(CONFIRM, {"action": "publish", "place": ["1; drop"]})
    assert response.status_code == 400
    assert "is not a place identifier" in response.content.decode()


def test_a_stale_list_changes_nothing(admin_client_, organisation, registry_admin):
    places = _drafts(organisation)
    seen = {f"version-{p.public_id}": str(p.version) for p in places}
    actions.place_update(
        place=places[1], user=registry_admin, expected_version=None, data={"phone": "0478000000"}
    )
    response = _apply(admin_client_, "publish", places, **seen)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Changed by someone else since you selected them: Brouillon 1" in html
    # The page offers the fresh versions to confirm again.
    places[1].refresh_from_db()
    assert f'name="version-{places[1].public_id}" value="{places[1].version}"' in html
    for place in places:
        place.refresh_from_db()
        assert place.status == Place.Status.DRAFT


def test_a_confirmation_without_versions_changes_nothing(admin_client_, organisation):
    place = _drafts(organisation, 1)[0]
    response = admin_client_.post(APPLY, {"action": "publish", "place": [str(place.public_id)]})
    assert response.status_code == 400
    assert "The confirmation is incomplete" in response.content.decode()
    place.refresh_from_db()
    assert place.status == Place.Status.DRAFT


def test_the_report_without_a_bulk_action_goes_back_to_the_list(admin_client_):
    response = admin_client_.get(REPORT)
    assert response.status_code == 302 and response.url == reverse("manage:home")


def test_reloading_the_report_changes_nothing_more(admin_client_, organisation):
    places = _drafts(organisation)
    _apply(admin_client_, "publish", places)
    _report(admin_client_)
    _report(admin_client_)
    assert ChangeRecord.objects.filter(action=ChangeRecord.Action.STATUS).count() == 2
    assert SESSION_KEY in admin_client_.session


# --------------------------------------------------------------------------- query counts


def _places_for_count(organisation, n):
    places = _drafts(organisation, n)
    for place in places[::2]:
        place.verified_at = timezone.now() - datetime.timedelta(days=300)
        place.save()
    return places


@pytest.mark.parametrize("count", [3, 20])
def test_confirmation_query_count_does_not_grow(
    admin_client_, organisation, django_assert_num_queries, count
):
    places = _places_for_count(organisation, count)
    data = {"action": "assign_manager", "place": [str(p.public_id) for p in places]}
    admin_client_.get(reverse("manage:home"))  # the session and roles are warm alike
    # session, user, memberships (roles), the selected places, the people to choose from,
    # pending suggestions for the menu.
    with django_assert_num_queries(6):
        response = admin_client_.post(CONFIRM, data)
    assert len(response.context["rows"]) == count


@pytest.mark.parametrize("count", [3, 20])
def test_report_query_count_does_not_grow(
    admin_client_, organisation, django_assert_num_queries, count
):
    places = _places_for_count(organisation, count)
    _apply(admin_client_, "archive", places)
    # session, user, memberships (roles), the places of the report, pending suggestions.
    with django_assert_num_queries(5):
        response = admin_client_.get(REPORT)
    assert len(response.context["rows"]) == count


def test_pages_in_french(admin_client_, organisation, settings):
    settings.LANGUAGE_CODE = "fr"
    places = _drafts(organisation)
    html = admin_client_.get(reverse("manage:home")).content.decode()
    assert "Tous les lieux de cette page" in html
    assert "Agir sur les lieux sélectionnés" in html
    html = _confirm(admin_client_, "publish", places).content.decode()
    assert "Rien n’a encore changé" in html
    _apply(admin_client_, "publish", places)
    assert "2 lieux traités" in admin_client_.get(REPORT).content.decode()
    response = admin_client_.post(CONFIRM, {"action": "publish"})
    assert "Sélectionnez au moins un lieu." in response.content.decode()
