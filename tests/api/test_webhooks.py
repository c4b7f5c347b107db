"""Webhooks: events after commit, signed deliveries to a real local HTTP server, retries
with backoff (time injected), 410 disabling, and the staff pages."""

from __future__ import annotations

import datetime
import ipaddress
import json
import queue
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.db import transaction

from api import actions as api_actions
from api import webhooks
from api.models import WebhookDelivery, WebhookSubscription
from places import outbound
from places.actions import place_create, place_publish, place_update
from places.models import Place
from scheduling.actions import schedule_set_rules
from services.actions import offer_create
from services.models import Provider

pytestmark = pytest.mark.django_db


class Receiver:
    """A local endpoint: records each POST and answers with the queued status codes."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: queue.Queue[int] = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": self.headers, "body": body})
                try:
                    status = receiver.statuses.get_nowait()
                except queue.Empty:
                    status = 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, *statuses: int) -> None:
        for status in statuses:
            self.statuses.put(status)


@pytest.fixture(autouse=True)
def _local_receiver_allowed(settings, monkeypatch):
    """The receiver listens on 127.0.0.1 over plain HTTP: let it through, as only a test may.
    Partners' example addresses resolve to a public address (nothing is sent to them)."""
    settings.OUTBOUND_ALLOW_HTTP = True
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    real_resolve = outbound.resolve

    def resolve(host, port):
        if host.endswith(".example.org"):
            return [ipaddress.ip_address("93.184.215.14")]
        return real_resolve(host, port)

    monkeypatch.setattr(outbound, "resolve", resolve)


@pytest.fixture
def receiver():
    endpoint = Receiver()
    endpoint.thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


@pytest.fixture
def token(organisation, registry_admin):
    token, _raw = api_actions.token_create(
        user=registry_admin, organisation=organisation, name="Partenaire", scopes=["read"]
    )
    return token


@pytest.fixture
def place(organisation, registry_admin):
    created = place_create(
        user=registry_admin,
        organisation=organisation,
        data={"name": "Espace numérique Part-Dieu", "postcode": "69003", "commune": "Lyon"},
        typologies=["epn"],
    )
    place_publish(place=created, user=registry_admin, expected_version=None)
    return Place.objects.get(pk=created.pk)


def _update(place, user, **data):
    return place_update(place=place, user=user, expected_version=None, data=data)


def test_a_committed_write_is_delivered_signed(
    receiver, token, place, registry_admin, django_capture_on_commit_callbacks
):
    subscription = webhooks.subscription_create(token=token, url=receiver.url, events=["place.*"])
    with django_capture_on_commit_callbacks(execute=True):
        _update(place, registry_admin, phone="04 72 00 00 01")
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.event, delivery.status) == ("place.updated", "pending")

    now = delivery.created_at + datetime.timedelta(seconds=2)
    assert webhooks.process_due(now=now) == 1
    (request,) = receiver.requests
    headers, body = request["headers"], request["body"]
    assert headers["X-LP-Event"] == "place.updated"
    assert headers["X-LP-Delivery"] == str(delivery.pk)
    timestamp = int(now.timestamp())
    assert headers["X-LP-Signature"] == (
        f"t={timestamp},v1={webhooks.signature(subscription.secret, timestamp, body)}"
    )
    assert webhooks.verify(subscription.secret, headers["X-LP-Signature"], body, now=timestamp)
    assert not webhooks.verify("other-secret", headers["X-LP-Signature"], body, now=timestamp)
    assert not webhooks.verify(
        subscription.secret, headers["X-LP-Signature"], body + b" ", now=timestamp
    )
    payload = json.loads(body)
    assert payload["event"] == "place.updated"
    assert payload["place"]["id"] == str(place.public_id)
    assert payload["fields"] == ["phone"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at == now
    # Nothing is due anymore.
    assert webhooks.process_due(now=now + datetime.timedelta(hours=1)) == 0


def test_a_rolled_back_write_enqueues_nothing(
    token, place, registry_admin, django_capture_on_commit_callbacks
):
    webhooks.subscription_create(token=token, url="https://partner.example.org/h", events=["*"])
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _update(place, registry_admin, phone="04 72 00 00 02")
        raise RuntimeError("something failed after the write")
    assert callbacks == []
    assert not WebhookDelivery.objects.exists()


def test_events_by_target_and_pattern(
    token, place, registry_admin, django_capture_on_commit_callbacks
):
    offers_only = webhooks.subscription_create(
        token=token, url="https://partner.example.org/offers", events=["offer.*"]
    )
    calendar = webhooks.subscription_create(
        token=token, url="https://partner.example.org/cal", events=["calendar.changed"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        offer = offer_create(
            place=place,
            user=registry_admin,
            data={"kind": "caf", "provider": Provider.objects.get(slug="caf")},
        )
        schedule_set_rules(
            user=registry_admin,
            place=place,
            rules=[{"kind": "weekly", "days": [0], "times": ["09:00-12:00"]}],
        )
        schedule_set_rules(
            user=registry_admin,
            offer=offer,
            rules=[{"kind": "weekly", "days": [1], "times": ["09:00-12:00"]}],
        )
        _update(place, registry_admin, phone="04 72 00 00 03")
    assert list(offers_only.deliveries.values_list("event", flat=True)) == ["offer.created"]
    assert offers_only.deliveries.get().payload["offer_id"] == offer.pk
    events = sorted(calendar.deliveries.values_list("event", "payload__target"))
    assert events == [
        ("calendar.changed", f"schedule:offer:{offer.pk}"),
        ("calendar.changed", "schedule:place"),
    ]


def test_drafts_are_not_announced_but_publication_is(
    token, organisation, registry_admin, django_capture_on_commit_callbacks
):
    subscription = webhooks.subscription_create(
        token=token, url="https://partner.example.org/h", events=["place.*"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        draft = place_create(
            user=registry_admin,
            organisation=organisation,
            data={"name": "Projet"},
            typologies=["epn"],
        )
        _update(draft, registry_admin, phone="04 72 00 00 04")
        assert not WebhookDelivery.objects.exists()
        place_publish(place=draft, user=registry_admin, expected_version=None)
    assert list(subscription.deliveries.values_list("event", flat=True)) == ["place.published"]


def test_revoked_tokens_and_inactive_subscriptions_get_nothing(token, registry_admin):
    webhooks.subscription_create(token=token, url="https://partner.example.org/h", events=["*"])
    api_actions.token_revoke(token=token, user=registry_admin)
    assert webhooks.enqueue("place.updated", {"event": "place.updated"}) == 0


def test_retries_back_off_then_give_up_after_a_day(receiver, token):
    webhooks.subscription_create(token=token, url=receiver.url, events=["*"])
    webhooks.enqueue("place.updated", {"event": "place.updated"})
    delivery = WebhookDelivery.objects.get()
    receiver.answer(*[500] * 20)
    now = delivery.created_at
    waits = []
    while True:
        assert webhooks.process_due(now=now) == 1
        # Not due a moment before its next attempt.
        delivery.refresh_from_db()
        if delivery.status != "pending":
            break
        assert (
            webhooks.process_due(now=delivery.next_attempt_at - datetime.timedelta(seconds=1)) == 0
        )
        waits.append(int((delivery.next_attempt_at - now).total_seconds() // 60))
        now = delivery.next_attempt_at
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 360, 360]
    assert delivery.status == "failed" and delivery.attempts == 12 == len(receiver.requests)
    assert delivery.last_status_code == 500
    assert delivery.last_error == "The endpoint answered HTTP 500."
    assert now <= delivery.created_at + webhooks.GIVE_UP_AFTER


def test_a_success_after_failures_is_delivered(receiver, token):
    webhooks.subscription_create(token=token, url=receiver.url, events=["*"])
    webhooks.enqueue("offer.updated", {"event": "offer.updated"})
    receiver.answer(503, 204)
    delivery = WebhookDelivery.objects.get()
    webhooks.process_due(now=delivery.created_at)
    delivery.refresh_from_db()
    webhooks.process_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 204)


def test_410_disables_the_subscription(receiver, token):
    subscription = webhooks.subscription_create(token=token, url=receiver.url, events=["*"])
    webhooks.enqueue("place.updated", {"n": 1})
    webhooks.enqueue("place.updated", {"n": 2})
    receiver.answer(410)
    first = WebhookDelivery.objects.order_by("id").first()
    webhooks.process_due(now=first.created_at, limit=1)
    subscription.refresh_from_db()
    assert not subscription.active
    assert "410" in subscription.disabled_reason
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [
        "disabled",
        "disabled",
    ]
    assert len(receiver.requests) == 1
    assert webhooks.enqueue("place.updated", {"n": 3}) == 0


def test_an_unreachable_endpoint_is_retried_with_a_clear_error(token):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhooks.subscription_create(token=token, url=f"http://127.0.0.1:{port}/h", events=["*"])
    webhooks.enqueue("place.updated", {"event": "place.updated"})
    delivery = WebhookDelivery.objects.get()
    webhooks.process_due(now=delivery.created_at)
    delivery.refresh_from_db()
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error == f"No valid answer from http://127.0.0.1:{port}/h."
    assert delivery.next_attempt_at == delivery.created_at + datetime.timedelta(minutes=1)


def test_subscription_validation(token):
    with pytest.raises(Exception) as info:
        webhooks.subscription_create(token=token, url="ftp://x", events=["place.exploded"])
    assert set(info.value.message_dict) == {"url", "events"}


def test_run_webhooks_once(receiver, token):
    webhooks.subscription_create(token=token, url=receiver.url, events=["*"])
    webhooks.enqueue("place.updated", {"event": "place.updated"})
    call_command("run_webhooks", "--once")
    assert WebhookDelivery.objects.get().status == "delivered"


def test_staff_pages(admin_client_, outsider_client, viewer_client, token, receiver):
    response = admin_client_.post(
        "/manage/partners/webhooks/",
        {"token": token.pk, "url": receiver.url, "events": ["place.*", "calendar.changed"]},
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret in response.content.decode()
    webhooks.enqueue("place.updated", {"event": "place.updated"})
    page = admin_client_.get(f"/manage/partners/webhooks/{subscription.pk}/")
    assert page.status_code == 200 and "place.updated" in page.content.decode()
    # The secret is shown once, never on the list afterwards.
    assert (
        subscription.secret not in admin_client_.get("/manage/partners/webhooks/").content.decode()
    )
    # Another organisation's admin sees none of ours; a viewer is no admin at all.
    other = outsider_client.get("/manage/partners/webhooks/")
    assert other.status_code == 200 and receiver.url not in other.content.decode()
    assert outsider_client.get(f"/manage/partners/webhooks/{subscription.pk}/").status_code == 404
    delete_url = f"/manage/partners/webhooks/{subscription.pk}/delete/"
    assert outsider_client.post(delete_url).status_code == 404
    assert viewer_client.get("/manage/partners/webhooks/").status_code == 403
    response = admin_client_.post(f"/manage/partners/webhooks/{subscription.pk}/delete/")
    assert response.status_code == 302
    assert not WebhookSubscription.objects.exists()


def test_imported_places_are_announced_like_published_ones(
    tmp_path, token, organisation, django_capture_on_commit_callbacks
):
    """Imports write their history in bulk (no post_save): partners still hear of each new
    published place and of its calendar, once, after the batch commits."""
    from api.imports.pipeline import run_import

    subscription = webhooks.subscription_create(
        token=token, url="https://partner.example.org/h", events=["place.*", "calendar.changed"]
    )
    rows = [
        {
            "id": "a1",
            "nom": "Espace A",
            "latitude": 45.76,
            "longitude": 4.85,
            "code_postal": "69003",
        },
        {
            "id": "b2",
            "nom": "Espace B",
            "latitude": 45.77,
            "longitude": 4.86,
            "code_postal": "69003",
            "horaires": "Mo-Fr 09:00-12:00",
        },
    ]
    path = tmp_path / "lmn.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        report = run_import(fmt="lmn", path=path, organisation=organisation)
    assert report.created == 2
    sent = sorted(
        (d.payload["place"]["name"], d.event, d.payload["place"]["status"])
        for d in subscription.deliveries.all()
    )
    assert sent == [
        ("Espace A", "place.published", "published"),
        ("Espace B", "calendar.changed", "published"),
        ("Espace B", "place.published", "published"),
    ]


def test_draft_imports_are_not_announced(
    tmp_path, token, organisation, django_capture_on_commit_callbacks
):
    from api.imports.pipeline import run_import

    webhooks.subscription_create(token=token, url="https://partner.example.org/h", events=["*"])
    path = tmp_path / "lmn.json"
    path.write_text(
        json.dumps([{"id": "a1", "nom": "Espace A", "latitude": 45.76, "longitude": 4.85}]),
        encoding="utf-8",
    )
    with django_capture_on_commit_callbacks(execute=True):
        run_import(fmt="lmn", path=path, organisation=organisation, status=Place.Status.DRAFT)
    assert not WebhookDelivery.objects.exists()
