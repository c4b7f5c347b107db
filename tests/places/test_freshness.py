"""Freshness campaigns: last verified, one-click confirmation, reminders (never twice in a
period, refused addresses not retried), the stale-places dashboard and its bulk reminder."""

from __future__ import annotations

import datetime
import smtplib
from io import StringIO
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from places import freshness
from places.models import BouncedAddress, ChangeRecord, Place, Reminder
from tests.factories import PlaceFactory, UserFactory


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _make_due(place: Place, days_ago: int = 200) -> Place:
    """A place last verified `days_ago` days ago (its due date follows, through save())."""
    place.verified_at = timezone.now() - datetime.timedelta(days=days_ago)
    place.save()
    return place


def _run_reminders() -> str:
    out = StringIO()
    call_command("send_reminders", stdout=out)
    return out.getvalue()


# ---------------------------------------------------------------------------- verifying


def test_a_new_place_falls_due_after_its_frequency(organisation):
    place = PlaceFactory(organisation=organisation)
    assert place.verification_due_on == timezone.localdate() + datetime.timedelta(days=180)


def test_verifying_records_who_and_how_without_moving_the_version(managed_place, place_manager):
    _make_due(managed_place)
    version = managed_place.version
    freshness.place_verify(
        place=managed_place, user=place_manager, method="visit", update_every_days=90
    )
    managed_place.refresh_from_db()
    assert managed_place.verified_by == place_manager
    assert managed_place.verification_method == "visit"
    assert timezone.localdate(managed_place.verified_at) == timezone.localdate()
    assert managed_place.verification_due_on == timezone.localdate() + datetime.timedelta(days=90)
    assert managed_place.version == version
    change = ChangeRecord.objects.get(place=managed_place, target="verification")
    assert change.user == place_manager
    assert change.changes["update_every_days"] == [180, 90]


def test_verifying_refuses_an_unknown_method_or_frequency(managed_place, place_manager):
    with pytest.raises(ValidationError) as exc:
        freshness.place_verify(place=managed_place, user=place_manager, method="guess")
    assert "method" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        freshness.place_verify(
            place=managed_place, user=place_manager, method="phone", update_every_days=2
        )
    assert "update_every_days" in exc.value.message_dict
    managed_place.refresh_from_db()
    assert managed_place.verified_at is None


def test_the_manager_confirms_in_one_click(manager_client, managed_place, place_manager):
    response = manager_client.post(
        reverse("manage:place_verify", args=[managed_place.public_id]), {"method": "phone"}
    )
    assert response.status_code == 302
    managed_place.refresh_from_db()
    assert managed_place.verified_by == place_manager
    assert managed_place.verification_method == "phone"
    page = manager_client.get(managed_place.get_absolute_url()).content.decode()
    assert "Still true: mark as checked today" in page


def test_a_viewer_may_not_confirm(viewer_client, managed_place):
    response = viewer_client.post(
        reverse("manage:place_verify", args=[managed_place.public_id]), {"method": "phone"}
    )
    assert response.status_code == 403
    managed_place.refresh_from_db()
    assert managed_place.verified_at is None


def test_an_outsider_may_not_confirm(outsider_client, managed_place):
    response = outsider_client.post(
        reverse("manage:place_verify", args=[managed_place.public_id]), {"method": "phone"}
    )
    assert response.status_code == 404


def test_a_bad_method_from_the_page_is_reported(admin_client_, managed_place):
    response = admin_client_.post(
        reverse("manage:place_verify", args=[managed_place.public_id]),
        {"method": "telepathy"},
        follow=True,
    )
    assert "Select a valid choice" in response.content.decode()
    managed_place.refresh_from_db()
    assert managed_place.verified_at is None


# ---------------------------------------------------------------------------- reminders


def test_the_command_reminds_the_managers_of_due_places_once(managed_place, place_manager):
    _make_due(managed_place)
    PlaceFactory(organisation=managed_place.organisation).managers.add(place_manager)  # not due
    output = _run_reminders()
    assert "sent: 1" in output
    (message,) = mail.outbox
    assert message.to == ["manager@example.org"]
    assert "Médiathèque Jean Macé" in message.subject
    assert "/verifier/" in message.body
    # The next day's cron run: nothing new for the same period.
    output = _run_reminders()
    assert "already: 1" in output
    assert len(mail.outbox) == 1
    assert Reminder.objects.count() == 1


def test_a_new_period_brings_a_new_reminder(managed_place, place_manager):
    _make_due(managed_place, days_ago=400)
    _run_reminders()
    # Confirmed, then due again one frequency later: a new period.
    _make_due(managed_place, days_ago=200)
    _run_reminders()
    assert len(mail.outbox) == 2
    assert Reminder.objects.values("due_on").distinct().count() == 2


def test_archived_places_are_never_reminded(managed_place):
    _make_due(managed_place)
    Place.objects.filter(pk=managed_place.pk).update(status=Place.Status.ARCHIVED)
    _run_reminders()
    assert mail.outbox == []


def test_without_managers_the_places_own_address_is_used(organisation):
    place = _make_due(PlaceFactory(organisation=organisation, email="accueil@mairie.example"))
    nobody = _make_due(PlaceFactory(organisation=organisation))
    results = {r.place: r for r in freshness.reminders_send(places=[place, nobody])}
    assert results[place].outcome == "sent" and results[place].email == "accueil@mairie.example"
    assert results[nobody].outcome == "no_recipient"


def test_a_refused_address_is_recorded_and_skipped_next_time(managed_place):
    _make_due(managed_place)
    refused = smtplib.SMTPRecipientsRefused({"manager@example.org": (550, b"Mailbox unknown")})
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=refused) as send:
        output = _run_reminders()
        assert "bounced" in output and "550 Mailbox unknown" in output
        reminder = Reminder.objects.get()
        assert reminder.status == Reminder.Status.BOUNCED
        assert BouncedAddress.objects.filter(email="manager@example.org").exists()
        # Another place managed by the same person, due too: not even tried.
        other = _make_due(PlaceFactory(organisation=managed_place.organisation))
        other.managers.add(reminder.recipient)
        (result,) = freshness.reminders_send(places=[other])
        assert result.outcome == "skipped"
        assert send.call_count == 1


def test_a_dry_run_lists_and_sends_nothing(managed_place):
    _make_due(managed_place)
    out = StringIO()
    call_command("send_reminders", "--dry-run", stdout=out)
    assert "Médiathèque Jean Macé" in out.getvalue()
    assert mail.outbox == [] and not Reminder.objects.exists()


# ---------------------------------------------------------------------------- dashboard


def test_the_dashboard_lists_stale_places_oldest_first(admin_client_, organisation):
    old = _make_due(PlaceFactory(organisation=organisation, name="Ancien"), days_ago=400)
    recent = _make_due(PlaceFactory(organisation=organisation, name="Récent"), days_ago=200)
    fresh = PlaceFactory(organisation=organisation, name="Frais")
    response = admin_client_.get(reverse("manage:stale_places"))
    assert list(response.context["page"]) == [old, recent]
    assert fresh not in response.context["page"]
    newest_first = admin_client_.get(reverse("manage:stale_places"), {"sort": "-due"})
    assert list(newest_first.context["page"]) == [recent, old]


def test_the_dashboard_filters_by_window_and_status(admin_client_, organisation):
    soon = _make_due(PlaceFactory(organisation=organisation), days_ago=170)
    draft = _make_due(PlaceFactory(organisation=organisation, status=Place.Status.DRAFT))
    url = reverse("manage:stale_places")
    assert soon not in admin_client_.get(url).context["page"]
    assert soon in admin_client_.get(url, {"within": "30"}).context["page"]
    published_only = admin_client_.get(url, {"status": "published", "within": "30"})
    assert draft not in published_only.context["page"]


def test_outsiders_see_none_of_our_stale_places(outsider_client, managed_place):
    _make_due(managed_place)
    response = outsider_client.get(reverse("manage:stale_places"))
    assert response.status_code == 200
    assert managed_place not in response.context["page"]


@pytest.mark.parametrize("count", [3, 30])
def test_the_dashboard_query_count_does_not_grow(
    admin_client_, organisation, registry_admin, django_assert_num_queries, count
):
    for n in range(count):
        place = _make_due(PlaceFactory(organisation=organisation))
        if n % 2:
            freshness.reminders_send(places=[place])  # a managerless place: no reminder
            place.managers.add(registry_admin)
            freshness.reminders_send(places=[place])
    url = reverse("manage:stale_places")
    # 1 session, 2 user, 3 memberships with their organisations (roles_of, also read by
    # the staff menu), 4 paginator count, 5 the page of places with organisation, verifier
    # and last reminder date, 6 pending suggestions for the navigation link.
    with django_assert_num_queries(6):
        response = admin_client_.get(url)
    assert len(response.context["page"]) == count


def test_bulk_remind_reports_each_place(admin_client_, organisation, place_manager):
    managed = _make_due(PlaceFactory(organisation=organisation, name="Avec gérant"))
    managed.managers.add(place_manager)
    orphan = _make_due(PlaceFactory(organisation=organisation, name="Sans gérant"))
    url = reverse("manage:stale_remind")
    response = admin_client_.post(url, {"place": [managed.public_id, orphan.public_id]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "manager@example.org" in html and "Sent" in html
    assert "No manager with an email address" in html
    assert len(mail.outbox) == 1
    again = admin_client_.post(url, {"place": [managed.public_id]}).content.decode()
    assert "Already reminded in this period" in again
    assert len(mail.outbox) == 1
    assert Reminder.objects.get().sent_by.username == "admin"


def test_bulk_remind_is_for_registry_admins(manager_client, managed_place):
    _make_due(managed_place)
    response = manager_client.post(
        reverse("manage:stale_remind"), {"place": [managed_place.public_id]}
    )
    assert response.status_code == 403
    assert mail.outbox == []


def test_bulk_remind_ignores_another_organisations_places(outsider_client, managed_place):
    _make_due(managed_place)
    response = outsider_client.post(
        reverse("manage:stale_remind"), {"place": [managed_place.public_id]}
    )
    assert response.status_code == 403
    assert mail.outbox == []


def test_bulk_remind_without_a_choice_says_so(admin_client_):
    response = admin_client_.post(reverse("manage:stale_remind"), {}, follow=True)
    assert "Tick at least one place to remind." in response.content.decode()


def test_the_verifier_name_shows_on_the_dashboard(admin_client_, organisation):
    place = _make_due(PlaceFactory(organisation=organisation))
    checker = UserFactory(username="verif")
    Place.objects.filter(pk=place.pk).update(verified_by=checker, verification_method="phone")
    html = admin_client_.get(reverse("manage:stale_places")).content.decode()
    assert "Phone call, verif" in html


def test_a_place_without_a_due_date_counts_as_due(managed_place):
    # As a bulk insert that skipped save() would leave it.
    Place.objects.filter(pk=managed_place.pk).update(verification_due_on=None)
    today = timezone.localdate()
    assert list(freshness.due_places(Place.objects.all(), today=today)) == [managed_place]
    managed_place.refresh_from_db()
    (result,) = freshness.reminders_send(places=[managed_place])
    assert result.outcome == "sent"
    assert result.reminder.due_on == managed_place.compute_verification_due_on()


# ------------------------------------------------------- the frequency on the place form


def test_the_place_form_sets_the_expected_update_frequency(admin_client_, managed_place):
    from tests.places.test_views import _edit_data

    url = reverse("manage:place_edit", args=[managed_place.public_id])
    html = admin_client_.get(url).content.decode()
    assert 'name="update_every_days"' in html
    assert '<option value="180" selected>' in html
    response = admin_client_.post(url, _edit_data(managed_place, update_every_days="30"))
    assert response.status_code == 302
    managed_place.refresh_from_db()
    assert managed_place.update_every_days == 30
    created = timezone.localdate(managed_place.created_at)
    assert managed_place.verification_due_on == created + datetime.timedelta(days=30)
    record = ChangeRecord.objects.filter(place=managed_place, target="place").latest("id")
    assert record.changes["update_every_days"] == [180, 30]
    # a frequency outside the list is refused next to the field, nothing stored
    response = admin_client_.post(url, _edit_data(managed_place, update_every_days="3"))
    assert response.status_code == 400
    assert 'id="id_update_every_days_errors"' in response.content.decode()
    managed_place.refresh_from_db()
    assert managed_place.update_every_days == 30


def test_a_new_place_gets_the_frequency_chosen_on_the_form(admin_client_, organisation):
    from tests.places.test_views import _form_data

    response = admin_client_.post(
        reverse("manage:place_create"),
        _form_data(organisation=str(organisation.pk), name="Atelier vélo", update_every_days="90"),
    )
    assert response.status_code == 302
    place = Place.objects.get(name="Atelier vélo")
    assert place.update_every_days == 90


def test_the_action_refuses_a_frequency_out_of_bounds(managed_place, place_manager):
    from places import actions

    with pytest.raises(ValidationError) as exc:
        actions.place_update(
            place=managed_place,
            user=place_manager,
            expected_version=managed_place.version,
            data={},
            update_every_days=1000,
        )
    assert "update_every_days" in exc.value.message_dict
    managed_place.refresh_from_db()
    assert managed_place.update_every_days == 180 and managed_place.version == 1
