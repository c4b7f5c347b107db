"""The sharing offer of a space joins the one optimistic lock: its form carries the version
it started from (0 before the space has an offer); a form without it changes nothing; a
conflict names who changed what and keeps the person's input."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from economics import actions
from economics.models import SharingOffer
from places.models import ChangeRecord
from places.versioning import StaleRecord

pytestmark = pytest.mark.django_db

RULES = [{"kind": "weekly", "days": [1, 3], "times": ["18:00-22:00"]}]


def _url(place, space):
    return reverse("economics:sharing_edit", args=[place.public_id, space.pk])


def _mine(**extra):
    return {
        "days": ["1", "3"],
        "times": "18:00-22:00",
        "terms": "per_hour",
        "price": "15,50",
        "conditions": "Bring your own cables.",
        "visibility": "public",
        "active": "on",
        **extra,
    }


def test_the_action_checks_the_version_and_bumps_it(meeting_room, registry_admin, place_manager):
    offer = actions.sharing_offer_set(
        user=registry_admin, space=meeting_room, rules=RULES, expected_version=0
    )
    assert offer.version == 1
    offer = actions.sharing_offer_set(
        user=place_manager,
        space=meeting_room,
        rules=RULES,
        data={"conditions": "Keys at the desk."},
        expected_version=1,
    )
    assert offer.version == 2
    with pytest.raises(StaleRecord) as exc:
        actions.sharing_offer_set(
            user=registry_admin,
            space=meeting_room,
            rules=RULES,
            data={"conditions": "Mine."},
            expected_version=1,
        )
    assert exc.value.code == "stale_version" and exc.value.version == 2
    assert [r.user for r in exc.value.since] == [place_manager]
    # a second "first" offer is a conflict too, not a crash on the one-to-one
    with pytest.raises(StaleRecord):
        actions.sharing_offer_set(
            user=registry_admin, space=meeting_room, rules=RULES, expected_version=0
        )
    # saving the same values again changes nothing and keeps the version
    same = actions.sharing_offer_set(
        user=place_manager,
        space=meeting_room,
        rules=RULES,
        data={"conditions": "Keys at the desk."},
        expected_version=2,
    )
    assert same.version == 2
    assert SharingOffer.objects.get().conditions == "Keys at the desk."


def test_the_form_starts_from_version_0_then_the_offer_version(fablab, meeting_room, admin_client_):
    assert (
        'name="version" value="0"' in admin_client_.get(_url(fablab, meeting_room)).content.decode()
    )
    assert admin_client_.post(_url(fablab, meeting_room), _mine(version="0")).status_code == 302
    offer = SharingOffer.objects.get()
    assert offer.version == 1 and offer.price == D("15.50")
    html = admin_client_.get(_url(fablab, meeting_room)).content.decode()
    assert 'name="version" value="1"' in html


def test_a_sharing_form_without_its_version_is_refused(fablab, meeting_room, admin_client_):
    response = admin_client_.post(_url(fablab, meeting_room), _mine())
    assert response.status_code == 400
    html = response.content.decode()
    assert "does not say which version you started from" in html
    assert "Bring your own cables." in html  # the input is kept
    assert not SharingOffer.objects.exists()


def test_a_sharing_conflict_names_the_colleague_and_keeps_my_input(
    fablab, meeting_room, admin_client_, place_manager
):
    actions.sharing_offer_set(
        user=place_manager,
        space=meeting_room,
        rules=RULES,
        data={"terms": "free", "conditions": "Theirs."},
        expected_version=0,
    )
    response = admin_client_.post(_url(fablab, meeting_room), _mine(version="0"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "This sharing offer was changed by manager" in html
    assert "Theirs." in html  # what they changed, in the conflict table
    assert "Bring your own cables." in html and 'name="version" value="1"' in html
    offer = SharingOffer.objects.get()
    assert offer.conditions == "Theirs." and offer.version == 1
    # saving again from the version shown applies mine
    response = admin_client_.post(_url(fablab, meeting_room), _mine(version="1"))
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.conditions == "Bring your own cables." and offer.version == 2
    records = ChangeRecord.objects.filter(target=f"sharing:{meeting_room.pk}").order_by("id")
    assert [r.version for r in records] == [1, 2]
