"""Outbound HTTP to addresses that people type in (webhook targets, and any later one).

Safe by construction: only `https` (plain `http` when OUTBOUND_ALLOW_HTTP is on, for
development), the host name is resolved and *every* address it gives must be public
(no loopback, private, link-local, multicast, reserved, unspecified, shared or
documentation range, in IPv4 or IPv6, including IPv4 carried inside IPv6), and the
connection goes to the address that was checked (a second DNS answer cannot swap it:
no rebinding). Redirects are never followed, at most MAX_ANSWER_BYTES of the answer are
read, every socket operation has a timeout, and failures come back as one neutral
message, so that the log of a delivery cannot be used to scan ports.

OUTBOUND_ALLOWED_NETWORKS lists networks let through despite all that: it exists for the
test suite's local receiver and is not read from the environment.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

TIMEOUT = 10  # seconds for each connect, send and read
MAX_ANSWER_BYTES = 64 * 1024
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(Exception):
    """Nothing came back; the message is the same whatever went wrong on the wire."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line


@dataclass
class Answer:
    status: int
    body: bytes = b""


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n) for n in getattr(settings, "OUTBOUND_ALLOWED_NETWORKS", [])]


def is_public(address: Address) -> bool:
    """True for an address of the public internet, after unwrapping IPv4 inside IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not (
        address.is_multicast
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_unspecified
    )


def allowed(address: Address) -> bool:
    return is_public(address) or any(address in net for net in _allowed_networks())


def parse(url: str) -> Target:
    """The target of `url`, or ValidationError saying what is wrong with it."""
    schemes = ["https", "http"] if getattr(settings, "OUTBOUND_ALLOW_HTTP", False) else ["https"]
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        port = parts.port
    except (ValidationError, ValueError):
        raise ValidationError(
            _("Give a complete web address, like https://example.org/hook.")
        ) from None
    if parts.scheme not in schemes:
        raise ValidationError(_("Only https:// addresses are accepted."))
    if parts.username is not None or parts.password is not None:
        raise ValidationError(_("Put no user name or password in the address."))
    host = (parts.hostname or "").rstrip(".")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, host, port or default, path)


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to (a literal address is its own answer)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def checked_address(target: Target, *, resolver: Callable | None = None) -> Address:
    """The address to connect to: the first one, once every address was found allowed."""
    try:
        addresses = (resolver or resolve)(target.host, target.port)
    except (OSError, UnicodeError):
        raise ValidationError(_("This host name cannot be found.")) from None
    if not addresses:
        raise ValidationError(_("This host name cannot be found."))
    if not all(allowed(a) for a in addresses):
        raise ValidationError(
            _("This address leads to a private or reserved network: only public ones are allowed.")
        )
    return addresses[0]


def validate_url(url: str) -> None:
    """Registration-time check: scheme, form, and a host that resolves to public addresses."""
    checked_address(parse(url))


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = TIMEOUT) -> Answer:
    """POST to `url` after checking it again; never follows a redirect (a 3xx is returned).

    Raises ValidationError when the address is not allowed (nothing was sent) and
    OutboundError when no answer came.
    """
    target = parse(url)
    address = checked_address(target)
    if target.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    # Connect to the address that was checked; TLS still verifies the host name.
    def connect(_address, timeout_, source_address=None):
        return socket.create_connection((str(address), target.port), timeout_, source_address)

    connection._create_connection = connect
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(MAX_ANSWER_BYTES)
        return Answer(response.status, data)
    except (OSError, http.client.HTTPException, ValueError):
        message = _("The endpoint could not be reached or gave no valid answer.")
        raise OutboundError(message) from None
    finally:
        connection.close()
