"""Schéma des lieux de médiation numérique (the 2023 layout): JSON and CSV.

Keys and separators follow the later files of the Cartographie nationale (for instance
20230517-hub-du-sud-….json): multi-valued fields joined by "|", `courriels`,
`frais_a_charge`, `code_insee`. Values are the ones our importer's vocabulary reads
(api/imports/vocabulary.py), so `import_places --format lmn` reads the JSON back whole:
the same services (offers), labels (networks), fees, audiences, access and support; the
CSV reads back with `--format csv` and LMN_CSV_IMPORT_MAPPING (places only).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from api.exports.source import SOURCE, PlaceBundle, iter_bundles, osm_hours, utc_date
from api.exports.writers import csv_rows, json_array
from api.imports.vocabulary import FEES as IMPORT_FEES
from api.imports.vocabulary import normalize_value, split_values
from places.models import Typology
from services.models import AccessMode, Audience, ServiceOffer

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
    "labels_autres",
    "frais_a_charge",
    "publics_accueillis",
    "modalites_acces",
    "modalites_accompagnement",
    "prise_rdv",
    "presentation_resume",
    "presentation_detail",
    "source",
    "date_maj",
)

# The schema's service name of each kind our importer reads back from it (the inverse of
# api.imports.vocabulary.LMN_SERVICES, one name per kind).
SERVICES_BY_KIND = {
    "numerique-bases": "Maîtrise des outils numériques du quotidien",
    "demarches-en-ligne": "Aide aux démarches administratives",
    "acces-equipement": "Accès internet et matériel informatique",
    "formations": "Loisirs et créations numériques",
}
# National labels by network slug (the inverse of api.imports.vocabulary.LABELS);
# other networks are `labels_autres`, by name.
LABELS_BY_NETWORK = {
    "france-services": "France Services",
    "conseillers-numeriques": "CNFS",
    "aidants-connect": "Aidants Connect",
    "french-tech": "French Tech",
    "qpv": "QPV",
    "fabriques-de-territoire": "Fabriques de Territoire",
    "aptic": "APTIC",
    "campus-connecte": "Campus connecté",
    "grande-ecole-du-numerique": "Grande école du numérique",
    "france-tiers-lieux": "France Tiers-Lieux",
    "point-justice": "Point Justice",
    "relais-emploi": "Relais pour l'emploi",
}
PUBLICS = {
    Audience.ALL: "Tout public",
    Audience.YOUNG: "Jeunes (16-26 ans)",
    Audience.SENIORS: "Seniors (+ 65 ans)",
    Audience.FAMILIES: "Familles/enfants",
    Audience.DISABLED: "Personnes en situation de handicap",
    Audience.NEWCOMERS: "Personnes étrangères",
    Audience.JOB_SEEKERS: "Demandeurs d'emploi",
}
ACCESS = {
    AccessMode.WALK_IN: "Se présenter",
    AccessMode.PHONE: "Téléphoner",
    AccessMode.ONLINE: "Contacter par mail",
    AccessMode.APPOINTMENT: "Prendre un RDV en ligne",
}

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
FEES = {
    ServiceOffer.Fees.FREE: "Gratuit",
    ServiceOffer.Fees.PAID: "Payant",
    ServiceOffer.Fees.CONDITIONS: "Gratuit sous condition",
}
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
    "short_description": "presentation_resume",
    "description": "presentation_detail",
    "source": "lmn-csv",
}


def lmn_services(offers: Iterable[ServiceOffer]) -> list[str]:
    """The schema's service names the offers cover, in a stable (alphabetical) order: the
    kind's own name when the importer reads it back, else the names its data·inclusion
    thematiques reach."""
    found = set()
    for offer in offers:
        if offer.kind.slug in SERVICES_BY_KIND:
            found.add(SERVICES_BY_KIND[offer.kind.slug])
            continue
        for code in offer.kind.data_inclusion_thematiques or []:
            if code in SERVICES_BY_THEMATIQUE:
                found.add(SERVICES_BY_THEMATIQUE[code])
            for prefix, name in SERVICES_BY_PREFIX.items():
                if code.startswith(prefix):
                    found.add(name)
    return sorted(found)


def labels(bundle: PlaceBundle) -> list[str]:
    """National labels: the place's networks the schema names, France Services also from
    the typology."""
    found = {LABELS_BY_NETWORK[n.slug] for n in bundle.networks if n.slug in LABELS_BY_NETWORK}
    if any(t.code == Typology.Code.FRANCE_SERVICES for t in bundle.typologies):
        found.add(FRANCE_SERVICES_LABEL)
    return sorted(found)


def other_labels(bundle: PlaceBundle) -> list[str]:
    return sorted(n.name for n in bundle.networks if n.slug not in LABELS_BY_NETWORK)


def fees(offers: Iterable[ServiceOffer]) -> list[str]:
    """The offers' fees in the schema's words; details that are such words are kept
    ("Gratuit, Payant" for "it depends", "Adhésion")."""
    found = set()
    for offer in offers:
        details = split_values(offer.fees_details, r"[|;]|,\s+")
        if details and all(normalize_value(d) in IMPORT_FEES for d in details):
            found.update(details)
        elif offer.fees in FEES:
            found.add(FEES[offer.fees])
    return sorted(found)


def _joined(values: Iterable[str]) -> str | None:
    return "|".join(values) or None


def support(offers: Iterable[ServiceOffer]) -> list[str]:
    """How the help is given: the offers' descriptions, which the importer fills from it."""
    found: list[str] = []
    for offer in offers:
        for part in split_values(offer.description, r"[|;]|,\s+"):
            if part not in found:
                found.append(part)
    return found


def record(bundle: PlaceBundle) -> dict[str, Any]:
    """One place in the 2023 layout; every column present, empty ones as None."""
    place = bundle.place
    offers = bundle.offers
    appointment = next((o.appointment_url for o in offers if o.appointment_url), "")
    audiences = {a for o in offers for a in (o.audiences or [])}
    access = {m for o in offers for m in (o.access_modes or [])}
    if appointment:
        access.discard(AccessMode.APPOINTMENT)  # `prise_rdv` says it
    return {
        "id": str(place.public_id),
        "nom": place.name,
        "services": _joined(lmn_services(offers)),
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
        "labels_nationaux": _joined(labels(bundle)),
        "labels_autres": _joined(other_labels(bundle)),
        "frais_a_charge": _joined(fees(offers)),
        "publics_accueillis": _joined(sorted(PUBLICS[a] for a in audiences if a in PUBLICS)),
        "modalites_acces": _joined(sorted(ACCESS[m] for m in access if m in ACCESS)),
        "modalites_accompagnement": _joined(support(offers)),
        "prise_rdv": appointment or None,
        "presentation_resume": place.short_description or None,
        "presentation_detail": place.description or None,
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
