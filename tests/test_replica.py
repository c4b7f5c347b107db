"""The database router: anonymous public reads go to the read replica, the rest to the primary.

The test suite has a "replica" alias mirroring the test database (tests/conftest.py); these
tests turn READ_REPLICAS on and watch which connection each query runs on.
"""

from __future__ import annotations

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from config.db import PrimaryReplicaRouter, public_reads
from config.settings import _replica
from places import actions
from places.models import Place, Suggestion
from tests.factories import PlaceFactory

# Committed data: the replica alias is a connection of its own, which sees only what the
# default connection has committed (as a real replica would).
pytestmark = pytest.mark.django_db(databases=["default", "replica"], transaction=True)


@pytest.fixture(autouse=True)
def _replica_on(settings):
    settings.READ_REPLICAS = ["replica"]


@pytest.fixture
def place(organisation):
    return PlaceFactory(organisation=organisation, name="Médiathèque Jean Macé", slug="mediatheque")


def _queries_by_alias(do):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        result = do()
    return result, len(primary), len(replica)


def _warm_up(client):
    """The first request stores the filter choices (computed on the primary, so that a
    lagging replica is never stored as current) and creates the calendar window."""
    assert client.get("/lieux/").status_code == 200


def test_anonymous_pages_read_the_replica(client, place):
    _warm_up(client)
    response, primary, replica = _queries_by_alias(lambda: client.get("/lieux/"))
    assert response.status_code == 200
    assert "Médiathèque Jean Macé" in response.content.decode()
    assert primary == 0
    assert replica > 0


def test_anonymous_api_reads_go_to_the_replica(client, place):
    _warm_up(client)
    response, primary, replica = _queries_by_alias(lambda: client.get("/api/v1/places/"))
    assert response.status_code == 200
    assert primary == 0 and replica > 0


def test_signed_in_staff_read_the_primary(admin_client_, place):
    _warm_up(admin_client_)
    response, primary, replica = _queries_by_alias(lambda: admin_client_.get("/lieux/"))
    assert response.status_code == 200
    assert primary > 0 and replica == 0


def test_staff_pages_read_the_primary(client, place):
    # Not signed in: the login page, under /manage/, still reads the primary.
    response, primary, replica = _queries_by_alias(lambda: client.get("/manage/", follow=True))
    assert response.status_code == 200
    assert replica == 0


def test_requests_with_a_token_read_the_primary(client, place):
    response, _primary, replica = _queries_by_alias(
        lambda: client.get("/api/v1/places/", HTTP_AUTHORIZATION="Bearer not-a-token")
    )
    assert response.status_code in (200, 401)
    assert replica == 0


def test_posts_never_touch_the_replica(client, place):
    response, primary, replica = _queries_by_alias(
        lambda: client.post(
            f"/lieux/{place.slug}/signaler/",
            {
                "name": place.name,
                "postcode": place.postcode,
                "commune": place.commune,
                "phone": "04 78 00 00 00",
                "message": "Closed on Mondays.",
                "homepage": "",
            },
        )
    )
    assert response.status_code == 302
    assert Suggestion.objects.filter(place=place).exists()
    assert primary > 0 and replica == 0


def test_a_row_read_from_the_replica_is_written_to_the_primary(place, registry_admin):
    with public_reads():
        read = Place.objects.get(pk=place.pk)
    assert read._state.db == "replica"
    _result, primary, replica = _queries_by_alias(
        lambda: actions.place_update(
            place=read, user=registry_admin, expected_version=None, data={"name": "Médiathèque"}
        )
    )
    assert primary > 0 and replica == 0
    assert Place.objects.using("default").get(pk=place.pk).name == "Médiathèque"


def test_without_a_replica_everything_uses_the_primary(settings, client, place):
    settings.READ_REPLICAS = []
    response, primary, replica = _queries_by_alias(lambda: client.get("/lieux/"))
    assert response.status_code == 200
    assert primary > 0 and replica == 0


def test_the_replica_is_never_migrated():
    router = PrimaryReplicaRouter()
    assert router.allow_migrate("replica", "places") is False
    assert router.allow_migrate("default", "places") is None


def test_replica_url_mirrors_the_default_database_in_tests():
    config = _replica("DATABASE_REPLICA_URL", "postgres://reader@replica.internal:5432/lieux")
    assert config["HOST"] == "replica.internal"
    assert config["TEST"] == {"MIRROR": "default"}
    assert _replica("DATABASE_REPLICA_URL", "") is None
