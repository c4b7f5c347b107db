"""Partner tokens: `Authorization: Bearer <token>`, scopes and the permission checks.

A token reads `lp_<prefix>_<secret>`. The prefix finds the row; the SHA-256 of the whole
token is compared in constant time with the stored hash. Tokens are 32 random bytes, so a
fast hash is enough (a slow password hash defends guessable secrets, which these are not)
and keeps the check cheap on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from api.models import PartnerToken

TOKEN_START = "lp_"
PREFIX_LENGTH = 10
# last_used_at is written at most once a minute per token, not on every request.
LAST_USED_PRECISION = 60


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token_secret() -> tuple[str, str, str]:
    """(full token to show once, prefix, hash to store)."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    raw = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    return raw, prefix, hash_token(raw)


class PartnerUser:
    """The `request.user` of a request made with a partner token (not a person)."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False
    pk = None

    def __init__(self, token: PartnerToken):
        self.token = token

    def __str__(self) -> str:
        return str(self.token)


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: use “Bearer <token>”."), code="bad_token"
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token."), code="bad_token") from None
        token = self._find(raw)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."), code="bad_token")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                _("This token was revoked."), code="revoked_token"
            )
        now = timezone.now()
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > (
            LAST_USED_PRECISION
        ):
            PartnerToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return PartnerUser(token), token

    @staticmethod
    def _find(raw: str) -> PartnerToken | None:
        if not raw.startswith(TOKEN_START):
            return None
        prefix = raw[len(TOKEN_START) :].split("_", 1)[0]
        if len(prefix) != PREFIX_LENGTH:
            return None
        token = (
            PartnerToken.objects.select_related("organisation", "provider")
            .filter(prefix=prefix)
            .first()
        )
        if token is None or not hmac.compare_digest(token.secret_hash, hash_token(raw)):
            return None
        return token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


def token_of(request) -> PartnerToken | None:
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, PartnerToken) else None


# A view's `write_scope` when anyone may write without a token (suggestions).
ANYONE = "anyone"


class HasScope(BasePermission):
    """Writes need a token with the view's `write_scope`; reads are open to everyone.

    Default deny: a view that accepts a write method but declares no `write_scope` refuses
    every write (a 403 `no_write_scope`), so a forgotten declaration closes the endpoint
    instead of opening it. `write_scope = ANYONE` says on purpose that no token is needed.
    A method the view does not implement still gets its 405.
    """

    message = _("This token does not have the scope this request needs.")

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        if not hasattr(view, request.method.lower()):
            return True  # no handler: the view answers 405 Method Not Allowed
        scope = getattr(view, "write_scope", None)
        if scope == ANYONE:
            return True
        if scope is None:
            self.message = _("This endpoint accepts no writes.")
            self.code = "no_write_scope"
            return False
        token = token_of(request)
        if token is None:
            raise exceptions.NotAuthenticated(
                _("Writing needs a partner token: send “Authorization: Bearer <token>”.")
            )
        if not token.has_scope(scope):
            self.message = _("This token lacks the “%(scope)s” scope.") % {"scope": scope}
            self.code = "missing_scope"
            return False
        return True


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.BearerTokenAuthentication"
    name = "partnerToken"
    # Reads work without a token too.
    optional = True

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "lp_<prefix>_<secret>",
            "description": "A partner token created by the registry admins in /manage/partners/.",
        }
