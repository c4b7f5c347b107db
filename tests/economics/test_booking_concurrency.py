"""Two managers accepting conflicting requests at the same moment: exactly one wins.

Run on PostgreSQL (two connections, real row locks); SQLite's test database is one
in-memory connection that threads cannot share, so the test is skipped there.
"""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from economics import bookings
from economics.models import SpaceRequest, SpaceUse
from tests.economics.test_bookings import TUESDAY, ask, at, maison, room  # noqa: F401

pytestmark = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="needs two database connections with row locks"
)


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acceptances_of_conflicting_requests_one_wins(
    room,  # noqa: F811
    registry_admin,
    place_manager,
):
    """The first manager's acceptance is held open (not committed) while the second one
    accepts a request overlapping it: the second waits for the first, then is refused."""
    one = ask(room, at(TUESDAY, 18), at(TUESDAY, 20))
    two = ask(room, at(TUESDAY, 19), at(TUESDAY, 21), email="two@example.org")
    first_inside, release, second_done = threading.Event(), threading.Event(), threading.Event()
    outcomes: dict[str, str] = {}

    def first():
        try:
            with transaction.atomic():
                bookings.request_accept(user=registry_admin, request=one)
                first_inside.set()
                release.wait(timeout=30)
            outcomes["one"] = "accepted"
        except ValidationError as exc:
            outcomes["one"] = "refused: " + " ".join(exc.messages)
        finally:
            first_inside.set()
            connections.close_all()

    def second():
        try:
            bookings.request_accept(user=place_manager, request=two)
            outcomes["two"] = "accepted"
        except ValidationError as exc:
            outcomes["two"] = "refused: " + " ".join(exc.messages)
        finally:
            second_done.set()
            connections.close_all()

    a = threading.Thread(target=first)
    a.start()
    assert first_inside.wait(timeout=30)
    b = threading.Thread(target=second)
    b.start()
    # The second acceptance waits on the space's lock while the first is open.
    blocked = not second_done.wait(timeout=1.5)
    release.set()
    a.join(timeout=30)
    b.join(timeout=30)
    assert blocked
    assert outcomes["one"] == "accepted"
    assert outcomes["two"].startswith("refused") and "already booked" in outcomes["two"]
    assert SpaceUse.objects.count() == 1
    assert SpaceRequest.objects.filter(status="accepted").count() == 1
    assert SpaceRequest.objects.filter(status="pending").count() == 1
