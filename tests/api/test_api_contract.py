"""The partner API answers exactly as its served OpenAPI schema says (docs/api.md, "Contract").

schemathesis reads /api/v1/schema/ through WSGI (no server) and sends generated requests,
valid and invalid, to every operation, anonymously and with a partner token holding every
scope, on a registry with real objects; every check it has runs on each answer (status
codes, content types, headers and bodies against the schema, valid data accepted, invalid
data refused, authentication enforced where declared, unsupported methods refused with
`Allow`, ...), but for the deliberate exceptions docs/api.md lists. A few examples per
operation keep this module quick; `make contract` runs the same tests with many more
(CONTRACT_EXAMPLES).
"""

from __future__ import annotations

import os
import uuid

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from api.actions import agreement_create, token_create
from scheduling.actions import schedule_set_rules
from tests.factories import NetworkFactory, PlaceFactory, ProviderFactory, ServiceOfferFactory

EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "3"))

# The id of the place in the schema's examples, so that example bodies name a real place.
PLACE_ID = uuid.UUID("1f0c8a52-3f5e-4b55-9d0e-0d8f5b7c2a11")
OFFER_ID = 910_001
AGREEMENT_ID = 920_001
PROVIDER_SLUG = "contrat-caf"
NETWORK_SLUG = "contrat-reseau"
KIND_SLUG = "caf"

# The real object each path's `{id}` can name, so that generated requests reach records and
# not only 404s.
REAL_IDS = {
    "/api/v1/places/": str(PLACE_ID),
    "/api/v1/offers/": OFFER_ID,
    "/api/v1/agreements/": AGREEMENT_ID,
    "/api/v1/providers/": PROVIDER_SLUG,
    "/api/v1/networks/": NETWORK_SLUG,
    "/api/v1/service-kinds/": KIND_SLUG,
}

# The deliberate exceptions listed in docs/api.md ("Contract"): a request whose every
# parameter and field has the shape the schema gives may still be refused, for rules the
# schema cannot state. Each is (status, error code, the fields it may name).
#  - the records a body or a filter names must exist (and be the token's to use);
#  - rules across fields or parameters: a last day before the first, `rules` or `osm`, an
#    appointment link needs the appointment access mode, fee details with conditional
#    fees, both coordinates or neither, a new place suggested needs `data.name`, `bbox`
#    minimum below maximum, a day
#    with a time and a latitude with a longitude (shared spaces), `to` after `from`, a
#    correction names its place (`no_place`);
#  - the version of an update (428) comes in If-Match or in the body, either one, and is
#    the current one (412, as 409 already is);
#  - no control characters in any text (`control_characters`), keys of unknown fields
#    included;
#  - `open_at` within the materialised calendar (`outside_calendar_window`);
#  - a cursor is one the API gave (`invalid_cursor`);
#  - one offer per provider, kind and place; one agreement per place and provider.
DELIBERATE = [
    (400, "control_characters", None),
    (428, "version_required", {"version"}),
    (412, "stale_version", None),
    # The same Idempotency-Key sent again with another body (generated bodies differ).
    (422, "idempotency_key_reused", None),
    (400, "outside_calendar_window", {"open_at", "from", "to"}),
    (
        400,
        "invalid",
        {
            # records named
            "place",
            "provider",
            "service_kind",
            "service_kinds",
            "kinds",
            "networks",
            "time_zone",  # a zone of the IANA database
            # rules across fields, uniqueness (`__all__`)
            "ends_on",
            "rules",
            "osm",
            "appointment_url",
            "fees_details",
            "latitude",
            "longitude",
            "name",
            "__all__",
            "slug",  # unique
            "typologies",  # needed on creation (PATCH may leave them out)
        },
    ),  # fmt: skip
    (400, "invalid_parameter", {"bbox", "to", "day", "lat"}),
    (400, "invalid_cursor", {"cursor"}),
    (400, "no_place", {"__all__"}),
]


def _deliberate(response) -> bool:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    fields = set(error.get("fields") or {})
    return any(
        response.status_code == status
        and error.get("code") == code
        and (allowed is None or (fields and fields <= allowed))
        for status, code, allowed in DELIBERATE
    )


def positive_data_acceptance_but_deliberate(ctx, response, case):
    """schemathesis's `positive_data_acceptance`, but for the deliberate refusals above."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _deliberate(response):
            return None
        raise


def negative_data_rejection_but_coercion(ctx, response, case):
    """schemathesis's `negative_data_rejection`, but for the one deliberate leniency: a body
    scalar of another JSON type that reads as the field's (a number where text is expected
    is taken as its text, "true" as a boolean, "5" as a number), as DRF reads them."""
    try:
        return negative_data_rejection(ctx, response, case)
    except AcceptedNegativeData as failure:
        _, _, component = failure.message.partition("Invalid component:")
        lines = [line.strip(" -") for line in component.strip().splitlines()]
        if (
            component.strip().startswith("in body")
            and lines
            and all(line == "in body" or line.endswith("Incorrect type") for line in lines)
        ):
            return None
        raise


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())


@schema.hook
def before_generate_path_parameters(context, strategy):
    """Half the examples name the fixture's real record."""
    operation = context.operation
    if operation is None or "{id}" not in operation.path:
        return strategy
    real = next((v for k, v in REAL_IDS.items() if operation.path.startswith(k)), None)
    if real is None:
        return strategy
    return st.one_of(strategy, st.just({"id": real}))


@pytest.fixture
def registry(db, organisation, registry_admin, settings):
    settings.API_RATE_LIMITS = {"anonymous": "100000/min", "partner": "100000/min"}
    settings.SUGGESTION_RATE_LIMIT = (100000, 3600)
    settings.ALLOWED_HOSTS = ["*"]
    cache.clear()
    provider = ProviderFactory(slug=PROVIDER_SLUG, name="CAF contrat")
    network = NetworkFactory(slug=NETWORK_SLUG, name="Réseau contrat")
    place = PlaceFactory(
        organisation=organisation, public_id=PLACE_ID, name="Maison du contrat", networks=[network]
    )
    schedule_set_rules(
        user=None,
        place=place,
        rules=[{"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-17:00"]}],
    )
    ServiceOfferFactory(pk=OFFER_ID, place=place, provider=provider)
    agreement = agreement_create(user=registry_admin, place=place, provider=provider)
    type(agreement).objects.filter(pk=agreement.pk).update(id=AGREEMENT_ID)
    _, raw = token_create(
        user=registry_admin,
        organisation=organisation,
        name="contract",
        scopes=["read", "write:places", "write:offers", "write:agreements"],
        provider=provider,
    )
    # As Django's test client does: the raw WSGI app must not close the test's connection
    # (it holds the test transaction) at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"anonymous": {}, "partner": {"Authorization": f"Bearer {raw}"}}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    cache.clear()


@pytest.mark.parametrize("identity", ["anonymous", "partner"])
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_answers_match_the_schema(case, identity, registry):
    case.call_and_validate(
        headers=registry[identity],
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
        additional_checks=[
            positive_data_acceptance_but_deliberate,
            negative_data_rejection_but_coercion,
        ],
    )
