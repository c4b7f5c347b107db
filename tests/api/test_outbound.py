"""Webhook targets cannot reach the server's own network: checked at registration and again
at delivery after DNS resolution, no redirect followed, answers read up to a bound, one
neutral error whatever failed. The only traffic goes to local test servers on 127.0.0.1,
let through by the test-only OUTBOUND_ALLOWED_NETWORKS setting where a test needs it."""

from __future__ import annotations

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from api import actions as api_actions
from api import webhooks
from api.models import WebhookDelivery, WebhookSubscription
from places import outbound

pytestmark = pytest.mark.django_db

PUBLIC = ipaddress.ip_address("93.184.215.14")


class Server:
    """A local HTTP server answering every POST with `status`, `headers` and `body`."""

    def __init__(self, status=200, headers=None, body=b""):
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.hits.append(self.path)
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(**kwargs) -> Server:
        started.append(Server(**kwargs))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def token(organisation, registry_admin):
    token, _raw = api_actions.token_create(
        user=registry_admin, organisation=organisation, name="Partenaire", scopes=["read"]
    )
    return token


@pytest.fixture
def local_allowed(settings):
    settings.OUTBOUND_ALLOW_HTTP = True
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def fake_dns(monkeypatch):
    """Names under .example.org resolve to what the test says; others as usual."""
    answers: dict[str, list] = {}
    real = outbound.resolve

    def resolve(host, port):
        if host in answers:
            return [ipaddress.ip_address(a) for a in answers[host]]
        return real(host, port)

    monkeypatch.setattr(outbound, "resolve", resolve)
    return answers


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.0.0.1:5432/",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost:8000/hook",
        "https://[::1]:8080/hook",
        "https://10.0.0.5/hook",
        "https://172.16.3.4/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[2002:a00:1::]/hook",
        "https://[ff02::1]/hook",
        "https://[::]/hook",
    ],
)
def test_it_refuses_internal_targets_at_registration(token, url):
    with pytest.raises(ValidationError) as info:
        webhooks.subscription_create(token=token, url=url, events=["*"])
    assert "private or reserved" in " ".join(info.value.message_dict["url"])
    assert not WebhookSubscription.objects.exists()


def test_it_refuses_a_name_that_resolves_to_a_private_address(token, fake_dns):
    fake_dns["intranet.example.org"] = ["93.184.215.14", "10.1.2.3"]
    with pytest.raises(ValidationError) as info:
        webhooks.subscription_create(
            token=token, url="https://intranet.example.org/h", events=["*"]
        )
    assert "private or reserved" in " ".join(info.value.message_dict["url"])


def test_it_refuses_plain_http_unless_the_setting_allows_it(token, fake_dns, settings):
    fake_dns["partner.example.org"] = [str(PUBLIC)]
    with pytest.raises(ValidationError) as info:
        webhooks.subscription_create(token=token, url="http://partner.example.org/h", events=["*"])
    assert info.value.message_dict["url"] == ["Only https:// addresses are accepted."]
    settings.OUTBOUND_ALLOW_HTTP = True
    webhooks.subscription_create(token=token, url="http://partner.example.org/h", events=["*"])
    webhooks.subscription_create(token=token, url="https://partner.example.org/h", events=["*"])
    assert WebhookSubscription.objects.count() == 2


def test_it_refuses_credentials_and_unknown_hosts(token):
    with pytest.raises(ValidationError) as info:
        webhooks.subscription_create(token=token, url="https://u:p@93.184.215.14/", events=["*"])
    assert "user name" in info.value.message_dict["url"][0]
    with pytest.raises(ValidationError) as info:
        webhooks.subscription_create(token=token, url="https://no-such-host.invalid/", events=["*"])
    assert info.value.message_dict["url"] == ["This host name cannot be found."]


def test_the_staff_form_shows_the_refusal(admin_client_, token):
    response = admin_client_.post(
        "/manage/partners/webhooks/",
        {"token": token.pk, "url": "https://169.254.169.254/latest/", "events": ["place.*"]},
    )
    assert response.status_code == 200
    assert "private or reserved network" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_it_checks_the_address_again_at_delivery(token, servers, local_allowed, settings):
    server = servers()
    webhooks.subscription_create(token=token, url=server.url, events=["*"])
    webhooks.enqueue("place.updated", {"n": 1})
    # The address now leads somewhere not allowed (as after a DNS change): nothing is sent.
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    delivery = WebhookDelivery.objects.get()
    webhooks.process_due(now=delivery.created_at)
    delivery.refresh_from_db()
    assert server.hits == []
    assert delivery.status == "pending" and delivery.last_status_code is None
    assert "private or reserved network" in delivery.last_error


def test_it_does_not_follow_a_redirect(token, servers, local_allowed):
    internal = servers()
    redirecting = servers(status=302, headers={"Location": internal.url + "/secret"})
    webhooks.subscription_create(token=token, url=redirecting.url, events=["*"])
    webhooks.enqueue("place.updated", {"n": 1})
    delivery = WebhookDelivery.objects.get()
    webhooks.process_due(now=delivery.created_at)
    delivery.refresh_from_db()
    assert redirecting.hits == ["/hook"] and internal.hits == []
    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert delivery.last_error == "The endpoint answered HTTP 302."


def test_it_reads_a_bounded_part_of_the_answer(servers, local_allowed):
    server = servers(body=b"x" * (outbound.MAX_ANSWER_BYTES * 8))
    answer = outbound.post(server.url, b"{}", {"Content-Type": "application/json"})
    assert answer.status == 200 and len(answer.body) == outbound.MAX_ANSWER_BYTES


def test_a_silent_endpoint_times_out(local_allowed):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/h"
        with pytest.raises(outbound.OutboundError):
            outbound.post(url, b"{}", {}, timeout=0.2)


def test_the_error_is_the_same_for_a_closed_port_and_a_closing_server(token, local_allowed):
    """No port scanner: 'connection refused' and 'remote end closed' read alike."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    closing = socket.socket()
    closing.bind(("127.0.0.1", 0))
    closing.listen()

    def accept_and_close():
        connection, _address = closing.accept()
        connection.close()

    thread = threading.Thread(target=accept_and_close, daemon=True)
    thread.start()
    errors = []
    try:
        for port in (closed_port, closing.getsockname()[1]):
            with pytest.raises(webhooks.DeliveryError) as info:
                webhooks.deliver(f"http://127.0.0.1:{port}/h", b"{}", {})
            errors.append(str(info.value).replace(str(port), "PORT"))
    finally:
        thread.join(timeout=5)
        closing.close()
    assert errors[0] == errors[1] == "No valid answer from http://127.0.0.1:PORT/h."
