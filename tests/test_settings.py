"""Configuration from the environment: malformed values stop start-up, the docs list them all.

Each start-up case imports `config.settings` in a fresh interpreter with a modified
environment, as a server process would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import get
from config.settings import VARIABLES

ROOT = Path(__file__).resolve().parent.parent
NAMES = [var.name for var in VARIABLES]


def _start(**overrides: str | None) -> subprocess.CompletedProcess:
    """Import the settings with a production-like environment plus `overrides` (None unsets)."""
    env = {key: value for key, value in os.environ.items() if key not in NAMES}
    env.update({"DEBUG": "0", "SECRET_KEY": "test-only-secret", "SECURE_SSL_REDIRECT": "0"})
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _last_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_a_valid_environment_starts():
    done = _start()
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("EMAIL_PORT", "abc"),
        ("EMAIL_USE_TLS", "sometimes"),
        ("TIME_ZONE", "Mars/Olympus"),
        ("LANGUAGE_CODE", "de"),
        ("DATABASE_URL", "mysql://user:pw@localhost/lieux"),
        ("DATABASE_URL", "not a url at all"),
        ("CSRF_TRUSTED_ORIGINS", "lieux.example.fr"),
        ("CSRF_TRUSTED_ORIGINS", "https://ok.example.fr,lieux.example.fr"),
        ("SECURE_SSL_REDIRECT", "perhaps"),
        ("SECURE_HSTS_SECONDS", "one year"),
        ("SECURE_HSTS_PRELOAD", "2"),
        ("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO"),
        ("GEOCODER_URL", "api-adresse.data.gouv.fr"),
        ("GEOCODER_TIMEOUT", "five"),
    ],
)
def test_malformed_value_stops_start_up_naming_the_variable(name, value):
    done = _start(**{name: value})
    assert done.returncode != 0
    message = _last_line(done.stderr)
    assert "EnvError" in message
    assert name in message


@pytest.mark.parametrize("secret", [None, ""])
def test_secret_key_is_required_when_debug_is_off(secret):
    done = _start(SECRET_KEY=secret)
    assert done.returncode != 0
    message = _last_line(done.stderr)
    assert "SECRET_KEY is required when DEBUG is off" in message


def test_debug_runs_without_secret_key():
    done = _start(DEBUG="1", SECRET_KEY=None)
    assert done.returncode == 0, done.stderr


def test_empty_values_leave_derived_defaults():
    """`.env.example` copied as is keeps the production hardening on."""
    script = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, "
        "settings.SECURE_HSTS_PRELOAD, sep='|')"
    )
    env = {key: value for key, value in os.environ.items() if key not in NAMES}
    env.update(dict(_env_example()))
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "test-only-secret"})
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().split("|") == ["True", "31536000", "True"]


def test_values_are_read():
    script = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.DEBUG, settings.EMAIL_PORT, settings.TIME_ZONE, settings.LANGUAGE_CODE, "
        "settings.GEOCODER_URL, settings.GEOCODER_TIMEOUT, settings.SECURE_PROXY_SSL_HEADER, "
        "settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_PRELOAD, sep='|')"
    )
    env = {key: value for key, value in os.environ.items() if key not in NAMES}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "off",
            "SECRET_KEY": "test-only-secret",
            "EMAIL_PORT": " 587 ",
            "TIME_ZONE": "America/Cayenne",
            "LANGUAGE_CODE": "en",
            "GEOCODER_URL": "https://api-adresse.data.gouv.fr/",
            "GEOCODER_TIMEOUT": "2.5",
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO, https",
            "SECURE_HSTS_SECONDS": "3600",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().split("|") == [
        "False",
        "587",
        "America/Cayenne",
        "en",
        "https://api-adresse.data.gouv.fr",
        "2.5",
        "('HTTP_X_FORWARDED_PROTO', 'https')",
        "3600",
        # Preload only makes sense with a year of HSTS.
        "False",
    ]


def _env_example() -> list[tuple[str, str]]:
    pairs = []
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f".env.example: {line!r} is not NAME=value"
        pairs.append((name.strip(), value))
    return pairs


def test_env_example_lists_exactly_the_variables():
    assert [name for name, _value in _env_example()] == NAMES


def test_env_example_values_are_accepted(monkeypatch):
    variables = {var.name: var for var in VARIABLES}
    for name, value in _env_example():
        monkeypatch.setenv(name, value)
        get(variables[name])  # raises EnvError on a value the settings would refuse


def _readme_table() -> dict[str, list[str]]:
    """{variable: cells} of the README's configuration table."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\|\s*`([A-Z_]+)`\s*\|(.*)\|\s*$", line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is listed twice"
            rows[match.group(1)] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def test_readme_table_lists_exactly_the_variables():
    assert list(_readme_table()) == NAMES


def test_readme_table_gives_the_defaults():
    rows = _readme_table()
    for var in VARIABLES:
        if var.default and var.name != "DATABASE_URL":  # that one is an absolute path
            assert rows[var.name][0] == f"`{var.default}`", var.name
    for var in VARIABLES:
        assert rows[var.name][1], f"{var.name} has no meaning in the README"
