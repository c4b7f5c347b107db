"""The reminder link: a place manager confirms or corrects a place without signing in.
Valid, expired, reused, tampered links; corrections through the domain actions."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse

from places import freshness
from places.models import ChangeRecord, Place, Reminder, Suggestion
from scheduling.models import Schedule
from tests.factories import PlaceFactory


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def reminder(managed_place):
    managed_place.phone = "04 78 00 00 00"
    managed_place.save()
    (result,) = freshness.reminders_send(places=[managed_place])
    return result.reminder


def _path(message) -> str:
    return re.search(r"http://localhost:8000(/verifier/\S+/)", message.body).group(1)


def _form(place, **changes):
    data = {
        "phone": place.phone,
        "email": place.email,
        "website": place.website,
        "opening_hours": "",
        "services_note": "",
        "version": place.version,
    }
    data.update(changes)
    return data


def test_the_emailed_link_opens_the_form(client, reminder):
    path = _path(mail.outbox[0])
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Is the information about “Médiathèque Jean Macé” still true?" in html
    assert 'value="04 78 00 00 00"' in html


def test_confirming_unchanged_facts_marks_the_place_checked(client, reminder, place_manager):
    place = reminder.place
    version = place.version
    response = client.post(_path(mail.outbox[0]), _form(place))
    assert response.status_code == 200
    assert "the information is confirmed" in response.content.decode()
    place.refresh_from_db()
    assert place.verification_method == Place.VerificationMethod.SELF_SERVICE
    assert place.verified_by == place_manager
    assert place.version == version  # nothing changed but the check
    reminder.refresh_from_db()
    assert reminder.used_at is not None


def test_a_corrected_phone_goes_through_the_place_actions(client, reminder, place_manager):
    place = reminder.place
    client.post(_path(mail.outbox[0]), _form(place, phone="04 72 11 22 33"))
    place.refresh_from_db()
    assert place.phone == "04 72 11 22 33"
    change = ChangeRecord.objects.get(place=place, target="place", source=f"reminder:{reminder.pk}")
    assert change.changes["phone"] == ["04 78 00 00 00", "04 72 11 22 33"]
    assert change.user == place_manager


def test_corrected_hours_go_through_the_schedule_actions(client, reminder):
    place = reminder.place
    client.post(_path(mail.outbox[0]), _form(place, opening_hours="Mo-Fr 09:00-12:00"))
    schedule = Schedule.objects.get(place=place)
    assert schedule.osm_source == "Mo-Fr 09:00-12:00"


def test_a_services_note_becomes_a_suggestion_for_staff(client, reminder):
    place = reminder.place
    client.post(_path(mail.outbox[0]), _form(place, services_note="Plus de CAF le mardi."))
    suggestion = Suggestion.objects.get()
    assert (suggestion.place, suggestion.message) == (place, "Plus de CAF le mardi.")


def test_bad_hours_are_shown_next_to_the_field_and_nothing_is_stored(client, reminder):
    place = reminder.place
    response = client.post(
        _path(mail.outbox[0]),
        _form(place, phone="04 72 11 22 33", opening_hours="Mo-Fr 25:00-99:00"),
    )
    assert response.status_code == 400
    assert 'id="id_opening_hours_errors"' in response.content.decode() or (
        "opening_hours" in response.context["form"].errors
    )
    place.refresh_from_db()
    reminder.refresh_from_db()
    assert place.phone == "04 78 00 00 00"
    assert reminder.used_at is None and place.verified_at is None


def test_a_malformed_email_is_refused_next_to_the_field(client, reminder):
    response = client.post(_path(mail.outbox[0]), _form(reminder.place, email="pas-une-adresse"))
    assert response.status_code == 400
    assert "email" in response.context["form"].errors
    reminder.refresh_from_db()
    assert reminder.used_at is None


def test_a_reused_link_says_so_and_offers_a_new_one(client, reminder):
    path = _path(mail.outbox[0])
    client.post(path, _form(reminder.place))
    response = client.get(path)
    assert response.status_code == 410
    html = response.content.decode()
    assert "This link was already used" in html
    assert "Send me a new link" in html
    # Posting the old form again changes nothing either.
    again = client.post(path, _form(reminder.place, phone="01 01 01 01 01"))
    assert again.status_code == 410
    reminder.place.refresh_from_db()
    assert reminder.place.phone == "04 78 00 00 00"


def test_an_expired_link_says_so_and_a_new_one_is_sent_once(client, reminder, settings):
    path = _path(mail.outbox[0])
    later = time.time() + (settings.REMINDER_LINK_DAYS + 1) * 86400
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.get(path)
        assert response.status_code == 410
        assert "This link has expired." in response.content.decode()
        renew = client.post(reverse("directory:verify_renew", args=[path.split("/")[2]]))
    assert renew.status_code == 200
    assert "A new link was sent to manager@example.org." in renew.content.decode()
    assert len(mail.outbox) == 2
    new_path = _path(mail.outbox[1])
    assert new_path != path
    assert client.get(new_path).status_code == 200
    # The old link cannot ask for a third one.
    with mock.patch("django.core.signing.time.time", return_value=later):
        refused = client.post(reverse("directory:verify_renew", args=[path.split("/")[2]]))
    assert refused.status_code == 409
    assert "A new link was already sent" in refused.content.decode()
    assert len(mail.outbox) == 2
    assert Reminder.objects.count() == 2


def test_a_valid_link_needs_no_renewal(client, reminder):
    token = _path(mail.outbox[0]).split("/")[2]
    response = client.post(reverse("directory:verify_renew", args=[token]))
    assert response.status_code == 409
    assert len(mail.outbox) == 1


def test_a_tampered_link_is_not_valid(client, reminder):
    path = _path(mail.outbox[0])
    response = client.get(path[:-3] + "xx/")
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert "Send me a new link" not in response.content.decode()


def test_the_link_of_an_archived_place_is_not_valid(client, reminder):
    Place.objects.filter(pk=reminder.place_id).update(status=Place.Status.ARCHIVED)
    assert client.get(_path(mail.outbox[0])).status_code == 404


def test_residents_see_when_the_information_was_checked(client, organisation):
    place = PlaceFactory(organisation=organisation, name="Fablab des Pentes")
    assert "Information checked on" not in client.get(f"/lieux/{place.slug}/").content.decode()
    freshness.place_verify(place=place, user=None, method="phone")
    html = client.get(f"/lieux/{place.slug}/").content.decode()
    assert "Information checked on" in html
