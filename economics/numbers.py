"""Amounts typed by people and amounts shown to them, in French or English notation.

`parse_decimal` reads `1 500,50`, `1500.50`, `1 500`, `1,500.50` or `1.500,50` and refuses
what could mean two things (`1,500`, `1.500`: see docs/decisions/0018-decimal-input.md).
`format_amount` and friends write a figure the way the reader's language does, through
Babel, so pages, CSV files and charts agree.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

# Spaces people (and spreadsheets, and Babel's French output) put between thousands.
_SPACES = re.compile(r"[ \u00a0\u202f\u2009\u2007']")
_CURRENCY = re.compile(r"\s*(?:€|eur|euros?)\s*$", re.IGNORECASE)


def _grouped(digits: str, sep: str) -> bool:
    return bool(re.fullmatch(r"\d{1,3}(?:" + re.escape(sep) + r"\d{3})+", digits))


def parse_decimal(text: str) -> Decimal:
    """A Decimal from a number written the French or the English way.

    Thousands may be separated by spaces (ordinary, non-breaking or narrow) or by the
    separator that is not the decimal one; a lone `,` or `.` followed by exactly three
    digits is refused as ambiguous. Raises ValidationError with a message saying why.
    """
    raw = (text or "").strip()
    value = _CURRENCY.sub("", raw)
    sign = ""
    if value[:1] in "+-" and value:
        sign, value = value[0], value[1:].strip()
    if _SPACES.search(value):
        # Spaces separate thousands: the one comma or point left is the decimal separator.
        match = re.fullmatch(r"([\d \u00a0\u202f\u2009\u2007']+)(?:([,.])(\d*))?", value)
        groups = _SPACES.split(match[1]) if match else []
        if not groups or not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise ValidationError(
                _("“%(raw)s”: spaces may only separate thousands, as in 1 500,50."),
                code="bad_grouping",
                params={"raw": raw},
            )
        value = "".join(groups) + (f".{match[3]}" if match[2] else "")
    commas, points = value.count(","), value.count(".")
    if commas and points:
        decimal_sep = "," if value.rfind(",") > value.rfind(".") else "."
        group_sep = "." if decimal_sep == "," else ","
        integer, _sep, fraction = value.rpartition(decimal_sep)
        if integer.count(decimal_sep) or not _grouped(integer, group_sep):
            raise ValidationError(
                _("“%(raw)s” mixes commas and points in a way that is not a number."),
                code="invalid",
                params={"raw": raw},
            )
        value = integer.replace(group_sep, "") + "." + fraction
    elif commas or points:
        sep = "," if commas else "."
        integer, _sep, fraction = value.rpartition(sep)
        if (commas or points) > 1:
            if not _grouped(value, sep):
                raise ValidationError(
                    _("“%(raw)s” is not a number like 1 500,50 or 1500.50."),
                    code="invalid",
                    params={"raw": raw},
                )
            value = value.replace(sep, "")
        elif len(fraction) == 3 and integer[:1] not in ("", "0") and len(integer) <= 3:
            # 1,500 is one thousand five hundred in English and one and a half in French.
            raise ValidationError(
                _(
                    "“%(raw)s” is ambiguous: write %(thousands)s for thousands or "
                    "%(decimal)s for a decimal number."
                ),
                code="ambiguous",
                params={
                    "raw": raw,
                    "thousands": f"{integer} {fraction}",
                    "decimal": f"{integer},{fraction.rstrip('0') or '0'}",
                },
            )
        else:
            value = f"{integer}.{fraction}"
    if not re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", value):
        raise ValidationError(
            _("“%(raw)s” is not a number like 1 500,50 or 1500.50."),
            code="invalid",
            params={"raw": raw},
        )
    try:
        return Decimal(sign + value)
    except InvalidOperation:  # pragma: no cover - the pattern above already refused it
        raise ValidationError(_("Enter a number."), code="invalid") from None


def current_locale(language: str | None = None) -> str:
    code = (language or translation.get_language() or "fr").split("-")[0]
    return "fr_FR" if code == "fr" else "en_GB" if code == "en" else code


def format_amount(value, *, language: str | None = None, places: int = 2, grouping=True) -> str:
    """`1 500,50` in French, `1,500.50` in English; '' for None."""
    if value is None or value == "":
        return ""
    pattern = ("#,##0" if grouping else "0") + ("." + "0" * places if places else "")
    return format_decimal(Decimal(str(value)), format=pattern, locale=current_locale(language))


def format_money(value, *, language: str | None = None, places: int = 2) -> str:
    """An amount in euros: `1 500,50 €` in French, `€1,500.50` in English."""
    if value is None or value == "":
        return ""
    number = format_amount(value, language=language, places=places)
    if current_locale(language).startswith("fr"):
        return f"{number}\u00a0€"
    return f"€{number}"


def format_number(value, *, language: str | None = None, places: int = 2) -> str:
    """A figure that is not money (hours, m², ratios): up to `places` decimals, grouped."""
    if value is None or value == "":
        return ""
    pattern = "#,##0" + ("." + "#" * places if places else "")
    return format_decimal(Decimal(str(value)), format=pattern, locale=current_locale(language))
