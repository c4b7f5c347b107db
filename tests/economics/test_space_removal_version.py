"""Removing a space carries the version the person saw: without it nothing is removed, and
a space changed meanwhile is kept, with the conflict saying who changed what."""

import pytest
from django.urls import reverse

from economics import actions
from economics.models import Space
from places.models import ChangeRecord
from places.versioning import StaleRecord

pytestmark = pytest.mark.django_db


def _urls(place, space):
    return (
        reverse("economics:space_edit", args=[place.public_id, space.pk]),
        reverse("economics:space_delete", args=[place.public_id, space.pk]),
    )


def test_the_remove_button_carries_the_space_version(
    fablab, meeting_room, admin_client_, place_manager
):
    edit, delete = _urls(fablab, meeting_room)
    actions.space_update(
        user=place_manager, space=meeting_room, data={"capacity": 8}, expected_version=1
    )
    html = admin_client_.get(edit).content.decode()
    form = html[html.index(f'action="{delete}"') :]
    assert 'name="version" value="2"' in form[: form.index("</form>")]


def test_the_action_refuses_a_stale_removal(meeting_room, registry_admin, place_manager):
    actions.space_update(
        user=place_manager, space=meeting_room, data={"capacity": 8}, expected_version=1
    )
    with pytest.raises(StaleRecord) as exc:
        actions.space_delete(user=registry_admin, space=meeting_room, expected_version=1)
    assert exc.value.version == 2 and [r.user for r in exc.value.since] == [place_manager]
    assert Space.objects.filter(pk=meeting_room.pk).exists()
    actions.space_delete(user=registry_admin, space=meeting_room, expected_version=2)
    assert not Space.objects.filter(pk=meeting_room.pk).exists()
    removal = ChangeRecord.objects.get(target=f"space:{meeting_room.pk}", action="delete")
    assert removal.user == registry_admin and removal.version == 2


def test_a_removal_without_its_version_is_refused(fablab, meeting_room, admin_client_):
    edit, delete = _urls(fablab, meeting_room)
    response = admin_client_.post(delete, {})
    assert response.status_code == 302 and response["Location"] == edit
    page = admin_client_.get(edit).content.decode()
    assert "does not say which version you started from" in page
    assert Space.objects.filter(pk=meeting_room.pk).exists()
    assert not ChangeRecord.objects.filter(target=f"space:{meeting_room.pk}", action="delete")


def test_removing_a_space_changed_meanwhile_shows_who_changed_what(
    fablab, meeting_room, admin_client_, place_manager
):
    _edit, delete = _urls(fablab, meeting_room)
    actions.space_update(
        user=place_manager, space=meeting_room, data={"name": "Salle Hopper"}, expected_version=1
    )
    response = admin_client_.post(delete, {"version": "1"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "This space was changed by manager" in html and "so it was not removed" in html
    assert "What changed while you were editing" in html
    assert "Salle Ada" in html and "Salle Hopper" in html  # their change, old and new
    assert 'name="version" value="2"' in html  # removing again starts from now
    assert Space.objects.filter(pk=meeting_room.pk).exists()
    response = admin_client_.post(delete, {"version": "2"})
    assert response.status_code == 302
    assert not Space.objects.filter(pk=meeting_room.pk).exists()
