"""`Idempotency-Key` on POST: a retried request gets the stored response, not a second write.

The key belongs to the token (or, without one, to the client's IP address). The first
request with a key stores a hash of its method, path and body, then its response. A retry
with the same key and the same request replays that response (header
`Idempotent-Replayed: true`); the same key with a different request is refused with 422;
a retry while the first is still running gets 409. Server errors are not stored, so a
request that failed that way may be retried. Keys are kept 24 hours.
"""

from __future__ import annotations

import datetime
import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from api.auth import token_of
from api.errors import ApiError
from api.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP = datetime.timedelta(hours=24)
MAX_KEY_LENGTH = 255


def _owner(request) -> str:
    token = token_of(request)
    if token is not None:
        return f"token:{token.pk}"
    return f"ip:{request.META.get('REMOTE_ADDR', '')}"


def _request_hash(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\0")
    digest.update(request.path.encode())
    digest.update(b"\0")
    digest.update(json.dumps(request.data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def run_idempotent(request, handler) -> Response:
    """Call `handler()` at most once per (owner, Idempotency-Key)."""
    key = request.headers.get(HEADER)
    if not key:
        return handler()
    if len(key) > MAX_KEY_LENGTH:
        raise ApiError(
            400,
            "invalid_idempotency_key",
            _("The Idempotency-Key header is longer than %(n)s characters.")
            % {"n": MAX_KEY_LENGTH},
        )
    owner = _owner(request)
    fingerprint = _request_hash(request)
    IdempotencyKey.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(
                owner=owner,
                key=key,
                method=request.method,
                path=request.path[:255],
                request_hash=fingerprint,
            )
    except IntegrityError:
        row = IdempotencyKey.objects.get(owner=owner, key=key)
        if row.request_hash != fingerprint:
            raise ApiError(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used with a different request."),
            ) from None
        if row.response_status is None:
            raise ApiError(
                409,
                "idempotency_in_progress",
                _("A request with this Idempotency-Key is still being processed."),
            ) from None
        response = Response(
            json.loads(row.response_body) if row.response_body else None,
            status=row.response_status,
        )
        for name, value in (row.response_headers or {}).items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response
    try:
        response = handler()
    except Exception:
        row.delete()
        raise
    if response.status_code >= 500:
        row.delete()
        return response
    row.response_status = response.status_code
    row.response_body = json.dumps(response.data, default=str)
    row.response_headers = {k: response[k] for k in ("Location", "ETag") if response.has_header(k)}
    row.save(update_fields=["response_status", "response_body", "response_headers"])
    return response
