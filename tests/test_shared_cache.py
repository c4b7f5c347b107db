"""The shared cache (CACHE_URL=redis://...): rate limits and precomputed answers hold across
server processes.

Tests that need no second process run on both a per-process cache (locmem) and Redis; the
others start real Python processes configured as a server would be, against the local
Redis server, each run under a key prefix of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.cache import cache, caches

from config.env import EnvError
from config.settings import VARIABLES, _cache
from places.filter_choices import GENERATION_KEY, published_filter_choices
from tests.factories import PlaceFactory

ROOT = Path(__file__).resolve().parent.parent
CLIENT = "203.0.113.9"  # a documentation address


def test_a_redis_url_selects_djangos_redis_backend():
    config = _cache("CACHE_URL", "redis://127.0.0.1:6379/2")["default"]
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == "redis://127.0.0.1:6379/2"
    assert _cache("CACHE_URL", "rediss://cache.internal:6380/0")["default"]["LOCATION"]


@pytest.mark.parametrize("raw", ["redis://cache.internal:port/0", "memcached://127.0.0.1"])
def test_a_malformed_cache_url_names_the_variable(raw):
    with pytest.raises(EnvError, match="CACHE_URL"):
        _cache("CACHE_URL", raw)


def test_the_cache_key_prefix_refuses_spaces():
    variables = {var.name: var for var in VARIABLES}
    with pytest.raises(EnvError, match="CACHE_KEY_PREFIX"):
        variables["CACHE_KEY_PREFIX"].parser("CACHE_KEY_PREFIX", "two words")


def test_keys_carry_the_prefix(settings, redis_url, redis_prefix):
    import redis

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": redis_prefix,
        }
    }
    caches["default"].set("probe", 1)
    assert redis.Redis.from_url(redis_url).exists(f"{redis_prefix}:1:probe")


# ------------------------------------------------------------------ in one process


@pytest.mark.django_db
def test_the_api_rate_limit_counts_in_the_configured_cache(client, settings, cache_backend):
    settings.API_RATE_LIMITS = {"anonymous": "3/min", "partner": "100/min"}
    codes = [client.get("/api/v1/places/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.django_db
def test_the_suggestion_limit_counts_in_the_configured_cache(settings, cache_backend):
    from places.ratelimits import suggestion_over_limit as _over_limit

    settings.SUGGESTION_RATE_LIMIT = (2, 3600)
    assert [_over_limit(CLIENT) for _ in range(3)] == [False, False, True]


@pytest.mark.django_db
def test_the_filter_choices_live_in_the_configured_cache(organisation, cache_backend):
    PlaceFactory(organisation=organisation, commune="Lyon", insee_code="69123")
    assert published_filter_choices()[1] == [("69123", "Lyon")]
    assert cache.get(GENERATION_KEY) is not None


# ------------------------------------------------------------ across two processes


def _server_env(redis_url: str, prefix: str) -> dict[str, str]:
    """The environment of an app server sharing this Redis (no database is opened)."""
    names = {var.name for var in VARIABLES}
    env = {k: v for k, v in os.environ.items() if k not in names}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY="test-only-shared-secret",
        SECURE_SSL_REDIRECT="0",
        CACHE_URL=redis_url,
        CACHE_KEY_PREFIX=prefix,
    )
    return env


def _start(code: str, env: dict[str, str]) -> subprocess.Popen:
    script = "import django\ndjango.setup()\n" + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, "-c", script, CLIENT],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out.strip()


API_ATTEMPTS = """
    import sys

    from django.conf import settings
    from django.test import RequestFactory
    from api.throttling import AnonymousThrottle

    settings.API_RATE_LIMITS = {"anonymous": "6/hour"}
    request = RequestFactory().get("/api/v1/places/", REMOTE_ADDR=sys.argv[1])
    print(sum(AnonymousThrottle().allow_request(request, None) for _ in range(4)))
"""


def test_the_api_rate_limit_holds_across_two_processes(redis_url, redis_prefix):
    """Two app servers: the second is refused once the first has used most of the limit."""
    env = _server_env(redis_url, redis_prefix)
    first = _result(_start(API_ATTEMPTS, env))
    second = _result(_start(API_ATTEMPTS, env))
    assert (first, second) == ("4", "2")  # 6 an hour for that address, whichever server


SUGGESTION_ATTEMPTS = """
    import sys

    from django.conf import settings
    from places.ratelimits import suggestion_over_limit as _over_limit

    settings.SUGGESTION_RATE_LIMIT = (12, 3600)
    print(sum(not _over_limit(sys.argv[1]) for _ in range(10)))
"""


def test_the_suggestion_limit_holds_across_two_processes_at_once(redis_url, redis_prefix):
    """Counted with Redis's atomic increment: 12 of 20 attempts, however they interleave."""
    env = _server_env(redis_url, redis_prefix)
    processes = [_start(SUGGESTION_ATTEMPTS, env) for _ in range(2)]
    allowed = [int(_result(p)) for p in processes]
    assert sum(allowed) == 12


@pytest.mark.django_db
def test_a_write_on_one_server_reaches_the_answer_stored_by_another(
    settings, redis_url, redis_prefix, organisation
):
    """This process stores the filter choices; another process's write draws a new
    generation in Redis, so this process computes them again instead of serving its own."""
    from tests.conftest import cache_settings

    settings.CACHES = cache_settings(redis_url, redis_prefix)
    PlaceFactory(organisation=organisation, commune="Lyon", insee_code="69123")
    published_filter_choices()
    before = cache.get(GENERATION_KEY)
    _result(
        _start(
            """
            from places.filter_choices import forget_filter_choices
            forget_filter_choices()  # what a place write on that server ends with
            """,
            _server_env(redis_url, redis_prefix),
        )
    )
    assert cache.get(GENERATION_KEY) != before


@pytest.mark.django_db
def test_the_search_answers_while_the_cache_server_is_away(client, settings, organisation):
    """Nothing listens on port 1: the filter choices are read from the database instead."""
    from tests.conftest import cache_settings

    PlaceFactory(organisation=organisation, commune="Lyon", insee_code="69123")
    settings.CACHES = cache_settings("redis://127.0.0.1:1/0?socket_connect_timeout=1")
    assert published_filter_choices()[1] == [("69123", "Lyon")]
    response = client.get("/lieux/")
    assert response.status_code == 200
    assert 'value="69123"' in response.content.decode()
