"""Standing users and clients shared by every test module.

Three standing users, as the house rules ask: a registry admin and a place manager of the
city organisation, and an outsider who belongs to another organisation.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from places.models import Role
from tests.factories import MembershipFactory, OrganisationFactory, PlaceFactory, UserFactory

PASSWORD = "correct-horse-battery"


@pytest.fixture
def organisation(db):
    return OrganisationFactory(slug="ville-de-lyon", name="Ville de Lyon")


@pytest.fixture
def other_organisation(db):
    return OrganisationFactory(slug="autre-ville", name="Autre ville")


@pytest.fixture
def registry_admin(organisation):
    user = UserFactory(username="admin")
    MembershipFactory(user=user, organisation=organisation, role=Role.REGISTRY_ADMIN)
    return user


@pytest.fixture
def place_manager(organisation):
    user = UserFactory(username="manager")
    MembershipFactory(user=user, organisation=organisation, role=Role.PLACE_MANAGER)
    return user


@pytest.fixture
def viewer(organisation):
    user = UserFactory(username="viewer")
    MembershipFactory(user=user, organisation=organisation, role=Role.VIEWER)
    return user


@pytest.fixture
def outsider(other_organisation):
    """Staff of another organisation: signed in, but no right on our places."""
    user = UserFactory(username="outsider")
    MembershipFactory(user=user, organisation=other_organisation, role=Role.REGISTRY_ADMIN)
    return user


@pytest.fixture
def managed_place(organisation, place_manager):
    place = PlaceFactory(organisation=organisation, name="Médiathèque Jean Macé")
    place.managers.add(place_manager)
    return place


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """A cheap hasher for the test run: PBKDF2 at production strength costs about a second
    per user on the CI machine, and every standing user above hashes a password. The tests
    that sign in with a password still check it through the same auth machinery."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A "replica" alias mirroring the test database, as DATABASE_REPLICA_URL would add. It
    takes traffic only where a test turns READ_REPLICAS on (tests/test_replica.py)."""
    if "replica" not in settings.DATABASES:
        settings.DATABASES["replica"] = {
            **settings.DATABASES["default"],
            "TEST": {"MIRROR": "default"},
        }


# The local Redis server of the development and CI machines (`make redis` starts it). Each
# test that uses it writes under a key prefix of its own and deletes its keys afterwards, so
# parallel runs (SQLite and PostgreSQL side by side) never see each other's counters.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"no Redis server at {REDIS_URL} ({exc}); `make redis` starts one"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix for one test; its keys are removed when the test ends."""
    import redis

    prefix = f"lp-test-{uuid.uuid4().hex[:16]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def cache_settings(url: str, prefix: str = "") -> dict:
    """CACHES as config.settings builds them from CACHE_URL and CACHE_KEY_PREFIX."""
    from config.settings import _cache

    caches = _cache("CACHE_URL", url)
    caches["default"]["KEY_PREFIX"] = prefix
    return caches


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings) -> str:
    """Run the test once with a per-process cache and once with the shared Redis cache."""
    if request.param == "redis":
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        settings.CACHES = cache_settings(url, prefix)
    else:
        settings.CACHES = cache_settings("locmem://")
        settings.CACHES["default"]["LOCATION"] = f"test-{uuid.uuid4().hex}"
    return request.param


@pytest.fixture(autouse=True)
def _no_precomputed_filter_choices():
    """Each test starts without the search's stored filter choices: the cache outlives the
    rolled-back data of the previous test."""
    from django.core.cache import cache

    from places.filter_choices import KEY

    cache.delete(KEY)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _static_files_from_finders(settings):
    """Pages render {% static %} without a collectstatic run (no manifest in tests)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def _client_for(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client_(client, registry_admin):
    client.force_login(registry_admin)
    return client


@pytest.fixture
def manager_client(registry_admin, place_manager):
    from django.test import Client

    return _client_for(Client, place_manager)


@pytest.fixture
def viewer_client(viewer):
    from django.test import Client

    return _client_for(Client, viewer)


@pytest.fixture
def outsider_client(outsider):
    from django.test import Client

    return _client_for(Client, outsider)


def _shared_data_candidates() -> list[Path]:
    """Where the real open-data files may be: $SHARED_DATA_DIR, then ../shared/data beside
    the project, then beside the local checkout this one was cloned from (a clean clone made
    elsewhere for a CI run still finds the files of the machine)."""
    base = Path(settings.BASE_DIR)
    candidates = [Path(os.environ["SHARED_DATA_DIR"])] if os.environ.get("SHARED_DATA_DIR") else []
    candidates.append(base.parent / "shared" / "data")
    try:
        origin = subprocess.run(
            ["git", "-C", str(base), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except OSError:
        origin = ""
    if origin.startswith("file://"):
        origin = origin.removeprefix("file://")
    if origin.startswith("/"):
        candidates.append(Path(origin).parent / "shared" / "data")
    return candidates


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real open-data files described in ../shared/data/SOURCES.md."""
    candidates = _shared_data_candidates()
    for folder in candidates:
        if (folder / "SOURCES.md").is_file():
            return folder
    pytest.skip(
        "the shared open-data folder is absent on this machine (looked in: "
        + ", ".join(str(c) for c in candidates)
        + "; set SHARED_DATA_DIR)"
    )
