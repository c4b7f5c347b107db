"""Schéma des lieux de médiation numérique (the 2023 layout): JSON and CSV.

Keys and separators follow the later files of the Cartographie nationale (for instance
20230517-hub-du-sud-….json): multi-valued fields joined by "|", `courriels`,
`frais_a_charge`, `code_insee`. Our importer (`import_places --format lmn`) reads the JSON
back; the CSV reads back with `--format csv` and LMN_CSV_IMPORT_MAPPING.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from api.exports.source import SOURCE, PlaceBundle, iter_bundles, osm_hours, utc_date
from api.exports.writers import csv_rows, json_array
from places.models import Typology
from services.models import ServiceOffer

COLUMNS = (
    "id",
    "nom",
    "services",
    "pivot",
    "commune",
    "code_postal",
    "adresse",
    "code_insee",
    "latitude",
    "longitude",
    "telephone",
    "site_web",
    "horaires",
    "courriels",
    "labels_nationaux",
    "frais_a_charge",
    "prise_rdv",
    "source",
    "date_maj",
)

# The schema's service list (services de médiation numérique), reached from the
# data·inclusion thematiques of our service kinds.
SERVICES_BY_THEMATIQUE = {
    "numerique--acceder-a-une-connexion-internet": "Accès internet et matériel informatique",
    "numerique--acquerir-un-equipement": "Acquisition de matériel informatique à prix solidaire",
    "numerique--acceder-a-des-services-en-ligne": "Aide aux démarches administratives",
    "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives": (
        "Aide aux démarches administratives"
    ),
    "numerique--maitriser-les-fondamentaux-du-numerique": (
        "Maîtrise des outils numériques du quotidien"
    ),
    "famille--soutien-a-la-parentalite-et-a-leducation": (
        "Parentalité et éducation avec le numérique"
    ),
}
SERVICES_BY_PREFIX = {
    "preparer-sa-candidature--": "Insertion professionnelle via le numérique",
    "trouver-un-emploi--": "Insertion professionnelle via le numérique",
    "creer-une-entreprise--": "Insertion professionnelle via le numérique",
}
FEES = {ServiceOffer.Fees.FREE: "Gratuit", ServiceOffer.Fees.PAID: "Payant"}
FRANCE_SERVICES_LABEL = "France Services"

# How `import_places --format csv --mapping FILE` reads the CSV export back.
LMN_CSV_IMPORT_MAPPING = {
    "id": "id",
    "name": "nom",
    "address": "adresse",
    "postcode": "code_postal",
    "commune": "commune",
    "insee_code": "code_insee",
    "latitude": "latitude",
    "longitude": "longitude",
    "phone": "telephone",
    "email": "courriels",
    "website": "site_web",
    "legal_id": "pivot",
    "opening_hours": "horaires",
    "source": "lmn-csv",
}


def lmn_services(offers: Iterable[ServiceOffer]) -> list[str]:
    """The schema's service names the offers cover, in a stable (alphabetical) order."""
    found = set()
    for offer in offers:
        for code in offer.kind.data_inclusion_thematiques or []:
            if code in SERVICES_BY_THEMATIQUE:
                found.add(SERVICES_BY_THEMATIQUE[code])
            for prefix, name in SERVICES_BY_PREFIX.items():
                if code.startswith(prefix):
                    found.add(name)
    return sorted(found)


def labels(bundle: PlaceBundle) -> list[str]:
    france_services = any(
        t.code == Typology.Code.FRANCE_SERVICES for t in bundle.typologies
    ) or any(n.slug == "france-services" for n in bundle.networks)
    return [FRANCE_SERVICES_LABEL] if france_services else []


def record(bundle: PlaceBundle) -> dict[str, Any]:
    """One place in the 2023 layout; every column present, empty ones as None."""
    place = bundle.place
    fees = sorted({FEES[o.fees] for o in bundle.offers if o.fees in FEES})
    appointment = next((o.appointment_url for o in bundle.offers if o.appointment_url), "")
    return {
        "id": str(place.public_id),
        "nom": place.name,
        "services": "|".join(lmn_services(bundle.offers)) or None,
        "pivot": place.legal_id or None,
        "commune": place.commune or None,
        "code_postal": place.postcode or None,
        "adresse": place.address or None,
        "code_insee": place.insee_code or None,
        "latitude": float(place.latitude) if place.latitude is not None else None,
        "longitude": float(place.longitude) if place.longitude is not None else None,
        "telephone": place.phone or None,
        "site_web": place.website or None,
        "horaires": osm_hours(bundle.schedule),
        "courriels": place.email or None,
        "labels_nationaux": "|".join(labels(bundle)) or None,
        "frais_a_charge": "|".join(fees) or None,
        "prise_rdv": appointment or None,
        "source": SOURCE,
        "date_maj": utc_date(
            place.updated_at, bundle.schedule.updated_at if bundle.schedule else None
        ).isoformat(),
    }


def records(bundles: Iterable[PlaceBundle]) -> Iterator[dict[str, Any]]:
    return (record(b) for b in bundles)


def export_json(queryset=None, *, chunk_size: int | None = None) -> Iterator[str]:
    """A JSON array as the Cartographie nationale publishes: empty keys left out."""
    rows = (
        {k: v for k, v in r.items() if v is not None}
        for r in records(_bundles(queryset, chunk_size))
    )
    return json_array(rows)


def export_csv(queryset=None, *, chunk_size: int | None = None) -> Iterator[str]:
    return csv_rows(COLUMNS, records(_bundles(queryset, chunk_size)))


def _bundles(queryset, chunk_size):
    return iter_bundles(queryset, **({"chunk_size": chunk_size} if chunk_size else {}))
