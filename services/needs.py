"""Residents' needs: plain-language groups of service kinds ("print a document").

Catalogue data, not a business rule: the directory offers these as the "what I need" filter
and the API may reuse them. Each need covers one or more service kind slugs seeded by
services/migrations/0002_seed_catalogue.py; a kind may serve several needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Need:
    slug: str
    label: str
    kinds: tuple[str, ...]


NEEDS: tuple[Need, ...] = (
    Need("caf", _("Do a CAF procedure (family and social benefits)"), ("caf",)),
    Need("emploi", _("Look for a job, France Travail"), ("france-travail",)),
    Need("sante", _("Health insurance, health and disability"), ("assurance-maladie", "sante")),
    Need("retraite", _("Prepare my retirement"), ("retraite",)),
    Need("impots", _("Deal with taxes"), ("impots",)),
    Need("papiers", _("ID papers, driving licence, vehicle registration"), ("ants",)),
    Need("justice", _("Get legal advice"), ("justice",)),
    Need(
        "demarches-en-ligne",
        _("Get help with procedures online"),
        ("demarches-en-ligne", "numerique-bases"),
    ),
    Need("imprimer", _("Print or scan a document"), ("impression-numerisation",)),
    Need("ordinateur", _("Use a computer and the Internet"), ("acces-equipement",)),
    Need(
        "banque-poste",
        _("Post office and banking services"),
        ("services-postaux", "services-bancaires", "retrait-especes"),
    ),
    Need("budget", _("Get advice on my budget"), ("conseil-budget",)),
    Need("bureau", _("Find a desk for the day"), ("poste-nomade", "bureau-dedie")),
    Need("salle", _("Book a meeting room"), ("salle-reunion", "cabine-telephonique")),
    Need(
        "entreprise", _("Start or domicile a business"), ("domiciliation", "accompagnement-projet")
    ),
    Need("reparer", _("Repair an object"), ("reparation", "outillage")),
    Need(
        "machine",
        _("Use a machine (3D printer, laser cutter, tools)"),
        ("machines-fablab", "outillage"),
    ),
    Need("jardiner", _("Garden"), ("parcelles-jardin",)),
    Need(
        "apprendre",
        _("Learn: workshops, trainings, French"),
        ("formations", "apprentissage-francais"),
    ),
    Need("rencontrer", _("Meet people, attend events"), ("espace-rencontre", "evenements")),
    Need("famille", _("Childcare and food aid"), ("garde-enfants", "aide-alimentaire")),
)

NEEDS_BY_SLUG: dict[str, Need] = {need.slug: need for need in NEEDS}


def need_choices() -> list[tuple[str, str]]:
    """(slug, label) pairs for a form, in display order."""
    return [(need.slug, need.label) for need in NEEDS]


def kinds_for(needs: Iterable[str]) -> set[str]:
    """The service kind slugs covered by these needs (unknown slugs are ignored)."""
    return {kind for slug in needs if slug in NEEDS_BY_SLUG for kind in NEEDS_BY_SLUG[slug].kinds}
