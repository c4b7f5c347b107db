"""The open-data files' vocabularies, mapped to the registry's own: kept as data.

Every value met in the real files (../shared/data, measured in docs/imports.md) has an
entry. A value mapped to None, or absent, has no equivalent in the registry: the import
keeps it verbatim as provenance (api.models.ImportedValue) and counts it in the report
(warning `value_unmapped`). Keys are compared after `normalize_value` (case, accents and
dashes kept apart from spacing), so "Gratuit" and "gratuit " are the same value.
"""

from __future__ import annotations

import re

from services.models import AccessMode, Audience, ServiceOffer

OWN_PROVIDER = "own"  # the importing organisation's own provider: the place runs it itself


def normalize_value(value: str) -> str:
    return " ".join(value.casefold().replace("-", " ").split())


def _table(pairs: dict) -> dict:
    return {normalize_value(k): v for k, v in pairs.items()}


# Lieux de médiation numérique `services` (2022 and 2023 layouts; a few later ones) ->
# service kind slug of the catalogue (services/migrations/0002_seed_catalogue.py).
LMN_SERVICES = _table(
    {
        # 2022 layout (cnfs file): four values, all about learning to use digital tools.
        "Prendre en main un smartphone ou une tablette": "numerique-bases",
        "Prendre en main un ordinateur": "numerique-bases",
        "Utiliser le numérique au quotidien": "numerique-bases",
        "Approfondir ma culture numérique": "numerique-bases",
        # 2023 layout (hub du sud file).
        "Compréhension du monde numérique": "numerique-bases",
        "Maîtrise des outils numériques du quotidien": "numerique-bases",
        "Utilisation sécurisée du numérique": "numerique-bases",
        "Aide aux démarches administratives": "demarches-en-ligne",
        "Accès internet et matériel informatique": "acces-equipement",
        "Loisirs et créations numériques": "formations",
        # No kind of the catalogue says this: the only employment kind is France
        # Travail's own desk, and a mediator is not France Travail. Kept as provenance
        # until the registry's admins add a kind (then map it here).
        "Insertion professionnelle via le numérique": None,
        "Parentalité et éducation avec le numérique": None,
        "Acquisition de matériel informatique à prix solidaire": None,
    }
)

# `labels_nationaux` (and `labels_autres`) -> (network slug, network name).
FRANCE_SERVICES = ("france-services", "France Services")
CNFS = ("conseillers-numeriques", "Conseillers numériques France Services")
LABELS = _table(
    {
        "CNFS": CNFS,
        "Conseillers numériques": CNFS,
        "Conseiller numérique": CNFS,
        "France Services": FRANCE_SERVICES,
        "France Service": FRANCE_SERVICES,
        "Aidants Connect": ("aidants-connect", "Aidants Connect"),
        "French Tech": ("french-tech", "French Tech"),
        "QPV": ("qpv", "Quartier prioritaire de la politique de la ville (QPV)"),
        "Fabriques de Territoire": ("fabriques-de-territoire", "Fabriques de territoire"),
        "Fabrique de Territoire": ("fabriques-de-territoire", "Fabriques de territoire"),
        "APTIC": ("aptic", "APTIC (Pass numérique)"),
        "Pass numérique": ("aptic", "APTIC (Pass numérique)"),
        "Campus connecté": ("campus-connecte", "Campus connecté"),
        "Grande école du numérique": ("grande-ecole-du-numerique", "Grande école du numérique"),
        "France Tiers-Lieux": ("france-tiers-lieux", "France Tiers-Lieux"),
        "Point Justice": ("point-justice", "Point-justice"),
        "Relais pour l'emploi": ("relais-emploi", "Relais pour l'emploi"),
    }
)

# `conditions_access` (2022) / `frais_a_charge` (2023) -> (fees, details when needed).
FEES = _table(
    {
        "Gratuit": (ServiceOffer.Fees.FREE, ""),
        "Payant": (ServiceOffer.Fees.PAID, ""),
        "Gratuit sous condition": (ServiceOffer.Fees.CONDITIONS, "Gratuit sous condition"),
        "Adhésion": (ServiceOffer.Fees.PAID, "Adhésion"),
        "Pass numérique": (ServiceOffer.Fees.CONDITIONS, "Pass numérique"),
        "Accepte le Pass numérique": (ServiceOffer.Fees.CONDITIONS, "Pass numérique"),
    }
)

# `publics_accueillis`, `publics_specifiquement_adresses` -> audience of the offers.
AUDIENCES = _table(
    {
        "Tout public": Audience.ALL,
        "Jeunes (16-26 ans)": Audience.YOUNG,
        "Jeunes": Audience.YOUNG,
        "Seniors (+ 65 ans)": Audience.SENIORS,
        "Seniors": Audience.SENIORS,
        "Familles/enfants": Audience.FAMILIES,
        "Familles": Audience.FAMILIES,
        "Parents": Audience.FAMILIES,
        "Personnes en situation de handicap": Audience.DISABLED,
        "Handicaps": Audience.DISABLED,
        "Langues étrangères": Audience.NEWCOMERS,
        "Personnes étrangères": Audience.NEWCOMERS,
        "Demandeurs d'emploi": Audience.JOB_SEEKERS,
        # No audience of the registry names adults as such (absent audiences mean
        # everyone): kept as provenance.
        "Adultes": None,
    }
)

# `modalites_acces` -> access modes of the offers.
ACCESS_MODES = _table(
    {
        "se-presenter": AccessMode.WALK_IN,
        "Se présenter": AccessMode.WALK_IN,
        "telephoner": AccessMode.PHONE,
        "Téléphoner": AccessMode.PHONE,
        "envoyer-un-mail": AccessMode.ONLINE,
        "Contacter par mail": AccessMode.ONLINE,
        "en-ligne": AccessMode.ONLINE,
        "Prendre un RDV en ligne": AccessMode.APPOINTMENT,
    }
)

# France Services: the label guarantees these services by law (the national partners'
# agreement, see docs/decisions/0011-imported-offers.md): (service kind, provider slug).
FRANCE_SERVICES_OFFERS = (
    ("caf", "caf"),
    ("france-travail", "france-travail"),
    ("assurance-maladie", "assurance-maladie"),
    ("retraite", "assurance-retraite"),
    # The MSA serves farm workers for health, pensions and family benefits alike.
    ("assurance-maladie", "msa"),
    ("retraite", "msa"),
    ("caf", "msa"),
    ("impots", "dgfip"),
    ("ants", "ants"),
    ("justice", "justice"),
    ("services-postaux", "la-poste"),
    ("demarches-en-ligne", OWN_PROVIDER),
)


def split_values(value, separators: str) -> list[str]:
    """A multi-valued cell as a list, whatever the file used (a JSON list or separators)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [p.strip() for p in re.split(separators, str(value)) if p.strip()]
