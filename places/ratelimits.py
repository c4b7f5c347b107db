"""Limits on repeated attempts (sign-in, password reset, invitations, suggestions).

One mechanism for every form and the API: counters in the shared cache
(`django.core.cache`; with several server processes CACHE_URL must name a cache they
share, see docs/deployment.md). Keys are keyed hashes of the account name or client
address, so the cache never holds them in clear. The counts are the same whether or not
an account exists, so a refusal says nothing about who has an account.

The limits are (attempts, seconds) pairs read from settings on each call:
SUGGESTION_RATE_LIMIT, and RATE_LIMITS for the other scopes (see DEFAULT_LIMITS).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac

# (attempts, seconds). A shared desk may help many people at once, hence the per-address
# limits being higher than the per-account ones.
DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    "login-account": (5, 15 * 60),  # failed sign-ins for one user name
    "login-address": (20, 15 * 60),  # failed sign-ins from one address, whatever the name
    "password-reset-account": (3, 60 * 60),  # reset requests for one email address
    "password-reset-address": (10, 60 * 60),
    "invitation-user": (30, 60 * 60),  # invitations sent by one staff member
    "invitation-request-account": (3, 60 * 60),  # new invitation links for one email address
    "invitation-request-address": (10, 60 * 60),
    "suggestion-address": (20, 60 * 60),  # suggestions from one address, form and API alike
}


def limit_of(scope: str) -> tuple[int, int]:
    if scope == "suggestion-address" and hasattr(settings, "SUGGESTION_RATE_LIMIT"):
        return tuple(settings.SUGGESTION_RATE_LIMIT)
    return tuple(getattr(settings, "RATE_LIMITS", {}).get(scope, DEFAULT_LIMITS[scope]))


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the header a trusted proxy sets (CLIENT_IP_HEADER)."""
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header and request.META.get(header):
        # X-Forwarded-For lists every hop: the last one is the one our proxy added.
        return request.META[header].split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _key(scope: str, ident: str) -> str:
    digest = salted_hmac("places.ratelimits", f"{scope}:{ident}").hexdigest()[:32]
    return f"rate:{scope}:{digest}"


def count(scope: str, ident: str) -> int:
    """Count one attempt; how many there were in the current window, this one included."""
    _limit, seconds = limit_of(scope)
    key = _key(scope, ident)
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=seconds)
        return 1


def exceeded(scope: str, ident: str) -> bool:
    """True once the attempts counted in the window reach the limit (nothing is counted)."""
    limit, _seconds = limit_of(scope)
    return (cache.get(_key(scope, ident)) or 0) >= limit


def hit(scope: str, ident: str) -> bool:
    """Count one attempt; True when it is over the limit (and must be refused)."""
    limit, _seconds = limit_of(scope)
    return count(scope, ident) > limit


def clear(scope: str, ident: str) -> None:
    cache.delete(_key(scope, ident))


def minutes(scope: str) -> int:
    """The window of a scope in whole minutes, for messages."""
    return max(1, -(-limit_of(scope)[1] // 60))


# --- the scopes, by what is being protected ----------------------------------------------


def _account(name: str) -> str:
    return (name or "").strip().casefold()


def suggestion_over_limit(ip: str) -> bool:
    """Count one suggestion from this address (HTML form or API); True once past the limit."""
    return hit("suggestion-address", ip or "unknown")


def login_locked(username: str, ip: str) -> bool:
    """True while this account name or this address has used up its failed sign-ins."""
    return exceeded("login-account", _account(username)) or exceeded(
        "login-address", ip or "unknown"
    )


def login_failed(username: str, ip: str) -> None:
    count("login-account", _account(username))
    count("login-address", ip or "unknown")


def login_succeeded(username: str) -> None:
    clear("login-account", _account(username))


def password_reset_over_limit(email: str, ip: str) -> bool:
    """Count one reset request; True when the address or the email asked too often."""
    by_account = hit("password-reset-account", _account(email))
    by_address = hit("password-reset-address", ip or "unknown")
    return by_account or by_address


def invitation_over_limit(user_id: int) -> bool:
    return hit("invitation-user", str(user_id))


def invitation_request_over_limit(email: str, ip: str) -> bool:
    """Count one request for a new invitation link (the public form); True when the email
    or the client address asked too often. Counted whether the address is known or not."""
    by_account = hit("invitation-request-account", _account(email))
    by_address = hit("invitation-request-address", ip or "unknown")
    return by_account or by_address
