"""Read settings from environment variables, failing loudly on malformed values.

Every variable the project reads is declared here once, with its default, so that
`.env.example` and the README table can be checked against this module in the tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class EnvError(ImproperlyConfigured):
    """A variable is set to something the project cannot use."""


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise EnvError(f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off.")


def parse_int(name: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not a whole number.") from None


def parse_float(name: str, raw: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise EnvError(f"{name}={raw!r} is not a number.") from None


def parse_list(name: str, raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_str(name: str, raw: str) -> str:
    return raw


@dataclass(frozen=True)
class Var:
    name: str
    default: str | None
    parser: Callable[[str, str], Any]
    help: str


def get(var: Var) -> Any:
    raw = os.environ.get(var.name)
    # An empty value means "not set" for the variables whose default is derived from
    # others: `SECURE_SSL_REDIRECT=` copied from .env.example must not turn HTTPS off.
    if raw is None or (var.default is None and not raw.strip()):
        raw = var.default
    if raw is None:
        return None
    return var.parser(var.name, raw)
