"""One rule for every CSV the product writes: no cell may start a spreadsheet formula.

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a
formula by spreadsheets (CSV injection: `=HYPERLINK(...)`, `=cmd|...`), so it is written
with a leading apostrophe, which spreadsheets show as plain text. Two exceptions keep
figures readable: numbers (int, float, Decimal) are never touched, and a text cell made
only of digits, spaces and `+-.,()/` (a negative amount "-12,50", a phone number
"+33 4 72 10 30 30") is left as it is: without a letter it can name no function and no
cell, so it cannot do harm (docs/decisions/0022-registry-export.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_FIGURE = re.compile(r"[+-][0-9 .,()/+\-]*")


def safe_cell(value: Any) -> Any:
    """The value to write in a CSV cell: text that could start a formula gets a `'`."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_FIGURE.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]
