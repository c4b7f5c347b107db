"""The sharing loop's actions: requests checked against sharing times, capacity and uses;
refusals with free alternatives; decisions recorded, emailed, and one winner per slot."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from economics import actions, bookings
from economics.models import SpaceRequest, SpaceUse
from places.models import ChangeRecord
from tests.factories import PlaceFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def next_weekday(weekday: int, weeks_ahead: int = 1) -> datetime.date:
    today = datetime.date.today()
    day = today + datetime.timedelta(days=7 * weeks_ahead)
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def at(day: datetime.date, hh: int, mm: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hh, mm), tzinfo=PARIS)


@pytest.fixture
def maison(organisation, place_manager):
    place = PlaceFactory(
        organisation=organisation, name="Maison des associations", email="maison@example.org"
    )
    place.managers.add(place_manager)
    return place


@pytest.fixture
def room(maison, registry_admin):
    space = actions.space_create(
        user=registry_admin,
        place=maison,
        data={"name": "Salle Louise Michel", "kind": "meeting_room", "capacity": 12},
    )
    actions.sharing_offer_set(
        user=registry_admin,
        space=space,
        rules=[{"kind": "weekly", "days": [1, 3], "times": ["18:00-22:00"]}],
        data={
            "visibility": "public",
            "public_holidays_closed": False,
            "conditions": "Rendre la salle rangée.",
            "contact_email": "salles@example.org",
        },
        expected_version=None,
    )
    return space


def ask(space, start, end, **extra):
    data = {
        "start": start,
        "end": end,
        "people": 8,
        "purpose": "Assemblée générale",
        "name": "Amina Diallo",
        "email": "amina@example.org",
        "association": "Jardins partagés",
        "accept_conditions": True,
        **extra,
    }
    return bookings.request_create(space=space, data=data)


TUESDAY = next_weekday(1)


def test_a_request_is_stored_recorded_and_emailed(
    room, place_manager, registry_admin, django_capture_on_commit_callbacks
):
    place_manager.email = "manager@example.org"
    place_manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        made = ask(room, at(TUESDAY, 19), at(TUESDAY, 21))
    assert made.status == SpaceRequest.Status.PENDING
    record = ChangeRecord.objects.get(target=f"space-request:{made.pk}")
    assert record.changes["status"] == [None, "pending"]
    to = sorted(address for message in mail.outbox for address in message.to)
    assert "amina@example.org" in to and "manager@example.org" in to
    assert "salles@example.org" in to
    requester_mail = next(m for m in mail.outbox if m.to == ["amina@example.org"])
    link = bookings.request_token(made)
    assert link in requester_mail.body
    assert bookings.request_from_token(link) == made
    assert bookings.request_from_token(link + "x") is None


@pytest.mark.parametrize(
    ("start", "end", "extra", "field", "words"),
    [
        (at(TUESDAY, 19) - datetime.timedelta(days=21), None, {}, "start", "passed"),
        (at(TUESDAY, 17), at(TUESDAY, 21), {}, "start", "longer than the sharing slot"),
        (at(TUESDAY, 19), at(TUESDAY, 23), {}, "start", "longer than the sharing slot"),
        (at(TUESDAY + datetime.timedelta(days=1), 19), None, {}, "start", "not shared"),
        (at(TUESDAY, 19), at(TUESDAY, 21), {"people": 13}, "people", "at most 12"),
        (at(TUESDAY, 19), at(TUESDAY, 21), {"email": "amina@"}, "email", "valid email"),
        (
            at(TUESDAY, 19),
            at(TUESDAY, 21),
            {"accept_conditions": False},
            "accept_conditions",
            "accept",
        ),
        (at(TUESDAY, 21), at(TUESDAY, 19), {}, "end", "after the start"),
        (at(TUESDAY, 19), at(TUESDAY, 21), {"purpose": ""}, "purpose", "blank"),
    ],
)
def test_bad_requests_are_refused_with_a_message_and_nothing_stored(
    room, start, end, extra, field, words
):
    end = end or start + datetime.timedelta(hours=2)
    with pytest.raises(ValidationError) as exc:
        ask(room, start, end, **extra)
    assert field in exc.value.message_dict
    assert words in " ".join(exc.value.message_dict[field])
    assert not SpaceRequest.objects.exists()
    assert not ChangeRecord.objects.filter(target__startswith="space-request:").exists()


def test_a_space_without_a_public_offer_takes_no_request(room, registry_admin):
    actions.sharing_offer_set(
        user=registry_admin,
        space=room,
        rules=room.sharing.rules,
        data={"visibility": "staff"},
        expected_version=None,
    )
    with pytest.raises(ValidationError) as exc:
        ask(room, at(TUESDAY, 19), at(TUESDAY, 21))
    assert "space" in exc.value.message_dict


def test_a_double_booking_is_refused_with_free_slots_of_the_same_length(room, registry_admin):
    first = ask(room, at(TUESDAY, 18), at(TUESDAY, 20))
    bookings.request_accept(user=registry_admin, request=first)
    with pytest.raises(bookings.RequestRefused) as exc:
        ask(room, at(TUESDAY, 19), at(TUESDAY, 21), email="other@example.org")
    assert "already booked" in exc.value.message_dict["start"][0]
    found = exc.value.alternatives
    assert found, "free slots are proposed"
    assert all(e - s == datetime.timedelta(hours=2) for s, e in found)
    # The nearest one: the same evening once the accepted use ends.
    assert (at(TUESDAY, 20), at(TUESDAY, 22)) in found
    for s, e in found:
        local = s.astimezone(PARIS)
        assert local.weekday() in (1, 3) and local.hour >= 18 and e.astimezone(PARIS).hour <= 22
    assert SpaceRequest.objects.count() == 1


def test_a_weekly_series_makes_one_use_per_week_and_refuses_a_taken_week(room, registry_admin):
    until = TUESDAY + datetime.timedelta(weeks=3)
    series = ask(room, at(TUESDAY, 18), at(TUESDAY, 20), repeat_until=until)
    bookings.request_accept(user=registry_admin, request=series)
    uses = list(SpaceUse.objects.filter(request=series).order_by("start"))
    assert len(uses) == 4
    assert [u.start.astimezone(PARIS).hour for u in uses] == [18] * 4
    with pytest.raises(bookings.RequestRefused) as exc:
        ask(
            room,
            at(TUESDAY - datetime.timedelta(weeks=1), 19),
            at(TUESDAY - datetime.timedelta(weeks=1), 21),
            repeat_until=until,
        )
    assert "4 of the 5 dates are taken" in exc.value.message_dict["start"][0]


def test_decline_needs_a_reason_and_is_recorded_and_emailed(
    room, place_manager, django_capture_on_commit_callbacks
):
    made = ask(room, at(TUESDAY, 19), at(TUESDAY, 21))
    with pytest.raises(ValidationError) as exc:
        bookings.request_decline(user=place_manager, request=made, reason=" ")
    assert "reason" in exc.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        bookings.request_decline(user=place_manager, request=made, reason="Travaux ce soir-là.")
    made.refresh_from_db()
    assert made.status == "declined" and made.decided_by == place_manager
    record = ChangeRecord.objects.filter(target=f"space-request:{made.pk}").first()
    assert record.changes["status"] == ["pending", "declined"] and record.user == place_manager
    assert any("Travaux ce soir-là." in m.body for m in mail.outbox if m.to == [made.email])
    with pytest.raises(ValidationError):
        bookings.request_accept(user=place_manager, request=made)
    assert not SpaceUse.objects.exists()


def test_a_proposed_time_taken_by_the_requester_books_it(room, place_manager):
    made = ask(room, at(TUESDAY, 19), at(TUESDAY, 21))
    thursday = TUESDAY + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as exc:
        bookings.request_propose(
            user=place_manager, request=made, start=at(thursday, 12), end=at(thursday, 14)
        )
    assert "proposed_start" in exc.value.message_dict
    bookings.request_propose(
        user=place_manager, request=made, start=at(thursday, 19), end=at(thursday, 21)
    )
    made.refresh_from_db()
    assert made.status == "proposed"
    bookings.request_take_proposal(request=made)
    made.refresh_from_db()
    assert made.status == "accepted" and made.start == at(thursday, 19)
    assert SpaceUse.objects.get(request=made).start == at(thursday, 19)


def test_cancelling_an_accepted_request_frees_the_space(room, place_manager):
    made = ask(room, at(TUESDAY, 19), at(TUESDAY, 21))
    bookings.request_accept(user=place_manager, request=made)
    bookings.request_cancel(request=made)
    assert not SpaceUse.objects.exists()
    again = ask(room, at(TUESDAY, 19), at(TUESDAY, 21), email="b@example.org")
    assert again.pk != made.pk


def test_accepting_conflicting_requests_one_after_the_other_keeps_the_first(room, place_manager):
    one = ask(room, at(TUESDAY, 18), at(TUESDAY, 20))
    two = ask(room, at(TUESDAY, 19), at(TUESDAY, 21), email="two@example.org")
    bookings.request_accept(user=place_manager, request=one)
    with pytest.raises(ValidationError) as exc:
        bookings.request_accept(user=place_manager, request=two)
    assert "already booked" in exc.value.messages[0]
    two.refresh_from_db()
    assert two.status == "pending"
    assert SpaceUse.objects.count() == 1


def test_ics_of_a_request_lists_its_uses(room, place_manager):
    made = ask(
        room, at(TUESDAY, 18), at(TUESDAY, 20), repeat_until=TUESDAY + datetime.timedelta(weeks=1)
    )
    bookings.request_accept(user=place_manager, request=made)
    body = bookings.ics(bookings.uses_for_ics(request=made), name="x").decode()
    assert body.count("BEGIN:VEVENT") == 2
    assert "Jardins partagés" in body


def test_accepted_uses_count_in_occupancy_as_booked_of_shared_hours(room, place_manager):
    from economics.models import OccupancyMonth
    from economics.occupancy import next_month, report

    made = ask(room, at(TUESDAY, 18), at(TUESDAY, 21))
    month = TUESDAY.replace(day=1)
    before = report(room.place, month, next_month(month))
    assert before.booked_hours == 0 and before.shared_hours > 0
    bookings.request_accept(user=place_manager, request=made)
    after = report(room.place, month, next_month(month))
    assert after.booked_hours == 3
    assert after.shared_hours == before.shared_hours
    stored = OccupancyMonth.objects.get(place=room.place, month=month)
    assert stored.booked_hours == 3 and stored.shared_hours == after.shared_hours
    bookings.request_cancel(request=made)
    assert not OccupancyMonth.objects.filter(place=room.place, month=month).exists()


def test_spare_times_are_the_sharing_times_minus_the_accepted_uses(room, place_manager):
    from economics.selectors import spare_times

    # A month wholly in the future.
    first = (datetime.date.today().replace(day=1) + datetime.timedelta(days=62)).replace(day=1)
    spare = spare_times(room.sharing, today=first)
    assert {(s["weekday"], s["part"]) for s in spare["slots"]} == {(1, "evening"), (3, "evening")}
    assert spare["text"] == "Free on Tuesday and Thursday evenings until the end of the month."
    assert spare["booked_hours"] == 0
    # Every Thursday evening of the month booked: only Tuesdays stay free.
    days = [first + datetime.timedelta(days=i) for i in range(31)]
    thursdays = [d for d in days if d.weekday() == 3 and d.month == first.month]
    for day in thursdays:
        made = ask(room, at(day, 18), at(day, 22), email=f"t{day.day}@example.org")
        bookings.request_accept(user=place_manager, request=made)
    spare = spare_times(room.sharing, today=first)
    assert {(s["weekday"], s["part"]) for s in spare["slots"]} == {(1, "evening")}
    assert spare["booked_hours"] == 4 * len(thursdays)
    assert spare["text"] == "Free on Tuesday evenings until the end of the month."
