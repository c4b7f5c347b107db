"""Validators for French identifiers and codes used by the registry."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# La Poste's establishments break the Luhn rule; INSEE documents the exception: for SIREN
# 356000000 the sum of the digits is a multiple of 5 instead. Its head office
# (35600000000048) keeps an ordinary Luhn key, so either rule is accepted there.
LA_POSTE_SIREN = "356000000"


def validate_siret(value: str) -> None:
    if not re.fullmatch(r"\d{14}", value or ""):
        raise ValidationError(_("A SIRET has exactly 14 digits."), code="siret_format")
    if value.startswith(LA_POSTE_SIREN) and sum(int(c) for c in value) % 5 == 0:
        return
    if not luhn_ok(value):
        raise ValidationError(
            _("This SIRET's check digit is wrong (Luhn checksum): check for a typo."),
            code="siret_checksum",
        )


def validate_rna(value: str) -> None:
    if not re.fullmatch(r"W\d{9}", value or ""):
        raise ValidationError(
            _("An RNA number is the letter W followed by 9 digits, e.g. W751234567."),
            code="rna_format",
        )


def validate_legal_id(value: str) -> None:
    """A place's legal identifier: a SIRET (14 digits) or an RNA number (W + 9 digits)."""
    value = (value or "").replace(" ", "")
    if value.upper().startswith("W"):
        validate_rna(value.upper())
    else:
        validate_siret(value)


def validate_postcode(value: str) -> None:
    if not re.fullmatch(r"\d{5}", value or ""):
        raise ValidationError(_("A French postcode has 5 digits, e.g. 69003."), code="postcode")


def validate_insee_code(value: str) -> None:
    # Communes: 2 digits for the department (2A/2B in Corsica) then 3 digits; overseas 97x.
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{3}", value or ""):
        raise ValidationError(
            _("An INSEE commune code has 5 characters, e.g. 69123 or 2A004."),
            code="insee_code",
        )
