"""Standing users and clients shared by every test module.

Three standing users, as the house rules ask: a registry admin and a place manager of the
city organisation, and an outsider who belongs to another organisation.
"""

from __future__ import annotations

import os
import subprocess
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
