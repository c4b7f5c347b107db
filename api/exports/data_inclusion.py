"""data·inclusion schema v1 (package `data-inclusion-schema` 1.0.10): structures and services.

One structure per published place, one service per offer available there. Every record
validates against the package's pydantic models `Structure` and `Service` (the tests
check each one). `typologie`, which schema v1 dropped, is kept as an extra key: v0
consumers and our own importer read it, and the v1 models ignore unknown keys.
See docs/decisions/0008-exports.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from api.exports.source import SOURCE, PlaceBundle, iter_bundles, osm_hours, schedule_of, utc_date
from api.exports.writers import json_array
from places.models import Typology
from services.models import AccessMode, Audience, ServiceOffer

# Our audiences as data·inclusion `publics`; associations have no equivalent.
PUBLICS = {
    Audience.ALL: "tous-publics",
    Audience.YOUNG: "jeunes",
    Audience.SENIORS: "seniors",
    Audience.JOB_SEEKERS: "demandeurs-emploi",
    Audience.FAMILIES: "familles",
    Audience.DISABLED: "personnes-en-situation-de-handicap",
    Audience.NEWCOMERS: "personnes-exilees",
    Audience.ENTREPRENEURS: "actifs",
}
FRAIS = {ServiceOffer.Fees.FREE: "gratuit", ServiceOffer.Fees.PAID: "payant"}
TYPES = {"information": "information", "partial": "accompagnement", "full": "accompagnement"}
# Typologies and networks that name a data·inclusion `reseaux_porteurs` value.
RESEAUX_BY_TYPOLOGY = {
    Typology.Code.FRANCE_SERVICES: "france-service",
    Typology.Code.EPN: "espaces-publics-numeriques",
    Typology.Code.MJC: "mjc",
}
RESEAUX_BY_NETWORK = {"france-services": "france-service"}
# data·inclusion v0 `typologie` of a France Services desk (Réseau France Services).
FRANCE_SERVICES_TYPOLOGIE = "RFS"
_SIRET = re.compile(r"^\d{14}$")


def _text(value: str, *, low: int, high: int) -> str | None:
    value = (value or "").strip()
    return value[:high] if len(value) >= low else None


def _name(name: str, fallback: str) -> str:
    """3 to 150 characters, not ending with a full stop (the schema warns about it)."""
    name = " ".join(name.split())
    if name.endswith(".") and not name.endswith("etc."):
        name = name.rstrip(".").rstrip()
    if len(name) < 3:
        name = f"{name} ({fallback})" if name else fallback
    return name[:150].rstrip()


def typologie(bundle: PlaceBundle) -> str | None:
    """The place's first typology (by position) that data·inclusion names, or None."""
    for typology in bundle.typologies:
        if typology.code == Typology.Code.FRANCE_SERVICES:
            return FRANCE_SERVICES_TYPOLOGIE
        if typology.data_inclusion:
            return typology.data_inclusion
    return None


def reseaux_porteurs(bundle: PlaceBundle) -> list[str] | None:
    found = {
        RESEAUX_BY_TYPOLOGY[t.code] for t in bundle.typologies if t.code in RESEAUX_BY_TYPOLOGY
    }
    found |= {RESEAUX_BY_NETWORK[n.slug] for n in bundle.networks if n.slug in RESEAUX_BY_NETWORK}
    return sorted(found) or None


def _location(place) -> dict[str, Any]:
    return {
        "commune": place.commune or None,
        "code_postal": place.postcode or None,
        "code_insee": place.insee_code or None,
        "adresse": place.address or None,
        "complement_adresse": None,
        "longitude": float(place.longitude) if place.longitude is not None else None,
        "latitude": float(place.latitude) if place.latitude is not None else None,
        "telephone": place.phone or None,
        "courriel": place.email or None,
    }


def structure(bundle: PlaceBundle) -> dict[str, Any]:
    """One place as a data·inclusion v1 structure (plus the v0 `typologie`)."""
    place = bundle.place
    location = _location(place)
    return {
        "source": SOURCE,
        "id": str(place.public_id),
        "nom": _name(place.name, place.commune or SOURCE),
        "date_maj": utc_date(
            place.updated_at, bundle.schedule.updated_at if bundle.schedule else None
        ).isoformat(),
        "description": _text(place.short_description or place.description, low=5, high=10000),
        "lien_source": None,
        "siret": place.legal_id if _SIRET.match(place.legal_id or "") else None,
        "commune": location["commune"],
        "code_postal": location["code_postal"],
        "code_insee": location["code_insee"],
        "adresse": location["adresse"],
        "complement_adresse": None,
        "longitude": location["longitude"],
        "latitude": location["latitude"],
        "telephone": location["telephone"],
        "courriel": location["courriel"],
        "site_web": place.website or None,
        "horaires_accueil": osm_hours(bundle.schedule),
        "accessibilite_lieu": place.acceslibre_url or None,
        "reseaux_porteurs": reseaux_porteurs(bundle),
        "typologie": typologie(bundle),
    }


def _publics(offer: ServiceOffer) -> list[str] | None:
    audiences = offer.audiences or []
    if Audience.ALL in audiences:
        return ["tous-publics"]  # the schema forbids it alongside other values
    return sorted({PUBLICS[a] for a in audiences if a in PUBLICS}) or None


def _mobilisation(offer: ServiceOffer, place) -> list[str] | None:
    modes = set()
    access = set(offer.access_modes or [])
    if AccessMode.WALK_IN in access:
        modes.add("se-presenter")
    if AccessMode.PHONE in access and place.phone:
        modes.add("telephoner")
    if access & {AccessMode.APPOINTMENT, AccessMode.ONLINE}:
        if offer.appointment_url:
            modes.add("utiliser-lien-mobilisation")
        elif place.phone:
            modes.add("telephoner")
    return sorted(modes) or None


def service_id(bundle: PlaceBundle, offer: ServiceOffer) -> str:
    """Stable as long as the offer lives: the place's UUID and the offer's number."""
    return f"{bundle.place.public_id}--{offer.pk}"


def service(bundle: PlaceBundle, offer: ServiceOffer) -> dict[str, Any]:
    """One offer at a place as a data·inclusion v1 service."""
    place = bundle.place
    kind_name = offer.kind.name
    description = _text(offer.description, low=5, high=10000) or _text(
        f"{kind_name} — {offer.provider.name}, {place.name}", low=5, high=10000
    )
    offer_schedule = schedule_of(offer)
    access = set(offer.access_modes or [])
    return {
        "source": SOURCE,
        "structure_id": str(place.public_id),
        "id": service_id(bundle, offer),
        "nom": _name(kind_name, offer.kind.slug),
        "description": description,
        "lien_source": None,
        "date_maj": utc_date(
            offer.updated_at, offer_schedule.updated_at if offer_schedule else None
        ).isoformat(),
        "type": TYPES.get(offer.level),
        "thematiques": sorted(offer.kind.data_inclusion_thematiques or []) or None,
        "frais": FRAIS.get(offer.fees),
        "frais_precisions": offer.fees_details or None,
        "publics": _publics(offer),
        "publics_precisions": None,
        "conditions_acces": None,
        **_location(place),
        "modes_accueil": sorted(
            {"en-presentiel"}
            | ({"a-distance"} if access & {AccessMode.PHONE, AccessMode.ONLINE} else set())
        ),
        "zone_eligibilite": None,
        "contact_nom_prenom": None,
        "lien_mobilisation": offer.appointment_url or None,
        "modes_mobilisation": _mobilisation(offer, place),
        "mobilisable_par": ["usagers"],
        "mobilisation_precisions": None,
        "volume_horaire_hebdomadaire": None,
        "nombre_semaines": None,
        "horaires_accueil": osm_hours(offer_schedule),
    }


def structures(bundles: Iterable[PlaceBundle]) -> Iterator[dict[str, Any]]:
    return (structure(b) for b in bundles)


def services(bundles: Iterable[PlaceBundle]) -> Iterator[dict[str, Any]]:
    return (service(b, o) for b in bundles for o in b.offers)


def export_structures(queryset=None, *, chunk_size: int | None = None) -> Iterator[str]:
    return json_array(structures(_bundles(queryset, chunk_size)))


def export_services(queryset=None, *, chunk_size: int | None = None) -> Iterator[str]:
    return json_array(services(_bundles(queryset, chunk_size)))


def _bundles(queryset, chunk_size):
    return iter_bundles(queryset, **({"chunk_size": chunk_size} if chunk_size else {}))
