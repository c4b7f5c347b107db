"""One optimistic-lock mechanism: every staff edit form carries the version it started
from; a form without it is refused and changes nothing; a conflict names who changed what."""

import pytest
from django.urls import reverse

from places import actions
from places.versioning import StaleRecord
from scheduling.actions import StaleSchedule
from services.actions import StaleOffer
from tests.places.test_views import _edit_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_the_three_old_conflict_names_are_one_error_type():
    assert actions.StaleVersion is StaleOffer is StaleSchedule is StaleRecord


def test_place_form_without_a_version_is_refused_and_changes_nothing(admin_client_, managed_place):
    url = reverse("manage:place_edit", args=[managed_place.public_id])
    data = _edit_data(managed_place, phone="04 00 00 00 09")
    data.pop("version")
    response = admin_client_.post(url, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "does not say which version you started from" in html
    assert 'value="04 00 00 00 09"' in html  # the input is kept
    managed_place.refresh_from_db()
    assert managed_place.phone != "04 00 00 00 09" and managed_place.version == 1


def test_place_form_with_a_bad_version_is_refused(admin_client_, managed_place):
    url = reverse("manage:place_edit", args=[managed_place.public_id])
    response = admin_client_.post(url, _edit_data(managed_place, version="abc"))
    assert response.status_code == 400
    managed_place.refresh_from_db()
    assert managed_place.version == 1


def test_publish_without_a_version_is_refused(admin_client_, managed_place):
    url = reverse("manage:place_publish", args=[managed_place.public_id])
    status = managed_place.status
    response = admin_client_.post(url, {}, follow=True)
    assert "does not say which version you started from" in response.content.decode()
    managed_place.refresh_from_db()
    assert managed_place.status == status and managed_place.version == 1


def test_a_conflict_names_the_colleague_and_the_field(admin_client_, managed_place, place_manager):
    url = reverse("manage:place_edit", args=[managed_place.public_id])
    mine = _edit_data(managed_place, phone="04 00 00 00 01")
    actions.place_update(
        place=managed_place, user=place_manager, expected_version=1, data={"name": "Leur nom"}
    )
    response = admin_client_.post(url, mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by manager" in html and "Leur nom" in html
    assert 'value="04 00 00 00 01"' in html
    managed_place.refresh_from_db()
    assert managed_place.name == "Leur nom" and managed_place.phone != "04 00 00 00 01"
