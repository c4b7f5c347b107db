"""The time zone of a place: the one staff set, else the one of its department.

Opening rules are wall-clock times of the place, so every reading of them (the
materialised calendar, statuses, .ics, JSON-LD, the API) asks `place_zone_name` here.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Overseas departments and collectivities by the three-digit code their INSEE codes and
# postcodes start with; metropolitan departments use settings.TIME_ZONE.
DEPARTMENT_ZONES = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}

# Names of the territories, for messages ("the school calendar of La Réunion...").
DEPARTMENT_NAMES = {
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Réunion",
    "975": "Saint-Pierre-et-Miquelon",
    "976": "Mayotte",
    "977": "Saint-Barthélemy",
    "978": "Saint-Martin",
    "986": "Wallis-et-Futuna",
    "987": "Polynésie française",
    "988": "Nouvelle-Calédonie",
}


def department_code(insee_code: str | None, postcode: str | None) -> str | None:
    """The department of a commune, from its INSEE code, or else its postcode.

    Corsica is "2A"/"2B" from INSEE codes and "20" from a postcode; overseas codes use
    three digits (971...978, 986...988). Saint-Barthélemy and Saint-Martin share
    Guadeloupe's postcodes (971xx): only their INSEE codes (977xx, 978xx) tell them apart.
    """
    code = (insee_code or "").upper()
    if len(code) == 5:
        return code[:3] if code[:2] in ("97", "98") else code[:2]
    postcode = postcode or ""
    if len(postcode) == 5 and postcode.isdigit():
        return postcode[:3] if postcode[:2] in ("97", "98") else postcode[:2]
    return None


def is_overseas(department: str | None) -> bool:
    return department in DEPARTMENT_ZONES


def derived_zone_name(insee_code: str | None, postcode: str | None) -> str:
    """The zone a place has when staff did not set one: its department's, else the site's."""
    return DEPARTMENT_ZONES.get(department_code(insee_code, postcode) or "", settings.TIME_ZONE)


def zone_name_of(time_zone: str | None, insee_code: str | None, postcode: str | None) -> str:
    """`place_zone_name` from the three fields, for reads that load only those columns."""
    return time_zone or derived_zone_name(insee_code, postcode)


def place_zone_name(place) -> str:
    """The IANA name of the zone the place's opening rules are written in."""
    return zone_name_of(
        getattr(place, "time_zone", ""),
        getattr(place, "insee_code", ""),
        getattr(place, "postcode", ""),
    )


@lru_cache(maxsize=64)
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def place_zone(place) -> zoneinfo.ZoneInfo:
    """The zone of the place, as a tzinfo (see place_zone_name)."""
    return zone(place_zone_name(place))


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """An IANA time-zone name the server knows, e.g. "Indian/Reunion"."""
    if value and value not in _known_zones():
        raise ValidationError(
            _("Unknown time zone: give an IANA name such as Europe/Paris or Indian/Reunion."),
            code="time_zone",
        )
