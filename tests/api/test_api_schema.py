"""Our own OpenAPI schema, exercised by schemathesis in-process: no server error, ever.

Bounded (a few examples per operation) so that `make test` stays quick.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.factories import PlaceFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@pytest.fixture
def _data(db, organisation, settings):
    settings.API_RATE_LIMITS = {"anonymous": "100000/min", "partner": "100000/min"}
    settings.ALLOWED_HOSTS = ["*"]
    cache.clear()
    PlaceFactory(organisation=organisation)
    # As Django's test client does: the raw WSGI app must not close the test's connection
    # (it holds the test transaction) at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error(case, _data):
    case.call_and_validate(checks=[not_a_server_error])
