"""Primary and read replicas: public reads go to a replica, everything else to the primary.

A request is a public read when it is a GET, HEAD or OPTIONS from someone who is not signed
in (no session cookie) and sends no partner token (no Authorization header), outside the
staff pages: residents' pages and anonymous API reads. Such a request sees the replica's
data, which may lag the primary by the replication delay; staff and partners, who read
what they have just written, always read the primary. Writes always go to the primary,
even for a row that was read from a replica.

Without DATABASE_REPLICA_URL (settings.READ_REPLICAS empty) everything uses "default".
"""

from __future__ import annotations

import contextlib
import random
from contextvars import ContextVar

from django.conf import settings

PRIMARY = "default"
STAFF_PREFIXES = ("/manage/", "/django-admin/")

_public_read: ContextVar[bool] = ContextVar("public_read", default=False)


def _replicas() -> list[str]:
    return list(getattr(settings, "READ_REPLICAS", []))


@contextlib.contextmanager
def public_reads():
    """Route the reads made inside the block to a replica (when there is one)."""
    token = _public_read.set(True)
    try:
        yield
    finally:
        _public_read.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        replicas = _replicas()
        if replicas and _public_read.get():
            return random.choice(replicas)  # noqa: S311 - load spreading, not security
        return PRIMARY

    def db_for_write(self, model, **hints) -> str:
        # Named explicitly: Django's fallback would write where the instance was read.
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        if obj1._state.db == PRIMARY and obj2._state.db == PRIMARY:
            return True  # the common case, asked for every related object set (imports)
        same_data = {PRIMARY, *_replicas()}
        if obj1._state.db in same_data and obj2._state.db in same_data:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        # Replicas receive the schema from the primary through replication.
        return False if db in _replicas() else None


def is_public_read(request) -> bool:
    return (
        request.method in ("GET", "HEAD", "OPTIONS")
        and "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path.startswith(STAFF_PREFIXES)
    )


class PublicReadsMiddleware:
    """Marks public reads for the router (first in MIDDLEWARE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _replicas() or not is_public_read(request):
            return self.get_response(request)
        with public_reads():
            return self.get_response(request)
