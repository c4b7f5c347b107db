"""The sharing loop through its pages and the API: the public form and signed link, the
managers' list and decisions, accepted uses blocking "free at" searches and in .ics."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from economics import actions, bookings
from economics.models import SpaceRequest, SpaceUse
from tests.economics.test_bookings import TUESDAY, ask, at, maison, room  # noqa: F401
from tests.factories import PlaceFactory


def form(day=TUESDAY, start="19:00", end="21:00", **extra):
    return {
        "date": day.isoformat(),
        "start_time": start,
        "end_time": end,
        "people": "8",
        "purpose": "Répétition de la chorale",
        "name": "Amina Diallo",
        "email": "amina@example.org",
        "association": "Chorale du quartier",
        "accept_conditions": "on",
        **extra,
    }


def url(space):
    return reverse("directory:space", args=[space.pk])


def test_space_page_shows_the_offer_contacts_and_the_form(client, room):  # noqa: F811
    response = client.get(url(room))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Salle Louise Michel" in html and 'name="purpose"' in html
    assert 'href="mailto:salles@example.org"' in html
    assert "Rendre la salle rangée." in html
    assert "Still free this month" not in html  # the place did not opt in


def test_a_request_from_the_page_is_stored_and_followed_with_the_emailed_link(
    client,
    room,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(room), form())
    assert response.status_code == 302
    made = SpaceRequest.objects.get()
    assert made.people == 8 and made.start == at(TUESDAY, 19)
    message = next(m for m in mail.outbox if m.to == ["amina@example.org"])
    link = re.search(r"http://\S+/espaces/demandes/\S+/", message.body).group(0)
    path = link.split("testserver", 1)[-1].split("localhost:8000", 1)[-1]
    page = client.get(path)
    assert page.status_code == 200
    assert "Waiting for the place" in page.content.decode()
    assert client.post(path, {"action": "cancel"}).status_code == 302
    made.refresh_from_db()
    assert made.status == "cancelled"
    assert client.get("/espaces/demandes/forged:token/").status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (form(day=TUESDAY - datetime.timedelta(days=21)), "date", "passed"),
        (form(start="17:00"), "date", "longer than the sharing slot"),
        (form(people="40"), "people", "at most 12"),
        (form(email="amina@"), "email", "valid email"),
        (form(end="18:00"), "end_time", "after the start"),
        (form(date="mardi"), "date", "valid date"),
        (form(date="0001-01-01"), "date", "between 2000 and 2100"),
        (form(day=datetime.date(9999, 12, 31), end="00:00"), "date", "between 2000 and 2100"),
        (form(repeat_until="9999-12-31"), "repeat_until", "between 2000 and 2100"),
        ({**form(), "accept_conditions": ""}, "accept_conditions", "accept the conditions"),
    ],
)
def test_bad_input_on_the_page_keeps_the_input_and_stores_nothing(
    client,
    room,  # noqa: F811
    data,
    field,
    words,
):
    response = client.post(url(room), data)
    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(rf'id="id_{field}_errors"[^>]*>(.*?)</', html, re.S)
    assert errors and words in errors.group(1), html[:0]
    assert 'value="Amina Diallo"' in html  # the input is kept
    assert not SpaceRequest.objects.exists()


def test_an_overlap_on_the_page_proposes_free_times(client, room, place_manager):  # noqa: F811
    bookings.request_accept(user=place_manager, request=ask(room, at(TUESDAY, 18), at(TUESDAY, 20)))
    response = client.post(url(room), form(email="b@example.org"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "already booked" in html and "Free times of the same length nearby" in html
    assert "20:00–22:00" in html
    assert SpaceRequest.objects.count() == 1


def test_flooding_is_refused_by_the_suggestion_limit(client, room, settings):  # noqa: F811
    settings.SUGGESTION_RATE_LIMIT = (1, 3600)
    assert client.post(url(room), form()).status_code == 302
    response = client.post(url(room), form(email="c@example.org"))
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert SpaceRequest.objects.count() == 1


def test_a_space_not_shared_publicly_has_no_page(client, room, registry_admin):  # noqa: F811
    actions.sharing_offer_set(
        user=registry_admin,
        space=room,
        rules=room.sharing.rules,
        data={"visibility": "staff"},
        expected_version=None,
    )
    assert client.get(url(room)).status_code == 404


# -- managers -------------------------------------------------------------------------


def test_managers_list_pending_requests_in_a_constant_number_of_queries(
    manager_client,
    room,  # noqa: F811
    registry_admin,
    organisation,
):
    ask(room, at(TUESDAY, 18), at(TUESDAY, 19))
    with CaptureQueriesContext(connection) as one:
        response = manager_client.get(reverse("economics:space_requests"))
    assert response.status_code == 200 and "Amina Diallo" in response.content.decode()
    other_place = PlaceFactory(organisation=organisation, name="Autre")
    other_place.managers.add(*room.place.managers.all())
    for hour in (19, 20):
        ask(room, at(TUESDAY, hour), at(TUESDAY, hour + 1), email=f"x{hour}@example.org")
    second = actions.space_create(
        user=registry_admin,
        place=other_place,
        data={"name": "Atelier", "kind": "workshop", "capacity": 9},
    )
    actions.sharing_offer_set(
        user=registry_admin,
        space=second,
        rules=[{"kind": "weekly", "days": [1], "times": ["18:00-22:00"]}],
        data={"visibility": "public", "public_holidays_closed": False},
        expected_version=None,
    )
    ask(second, at(TUESDAY, 18), at(TUESDAY, 20), accept_conditions=False)
    booked = ask(second, at(TUESDAY, 20), at(TUESDAY, 22), email="y@example.org")
    bookings.request_accept(user=registry_admin, request=booked)
    with CaptureQueriesContext(connection) as four:
        response = manager_client.get(reverse("economics:space_requests"))
    html = response.content.decode()
    assert html.count("Decide</a>") == 4
    assert "20:00–22:00 · Atelier (Autre)" in html  # the coming uses, day by day
    assert len(four) == len(one)
    only = manager_client.get(
        reverse("economics:space_requests"), {"place": str(other_place.public_id)}
    )
    assert only.content.decode().count("Decide</a>") == 1


def test_a_manager_cancels_an_accepted_use(
    manager_client,
    room,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    made = ask(room, at(TUESDAY, 19), at(TUESDAY, 21))
    page = reverse("economics:space_request", args=[made.pk])
    manager_client.post(page, {"action": "accept"})
    assert SpaceUse.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert manager_client.post(page, {"action": "cancel"}).status_code == 302
    made.refresh_from_db()
    assert made.status == "cancelled" and not SpaceUse.objects.exists()
    assert any("cancelled" in m.body for m in mail.outbox if m.to == ["amina@example.org"])


def test_outsiders_and_viewers_cannot_decide(
    outsider_client,
    viewer_client,
    room,  # noqa: F811
):
    made = ask(room, at(TUESDAY, 19), at(TUESDAY, 21))
    page = reverse("economics:space_request", args=[made.pk])
    assert outsider_client.get(page).status_code == 404
    assert "Amina" not in outsider_client.get(reverse("economics:space_requests")).content.decode()
    assert viewer_client.post(page, {"action": "accept"}).status_code == 403
    made.refresh_from_db()
    assert made.status == "pending"


def test_accepting_books_the_space_in_searches_ics_and_history(
    manager_client,
    client,
    room,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    made = ask(room, at(TUESDAY, 19), at(TUESDAY, 21))
    search = {"day": TUESDAY.isoformat(), "time": "20:00"}
    assert (
        "Salle Louise Michel"
        in client.get(reverse("directory:shared_spaces"), search).content.decode()
    )
    api = client.get("/api/v1/shared-spaces/", search).json()
    assert [r["name"] for r in api["results"]] == ["Salle Louise Michel"]
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            reverse("economics:space_request", args=[made.pk]), {"action": "accept"}
        )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.status == "accepted"
    assert any("accepted" in m.body for m in mail.outbox if m.to == ["amina@example.org"])
    html = client.get(reverse("directory:shared_spaces"), search).content.decode()
    assert "Salle Louise Michel" not in html
    assert client.get("/api/v1/shared-spaces/", search).json()["results"] == []
    # Still free before the use starts.
    earlier = client.get("/api/v1/shared-spaces/", {**search, "time": "18:30"}).json()
    assert len(earlier["results"]) == 1
    token = bookings.request_token(made)
    ics = client.get(reverse("directory:space_request_ics", args=[token])).content.decode()
    assert ics.count("BEGIN:VEVENT") == 1
    staff_ics = manager_client.get(reverse("economics:space_uses_ics")).content.decode()
    assert "Chorale" not in staff_ics and "Jardins partagés" in staff_ics
    detail = manager_client.get(reverse("economics:space_request", args=[made.pk]))
    assert "pending → accepted" in detail.content.decode()


def test_decline_without_a_reason_is_refused_on_the_page(manager_client, room):  # noqa: F811
    made = ask(room, at(TUESDAY, 19), at(TUESDAY, 21))
    response = manager_client.post(
        reverse("economics:space_request", args=[made.pk]), {"action": "decline", "reason": ""}
    )
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    made.refresh_from_db()
    assert made.status == "pending"


# -- API ------------------------------------------------------------------------------


def api_body(**extra):
    return {
        "start": f"{TUESDAY.isoformat()}T19:00",
        "end": f"{TUESDAY.isoformat()}T21:00",
        "people": 5,
        "purpose": "Atelier vélo",
        "name": "Léo Martin",
        "email": "leo@example.org",
        "accept_conditions": True,
        **extra,
    }


def test_api_anonymous_request_and_reading_it_back_with_its_token(client, room):  # noqa: F811
    response = client.post(
        f"/api/v1/shared-spaces/{room.pk}/requests/", api_body(), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["start"].startswith(f"{TUESDAY}T19:00")
    read = client.get(f"/api/v1/space-requests/{body['token']}/")
    assert read.status_code == 200 and read.json()["id"] == body["id"]
    assert client.get("/api/v1/space-requests/nope/").status_code == 404


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"start": "2020-01-07T19:00", "end": "2020-01-07T21:00"}, "start"),
        ({"people": 99}, "people"),
        ({"email": "leo"}, "email"),
        ({"start": "tomorrow"}, "start"),
        ({"start": "0001-01-01T00:00", "end": "0001-01-01T02:00"}, "start"),
        ({"end": "9999-12-31T23:00"}, "end"),
        ({"repeat_until": "2099-01-01"}, "repeat_until"),
        ({"end": f"{TUESDAY.isoformat()}T23:30"}, "start"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field(client, room, extra, field):  # noqa: F811
    response = client.post(
        f"/api/v1/shared-spaces/{room.pk}/requests/",
        api_body(**extra),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not SpaceRequest.objects.exists()


def test_api_overlap_gives_alternatives_and_flooding_a_429(
    client,
    room,  # noqa: F811
    place_manager,
    settings,
):
    bookings.request_accept(user=place_manager, request=ask(room, at(TUESDAY, 18), at(TUESDAY, 20)))
    response = client.post(
        f"/api/v1/shared-spaces/{room.pk}/requests/", api_body(), content_type="application/json"
    )
    assert response.status_code == 400
    alternatives = response.json()["error"]["alternatives"]
    assert {
        "start": at(TUESDAY, 20).isoformat(),
        "end": at(TUESDAY, 22).isoformat(),
    } in alternatives
    settings.SUGGESTION_RATE_LIMIT = (1, 3600)
    response = client.post(
        f"/api/v1/shared-spaces/{room.pk}/requests/",
        api_body(start=f"{TUESDAY}T20:00", end=f"{TUESDAY}T22:00"),
        content_type="application/json",
    )
    assert response.status_code == 429
    assert SpaceUse.objects.count() == 1 and SpaceRequest.objects.count() == 1


def test_spare_times_are_public_only_where_the_place_opts_in(
    client,
    room,  # noqa: F811
    registry_admin,
):
    assert client.get("/api/v1/shared-spaces/").json()["results"][0]["spare"] is None
    actions.sharing_offer_set(
        user=registry_admin,
        space=room,
        rules=room.sharing.rules,
        data={
            "visibility": "public",
            "public_holidays_closed": False,
            "conditions": "Rendre la salle rangée.",
            "show_spare": True,
        },
        expected_version=None,
    )
    html = client.get(url(room)).content.decode()
    assert "Still free this month" in html
    spare = client.get("/api/v1/shared-spaces/").json()["results"][0]["spare"]
    assert spare["shared_hours"] >= spare["free_hours"] and spare["text"]


# -- the listing ----------------------------------------------------------------------


def test_the_listing_pages_keep_the_filters_and_link_contacts(client, maison, registry_admin):  # noqa: F811
    for n in range(23):
        space = actions.space_create(
            user=registry_admin,
            place=maison,
            data={"name": f"Bureau {n:02d}", "kind": "desk", "capacity": 2},
        )
        actions.sharing_offer_set(
            user=registry_admin,
            space=space,
            rules=[{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-18:00"]}],
            data={"visibility": "public", "contact_phone": "04 72 00 00 00"},
            expected_version=None,
        )
    listing = reverse("directory:shared_spaces")
    first = client.get(listing, {"kind": "desk", "capacity": "2"}).content.decode()
    assert "23 spaces" in first and first.count('class="space-card"') == 20
    assert 'href="?kind=desk&amp;capacity=2&amp;page=2"' in first
    assert 'href="tel:0472000000"' in first and 'href="mailto:maison@example.org"' in first
    second = client.get(listing, {"kind": "desk", "capacity": "2", "page": "2"}).content.decode()
    assert second.count('class="space-card"') == 3 and "Bureau 22" in second
    beyond = client.get(listing, {"kind": "desk", "page": "9"}).content.decode()
    assert "Page 9 does not exist" in beyond and "Bureau 22" in beyond
    assert client.get(listing, {"page": "abc"}).status_code == 200
    # The map's markers: one per place, listing the page's spaces there.
    assert '<script id="spaces-markers" type="application/json">' in first
    assert first.count('"url": "/espaces/') == 20


def test_the_request_form_and_its_refusal_speak_french(client, room, settings):  # noqa: F811
    settings.LANGUAGE_CODE = "fr"
    page = client.get(url(room)).content.decode()
    assert "Envoyer la demande" in page and "Nombre de personnes" in page
    refused = client.post(url(room), form(people="40")).content.decode()
    assert "Cet espace accueille au plus 12" in refused


@pytest.mark.parametrize("pk", ["3148147847912624226304", "9223372036854775808", "0"])
def test_an_id_beyond_any_key_names_no_space(client, pk):
    # Digits a database key cannot hold answer 404, on the page and in the API (not a 500).
    assert client.get(f"/espaces/{pk}/").status_code == 404
    response = client.post(
        f"/api/v1/shared-spaces/{pk}/requests/", {}, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


TOMORROW = datetime.date.today() + datetime.timedelta(days=1)


def test_the_api_list_reads_the_free_times_of_many_spaces_in_constant_queries(
    client,
    maison,  # noqa: F811
    registry_admin,
):
    def share(n):
        space = actions.space_create(
            user=registry_admin,
            place=maison,
            data={"name": f"Salle {n}", "kind": "meeting_room", "capacity": 10},
        )
        actions.sharing_offer_set(
            user=registry_admin,
            space=space,
            rules=[{"kind": "weekly", "days": [0, 1, 2, 3, 4, 5, 6], "times": ["08:00-22:00"]}],
            data={"visibility": "public", "public_holidays_closed": False, "show_spare": True},
            expected_version=None,
        )
        made = ask(space, at(TOMORROW, 10), at(TOMORROW, 12))
        bookings.request_accept(user=registry_admin, request=made)
        return space

    share(0)
    with CaptureQueriesContext(connection) as one:
        first = client.get("/api/v1/shared-spaces/").json()["results"]
    for n in range(1, 4):
        share(n)
    with CaptureQueriesContext(connection) as four:
        results = client.get("/api/v1/shared-spaces/").json()["results"]
    assert len(first) == 1 and len(results) == 4
    assert len(four) == len(one), [q["sql"][:90] for q in four.captured_queries]
    # Each space's accepted use is taken off its own free hours only (none when tomorrow
    # is already next month, outside the window).
    booked = 2.0 if TOMORROW.month == datetime.date.today().month else 0
    for item in results:
        spare = item["spare"]
        assert spare["booked_hours"] == booked
        assert round(spare["shared_hours"] - spare["free_hours"], 2) == booked


def test_the_pending_requests_come_in_pages(manager_client, room, monkeypatch):  # noqa: F811
    from economics import request_views

    monkeypatch.setattr(request_views, "REQUESTS_PER_PAGE", 2)
    for hour in (18, 19, 20):
        ask(room, at(TUESDAY, hour), at(TUESDAY, hour + 1), email=f"p{hour}@example.org")
    listing = reverse("economics:space_requests")
    first = manager_client.get(listing, {"place": str(room.place.public_id)}).content.decode()
    assert first.count("Decide</a>") == 2 and "Waiting for an answer (3)" in first
    assert f'href="?place={room.place.public_id}&amp;page=2"' in first
    second = manager_client.get(listing, {"place": str(room.place.public_id), "page": "2"})
    assert second.content.decode().count("Decide</a>") == 1
    # A page that does not exist shows the last one; a word shows the first.
    assert manager_client.get(listing, {"page": "99"}).content.decode().count("Decide</a>") == 1
    assert manager_client.get(listing, {"page": "deux"}).content.decode().count("Decide</a>") == 2


def test_the_managers_calendar_shows_uses_and_waiting_requests_by_day(
    manager_client,
    room,  # noqa: F811
    registry_admin,
):
    booked = ask(room, at(TUESDAY, 18), at(TUESDAY, 20), email="b@example.org")
    bookings.request_accept(user=registry_admin, request=booked)
    ask(room, at(TUESDAY, 20), at(TUESDAY, 22), email="w@example.org")
    html = manager_client.get(
        reverse("economics:space_requests"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    calendar = html.split('class="space-calendar"', 1)[1].split("</table>", 1)[0]
    assert calendar.count("<td") == 28
    cell = calendar.split(f"{TUESDAY.day} {TUESDAY:%b}", 1)[1].split("</td>", 1)[0]
    assert "18:00–20:00" in cell and "20:00–22:00" in cell
    assert cell.index("18:00–20:00") < cell.index("20:00–22:00")
    assert cell.count('class="pending"') == 1 and "waiting" in cell
