"""Sign-in, password reset, invitations and suggestions are limited (places.ratelimits):
per account and per address, with messages that do not tell whether an account exists,
and one suggestion limit for the residents' form and the API."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from places.models import Membership, Suggestion
from tests.conftest import PASSWORD
from tests.factories import PlaceFactory

pytestmark = pytest.mark.django_db

LOGIN = "/manage/login/"
RESET = "/manage/password-reset/"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _login(client, username, password, ip="198.51.100.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_it_locks_an_account_after_five_failures_even_with_the_right_password(place_manager):
    client = Client()
    for _ in range(5):
        assert _login(client, "manager", "wrong").status_code == 200
    response = _login(client, "manager", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts to log in" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # From another address too: the account itself is locked.
    assert _login(Client(), "manager", PASSWORD, ip="198.51.100.8").status_code == 429


def test_the_lockout_reads_the_same_for_an_unknown_account(place_manager):
    answers = []
    for username in ("manager", "nobody-here"):
        client = Client()
        for _ in range(5):
            _login(client, username, "wrong", ip=f"203.0.113.{len(answers) + 1}")
        response = _login(client, username, "wrong", ip=f"203.0.113.{len(answers) + 1}")
        body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
        answers.append((response.status_code, body[body.index("<main") :].replace(username, "X")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 429


def test_a_success_clears_the_account_count(place_manager):
    client = Client()
    for _ in range(4):
        _login(client, "manager", "wrong")
    assert _login(client, "manager", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "manager", "wrong")
    assert _login(client, "manager", PASSWORD).status_code == 302


def test_it_locks_an_address_that_tries_many_accounts(place_manager, settings):
    settings.RATE_LIMITS = {"login-address": (3, 900)}
    client = Client()
    for name in ("a", "b", "c"):
        _login(client, name, "wrong", ip="192.0.2.50")
    assert _login(client, "manager", PASSWORD, ip="192.0.2.50").status_code == 429
    assert _login(Client(), "manager", PASSWORD, ip="192.0.2.51").status_code == 302


def test_password_reset_is_limited_whether_the_account_exists_or_not(place_manager):
    place_manager.email = "manager@example.org"
    place_manager.save()
    for email in ("manager@example.org", "nobody@example.org"):
        codes = [
            Client().post(RESET, {"email": email}, REMOTE_ADDR="192.0.2.9").status_code
            for _ in range(4)
        ]
        assert codes == [302, 302, 302, 429], email
    assert len(mail.outbox) == 3
    response = Client().post(RESET, {"email": "manager@example.org"}, REMOTE_ADDR="192.0.2.10")
    assert "Too many reset requests" in response.content.decode()


def test_password_reset_is_limited_per_address(settings):
    settings.RATE_LIMITS = {"password-reset-address": (2, 3600)}
    codes = [
        Client().post(RESET, {"email": f"p{n}@example.org"}, REMOTE_ADDR="192.0.2.11").status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]


def test_invitations_are_limited_per_sender(admin_client_, organisation, settings):
    settings.RATE_LIMITS = {"invitation-user": (2, 3600)}
    url = reverse("manage:member_add", args=[organisation.slug])
    codes = [
        admin_client_.post(
            url, {"username": f"p{n}", "email": f"p{n}@example.org", "role": "viewer"}
        ).status_code
        for n in range(3)
    ]
    assert codes == [302, 302, 429]
    assert not Membership.objects.filter(user__username="p2").exists()


def test_new_invitation_links_are_limited_whether_the_address_is_known_or_not(place_manager):
    place_manager.email = "manager@example.org"
    place_manager.set_unusable_password()  # invited, no password chosen yet
    place_manager.save()
    url = reverse("manage:invitation_request")
    for email in ("manager@example.org", "nobody@example.org"):
        codes = [
            Client().post(url, {"email": email}, REMOTE_ADDR="192.0.2.19").status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429], email
    assert len(mail.outbox) == 3  # the refused request sent nothing
    response = Client().post(url, {"email": "manager@example.org"}, REMOTE_ADDR="192.0.2.20")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many requests for a new link" in html
    assert 'value="manager@example.org"' in html  # the input is kept


def test_new_invitation_links_are_limited_per_address(settings):
    settings.RATE_LIMITS = {"invitation-request-address": (2, 3600)}
    url = reverse("manage:invitation_request")
    codes = [
        Client().post(url, {"email": f"p{n}@example.org"}, REMOTE_ADDR="192.0.2.21").status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]


# ---------------------------------------------------------------------------- suggestions


@pytest.fixture
def place(organisation):
    return PlaceFactory(organisation=organisation, name="Médiathèque", status="published")


def _api_suggestion(client, place, ip, n=0):
    return client.post(
        "/api/v1/suggestions/",
        {"kind": "correction", "place": str(place.public_id), "data": {"phone": f"047200000{n}"}},
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_the_api_keeps_the_suggestion_limit(place):
    client = Client()
    codes = [_api_suggestion(client, place, "192.0.2.20", n % 10).status_code for n in range(22)]
    assert codes == [201] * 20 + [429, 429]
    body = _api_suggestion(client, place, "192.0.2.20").json()
    assert body["error"]["code"] == "rate_limited"
    assert Suggestion.objects.count() == 20
    assert _api_suggestion(client, place, "192.0.2.21").status_code == 201


def test_the_form_and_the_api_share_one_limit(place, settings):
    settings.SUGGESTION_RATE_LIMIT = (2, 3600)
    client = Client()
    form_url = reverse("directory:suggest_correction", args=[place.slug])
    data = {"name": place.name, "postcode": place.postcode, "commune": place.commune}
    for phone in ("01 00 00 00 01", "01 00 00 00 02"):
        response = client.post(form_url, {**data, "phone": phone}, REMOTE_ADDR="192.0.2.30")
        assert response.status_code == 302
    assert _api_suggestion(client, place, "192.0.2.30").status_code == 429
    assert _api_suggestion(client, place, "192.0.2.31").status_code == 201
    assert _api_suggestion(client, place, "192.0.2.31").status_code == 201
    response = client.post(form_url, {**data, "phone": "01 00 00 00 03"}, REMOTE_ADDR="192.0.2.31")
    assert response.status_code == 429
    assert Suggestion.objects.count() == 4
