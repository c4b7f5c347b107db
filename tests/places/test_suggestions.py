"""Residents' suggestions: the actions, and the staff moderation queue under /manage/."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from places import actions
from places.models import ChangeRecord, Place, Suggestion
from tests.factories import PlaceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _correction(place, **data) -> Suggestion:
    return actions.suggestion_submit(
        kind=Suggestion.Kind.CORRECTION,
        place=place,
        data=data or {"phone": "04 78 00 00 00"},
        message="The phone number changed.",
        email="resident@example.org",
        ip="203.0.113.7",
        language="en",
    )


def _new_place(**data) -> Suggestion:
    return actions.suggestion_submit(
        kind=Suggestion.Kind.NEW_PLACE,
        data={"name": "Repair café des Pentes", "commune": "Lyon", **data},
        email="resident@example.org",
        ip="203.0.113.7",
    )


# ------------------------------------------------------------------------------ actions


def test_submit_keeps_only_changed_values_and_hashes_the_address(managed_place):
    suggestion = _correction(managed_place, name=managed_place.name, phone="04 78 00 00 00")
    assert suggestion.data == {"phone": "04 78 00 00 00"}
    assert suggestion.status == Suggestion.Status.PENDING
    assert suggestion.submitter_hash and "203.0.113.7" not in suggestion.submitter_hash
    assert suggestion.submitter_hash == actions.hash_ip("203.0.113.7")


def test_submit_refuses_a_correction_that_says_nothing(managed_place):
    with pytest.raises(ValidationError) as caught:
        actions.suggestion_submit(
            kind=Suggestion.Kind.CORRECTION, place=managed_place, data={"name": managed_place.name}
        )
    assert "__all__" in caught.value.message_dict
    assert not Suggestion.objects.exists()


def test_submit_validates_each_value(managed_place):
    with pytest.raises(ValidationError) as caught:
        _correction(managed_place, postcode="6900", website="not a url")
    assert set(caught.value.message_dict) == {"postcode", "website"}


def test_submit_refuses_unknown_fields_and_draft_places(organisation):
    draft = PlaceFactory(organisation=organisation, status=Place.Status.DRAFT)
    with pytest.raises(ValidationError):
        _correction(draft)
    with pytest.raises(ValidationError):
        _new_place(status="published")


def test_new_place_needs_a_name():
    with pytest.raises(ValidationError) as caught:
        actions.suggestion_submit(kind=Suggestion.Kind.NEW_PLACE, data={"commune": "Lyon"})
    assert "name" in caught.value.message_dict


def test_accept_correction_applies_it_with_the_suggestion_as_source(
    managed_place, registry_admin, django_capture_on_commit_callbacks
):
    suggestion = _correction(managed_place)
    version = managed_place.version
    with django_capture_on_commit_callbacks(execute=True):
        actions.suggestion_accept(
            suggestion=suggestion, user=registry_admin, expected_version=version
        )
    managed_place.refresh_from_db()
    assert managed_place.phone == "04 78 00 00 00"
    assert managed_place.version == version + 1
    change = ChangeRecord.objects.get(place=managed_place, source=f"suggestion:{suggestion.pk}")
    assert change.changes["phone"] == ["", "04 78 00 00 00"]
    assert change.user == registry_admin
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.ACCEPTED
    assert suggestion.reviewer == registry_admin and suggestion.reviewed_at
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["resident@example.org"]
    assert "accepted" in mail.outbox[0].subject


def test_accept_with_overrides_edits_then_applies(managed_place, registry_admin):
    suggestion = _correction(managed_place)
    actions.suggestion_accept(
        suggestion=suggestion, user=registry_admin, data={"phone": "04 78 11 11 11"}
    )
    managed_place.refresh_from_db()
    assert managed_place.phone == "04 78 11 11 11"
    suggestion.refresh_from_db()
    assert suggestion.data == {"phone": "04 78 11 11 11"}


def test_accept_refuses_a_stale_version(managed_place, registry_admin):
    suggestion = _correction(managed_place)
    old = managed_place.version
    actions.place_update(
        place=managed_place, user=registry_admin, expected_version=None, data={"name": "Renamed"}
    )
    with pytest.raises(actions.StaleVersion):
        actions.suggestion_accept(suggestion=suggestion, user=registry_admin, expected_version=old)
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING


def test_accept_new_place_creates_a_draft(organisation, registry_admin):
    suggestion = _new_place(typologies=["repair_cafe"])
    with pytest.raises(ValidationError):
        actions.suggestion_accept(suggestion=suggestion, user=registry_admin)
    actions.suggestion_accept(suggestion=suggestion, user=registry_admin, organisation=organisation)
    place = Place.objects.get(name="Repair café des Pentes")
    assert place.status == Place.Status.DRAFT and place.organisation == organisation
    assert [t.code for t in place.typologies.all()] == ["repair_cafe"]
    assert place.changes.filter(source=f"suggestion:{suggestion.pk}").exists()
    suggestion.refresh_from_db()
    assert suggestion.place == place


def test_reject_needs_a_reason_and_tells_the_submitter(
    managed_place, registry_admin, django_capture_on_commit_callbacks
):
    suggestion = _correction(managed_place)
    with pytest.raises(ValidationError):
        actions.suggestion_reject(suggestion=suggestion, user=registry_admin, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        actions.suggestion_reject(
            suggestion=suggestion, user=registry_admin, reason="The number is right."
        )
    assert suggestion.status == Suggestion.Status.REJECTED
    assert "The number is right." in mail.outbox[0].body
    with pytest.raises(ValidationError):
        actions.suggestion_accept(suggestion=suggestion, user=registry_admin)


def test_no_email_without_an_address(
    managed_place, registry_admin, django_capture_on_commit_callbacks
):
    suggestion = actions.suggestion_submit(
        kind=Suggestion.Kind.CORRECTION, place=managed_place, data={"phone": "01 02 03 04 05"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        actions.suggestion_accept(suggestion=suggestion, user=registry_admin)
    assert mail.outbox == []


# -------------------------------------------------------------------------- staff pages


def test_queue_is_scoped_to_the_organisations(
    admin_client_, outsider_client, managed_place, other_organisation
):
    mine = _correction(managed_place)
    theirs = _correction(PlaceFactory(organisation=other_organisation, name="Ailleurs"))
    html = admin_client_.get(reverse("manage:suggestion_list")).content.decode()
    assert managed_place.name in html and "Ailleurs" not in html
    assert "Suggestions (1 pending)" in html
    detail = reverse("manage:suggestion_detail", args=[theirs.pk])
    assert admin_client_.get(detail).status_code == 404
    assert (
        outsider_client.get(reverse("manage:suggestion_detail", args=[mine.pk])).status_code == 404
    )
    accept = reverse("manage:suggestion_accept", args=[mine.pk])
    assert outsider_client.post(accept).status_code == 404


def test_anonymous_people_go_to_the_login_page(client, managed_place):
    suggestion = _correction(managed_place)
    response = client.get(reverse("manage:suggestion_detail", args=[suggestion.pk]))
    assert response.status_code == 302 and reverse("manage:login") in response["Location"]


def test_list_query_count(admin_client_, managed_place, django_assert_num_queries):
    for phone in ("01 00 00 00 01", "01 00 00 00 02", "01 00 00 00 03"):
        _correction(managed_place, phone=phone)
    admin_client_.get(reverse("manage:suggestion_list"))
    # session, user, memberships (roles_of), nav count, page count, the page of suggestions
    with django_assert_num_queries(6):
        response = admin_client_.get(reverse("manage:suggestion_list"))
    assert response.content.decode().count("manage/suggestions/") >= 3


def test_detail_shows_a_diff(admin_client_, managed_place):
    managed_place.phone = "04 00 00 00 00"
    managed_place.save()
    suggestion = _correction(managed_place, phone="04 78 00 00 00", wheelchair="yes")
    html = admin_client_.get(reverse("manage:suggestion_detail", args=[suggestion.pk])).content
    html = html.decode()
    assert "Current value" in html and "Proposed value" in html
    assert "04 00 00 00 00" in html and "04 78 00 00 00" in html
    assert "Wheelchair access" in html and ">Yes" in html
    assert "The phone number changed." in html


def test_viewer_reads_but_may_not_decide(viewer_client, managed_place):
    suggestion = _correction(managed_place)
    response = viewer_client.get(reverse("manage:suggestion_detail", args=[suggestion.pk]))
    assert response.status_code == 200
    assert "Accept as proposed" not in response.content.decode()
    assert (
        viewer_client.post(reverse("manage:suggestion_accept", args=[suggestion.pk])).status_code
        == 403
    )
    assert (
        viewer_client.post(
            reverse("manage:suggestion_reject", args=[suggestion.pk]), {"reason": "no"}
        ).status_code
        == 403
    )


def test_place_manager_moderates_their_places_only(manager_client, managed_place, organisation):
    mine = _correction(managed_place)
    other = _correction(PlaceFactory(organisation=organisation, name="Voisin"))
    response = manager_client.post(
        reverse("manage:suggestion_accept", args=[mine.pk]),
        {"version": managed_place.version},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == Suggestion.Status.ACCEPTED
    response = manager_client.post(reverse("manage:suggestion_accept", args=[other.pk]))
    assert response.status_code == 403


def test_accept_page_flow(admin_client_, managed_place):
    suggestion = _correction(managed_place)
    response = admin_client_.post(
        reverse("manage:suggestion_accept", args=[suggestion.pk]),
        {"version": managed_place.version},
        follow=True,
    )
    assert "is up to date" in response.content.decode()
    managed_place.refresh_from_db()
    assert managed_place.phone == "04 78 00 00 00"


def test_accept_with_a_stale_version_changes_nothing(admin_client_, managed_place, registry_admin):
    suggestion = _correction(managed_place)
    seen = managed_place.version
    actions.place_update(
        place=managed_place, user=registry_admin, expected_version=None, data={"name": "Autre"}
    )
    response = admin_client_.post(
        reverse("manage:suggestion_accept", args=[suggestion.pk]), {"version": seen}, follow=True
    )
    assert "while you were editing" in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING


def test_edit_then_accept(admin_client_, managed_place):
    suggestion = _correction(managed_place)
    url = reverse("manage:suggestion_edit", args=[suggestion.pk])
    html = admin_client_.get(url).content.decode()
    assert 'value="04 78 00 00 00"' in html
    response = admin_client_.post(url, {"phone": "", "version": managed_place.version})
    assert response.status_code == 302
    response = admin_client_.post(
        reverse("manage:suggestion_edit", args=[_correction(managed_place).pk]),
        {"phone": "04 78 22 22 22", "version": managed_place.version + 1},
    )
    assert response.status_code == 302
    managed_place.refresh_from_db()
    assert managed_place.phone == "04 78 22 22 22"


def test_edit_shows_action_errors_next_to_the_field(admin_client_, managed_place):
    suggestion = _new_place()
    url = reverse("manage:suggestion_edit", args=[suggestion.pk])
    response = admin_client_.post(url, {"name": "", "organisation": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_name_errors"' in html and 'aria-describedby="id_name_errors"' in html


def test_new_place_accept_needs_an_organisation_and_admins(
    admin_client_, manager_client, organisation
):
    suggestion = _new_place()
    url = reverse("manage:suggestion_accept", args=[suggestion.pk])
    assert manager_client.post(url, {"organisation": organisation.pk}).status_code == 403
    # Without a typology the place cannot be created: the moderator edits, then accepts.
    response = admin_client_.post(url, {"organisation": organisation.pk}, follow=True)
    assert "Choose at least one typology." in response.content.decode()
    edit = reverse("manage:suggestion_edit", args=[suggestion.pk])
    response = admin_client_.post(
        edit, {"name": "Repair café des Pentes", "typologies": ["repair_cafe"], "organisation": ""}
    )
    assert response.status_code == 400
    admin_client_.post(
        edit,
        {
            "name": "Repair café des Pentes",
            "typologies": ["repair_cafe"],
            "organisation": organisation.pk,
        },
    )
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.ACCEPTED
    assert suggestion.place.organisation == organisation


def test_reject_page_needs_a_reason(admin_client_, managed_place):
    suggestion = _correction(managed_place)
    url = reverse("manage:suggestion_reject", args=[suggestion.pk])
    response = admin_client_.post(url, {"reason": ""})
    assert response.status_code == 400
    assert 'aria-describedby="id_reason_helptext id_reason_errors"' in response.content.decode()
    response = admin_client_.post(url, {"reason": "Already correct."})
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.REJECTED
    assert suggestion.reason == "Already correct."


def test_superuser_sees_everything(client, managed_place):
    client.force_login(UserFactory(username="root", is_superuser=True))
    suggestion = _correction(managed_place)
    assert client.get(reverse("manage:suggestion_detail", args=[suggestion.pk])).status_code == 200


# ------------------------------------------------------------------ the version on moderation


def test_accepting_a_correction_without_the_place_version_is_refused(admin_client_, managed_place):
    suggestion = _correction(managed_place)
    version = managed_place.version
    response = admin_client_.post(
        reverse("manage:suggestion_accept", args=[suggestion.pk]), {}, follow=True
    )
    assert "does not say which version you started from" in response.content.decode()
    suggestion.refresh_from_db()
    managed_place.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING
    assert managed_place.version == version and managed_place.phone != "04 78 00 00 00"


def test_the_accept_button_carries_the_place_version(admin_client_, managed_place):
    suggestion = _correction(managed_place)
    html = admin_client_.get(reverse("manage:suggestion_detail", args=[suggestion.pk])).content
    assert f'name="version" value="{managed_place.version}"'.encode() in html


def test_a_stale_accept_names_who_changed_what_and_offers_the_new_version(
    admin_client_, managed_place, place_manager
):
    suggestion = _correction(managed_place)
    seen = managed_place.version
    actions.place_update(
        place=managed_place, user=place_manager, expected_version=seen, data={"name": "Leur nom"}
    )
    url = reverse("manage:suggestion_accept", args=[suggestion.pk])
    response = admin_client_.post(url, {"version": seen})
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by manager" in html and "Leur nom" in html  # who, and what
    assert f'name="version" value="{seen + 1}"' in html
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING
    assert admin_client_.post(url, {"version": seen + 1}).status_code == 302
    managed_place.refresh_from_db()
    assert managed_place.name == "Leur nom" and managed_place.phone == "04 78 00 00 00"


def test_editing_a_correction_without_the_place_version_is_refused(admin_client_, managed_place):
    suggestion = _correction(managed_place)
    url = reverse("manage:suggestion_edit", args=[suggestion.pk])
    response = admin_client_.post(url, {"phone": "04 78 33 33 33"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "does not say which version you started from" in html
    assert 'value="04 78 33 33 33"' in html
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING


def test_a_stale_edit_keeps_my_values_and_names_who_changed_what(
    admin_client_, managed_place, place_manager
):
    suggestion = _correction(managed_place)
    seen = managed_place.version
    actions.place_update(
        place=managed_place, user=place_manager, expected_version=seen, data={"name": "Leur nom"}
    )
    url = reverse("manage:suggestion_edit", args=[suggestion.pk])
    response = admin_client_.post(url, {"phone": "04 78 33 33 33", "version": seen})
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by manager" in html and "Leur nom" in html
    assert 'value="04 78 33 33 33"' in html and f'name="version" value="{seen + 1}"' in html
    managed_place.refresh_from_db()
    assert managed_place.phone != "04 78 33 33 33"
    response = admin_client_.post(url, {"phone": "04 78 33 33 33", "version": seen + 1})
    assert response.status_code == 302
    managed_place.refresh_from_db()
    assert managed_place.phone == "04 78 33 33 33" and managed_place.name == "Leur nom"
