"""Demo offers for the generated registry of places/demo.py, and the whole demo in one call.

`load_demo()` is what the `load_demo` command and bench/ call. Offers follow the typology of
each place (a France Services hosts CAF, France Travail, Assurance maladie, taxes and ANTS; a
coworking rents desks; a fab lab its machines and trainings...). Deterministic: offers use
their own `random.Random`, derived from the seed, so they never shift the places.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from places import demo as places_demo
from places.models import Place
from services import actions
from services.models import Provider, ServiceKind, ServiceOffer

# Providers the demo adds next to the national ones seeded by the catalogue migration.
# The two organisations' own providers deliver what a place runs itself.
DEMO_PROVIDERS = {
    "metropole-val-rhone-demo": (
        "Métropole de Val-Rhône",
        "public",
        places_demo.METROPOLIS_SLUG,
    ),
    "tiers-lieux-val-rhone-demo": (
        "Association Tiers-lieux Val-Rhône",
        "associative",
        places_demo.OPERATOR_SLUG,
    ),
    "banque-solidaire-rhone-demo": ("Banque solidaire du Rhône", "private", None),
    "connexions-val-rhone-demo": ("Association Connexions Val-Rhône", "associative", None),
    "epicerie-le-panier-demo": ("Épicerie solidaire Le Panier", "associative", None),
    "creche-les-lucioles-demo": ("Crèche parentale Les Lucioles", "associative", None),
    "point-justice-val-rhone-demo": ("Point-justice de Val-Rhône", "public", None),
}
OWN = "own"  # the provider of the place's cataloguing organisation

# typology -> [(kind slug, provider slug or OWN, probability)]
OFFERS_BY_TYPOLOGY: dict[str, list[tuple[str, str, float]]] = {
    "france_services": [
        ("caf", "caf", 1.0),
        ("france-travail", "france-travail", 1.0),
        ("assurance-maladie", "assurance-maladie", 1.0),
        ("impots", "dgfip", 1.0),
        ("ants", "ants", 1.0),
        ("retraite", "assurance-retraite", 0.8),
        ("justice", "point-justice-val-rhone-demo", 0.5),
        ("services-postaux", "la-poste", 0.4),
        ("demarches-en-ligne", OWN, 0.9),
    ],
    "epn": [
        ("numerique-bases", OWN, 1.0),
        ("demarches-en-ligne", "connexions-val-rhone-demo", 0.8),
        ("impression-numerisation", OWN, 0.9),
        ("acces-equipement", OWN, 1.0),
    ],
    "mediatheque": [
        ("acces-equipement", OWN, 0.9),
        ("impression-numerisation", OWN, 0.7),
        ("numerique-bases", OWN, 0.5),
        ("apprentissage-francais", "connexions-val-rhone-demo", 0.3),
        ("espace-rencontre", OWN, 0.5),
    ],
    "mjc": [
        ("espace-rencontre", OWN, 1.0),
        ("formations", OWN, 0.7),
        ("garde-enfants", "creche-les-lucioles-demo", 0.3),
        ("aide-alimentaire", "epicerie-le-panier-demo", 0.3),
        ("conseil-budget", "connexions-val-rhone-demo", 0.2),
    ],
    "conciergerie": [
        ("services-postaux", "la-poste", 0.8),
        ("impression-numerisation", OWN, 0.6),
        ("espace-rencontre", OWN, 0.4),
    ],
    "point_relais": [
        ("services-postaux", "la-poste", 1.0),
        ("retrait-especes", "banque-solidaire-rhone-demo", 0.7),
        ("services-bancaires", "banque-solidaire-rhone-demo", 0.3),
    ],
    "coworking": [
        ("poste-nomade", OWN, 1.0),
        ("bureau-dedie", OWN, 0.8),
        ("salle-reunion", OWN, 0.9),
        ("cabine-telephonique", OWN, 0.5),
        ("domiciliation", OWN, 0.3),
    ],
    "cantine": [
        ("poste-nomade", OWN, 1.0),
        ("salle-reunion", OWN, 0.8),
        ("evenements", OWN, 1.0),
        ("accompagnement-projet", OWN, 0.6),
    ],
    "telecentre": [
        ("poste-nomade", OWN, 1.0),
        ("bureau-dedie", OWN, 0.6),
        ("salle-reunion", OWN, 0.7),
        ("cabine-telephonique", OWN, 0.6),
    ],
    "centre_affaires": [
        ("bureau-dedie", OWN, 1.0),
        ("salle-reunion", OWN, 1.0),
        ("domiciliation", OWN, 0.9),
    ],
    "fablab": [
        ("machines-fablab", OWN, 1.0),
        ("formations", OWN, 0.9),
        ("accompagnement-projet", OWN, 0.6),
        ("evenements", OWN, 0.4),
    ],
    "techshop": [
        ("machines-fablab", OWN, 1.0),
        ("outillage", OWN, 1.0),
        ("formations", OWN, 0.8),
    ],
    "repair_cafe": [("reparation", OWN, 1.0), ("evenements", OWN, 0.3)],
    "atelier_quartier": [
        ("outillage", OWN, 1.0),
        ("reparation", OWN, 0.7),
        ("formations", OWN, 0.4),
    ],
    "jardin_partage": [("parcelles-jardin", OWN, 1.0), ("evenements", OWN, 0.5)],
    "friche": [
        ("evenements", OWN, 1.0),
        ("accompagnement-projet", OWN, 0.6),
        ("salle-reunion", OWN, 0.3),
    ],
    "other": [("espace-rencontre", OWN, 1.0)],
}
PAID_KINDS = {
    "poste-nomade": "12 € la journée, 150 € le mois",
    "bureau-dedie": "280 € le mois",
    "salle-reunion": "25 € l'heure",
    "cabine-telephonique": "Compris dans l'abonnement",
    "domiciliation": "40 € le mois",
    "machines-fablab": "Adhésion 30 € par an, puis coût des matériaux",
    "parcelles-jardin": "Cotisation 15 € par an",
}
AUDIENCES = {
    "caf": ["families"],
    "france-travail": ["job_seekers", "young"],
    "retraite": ["seniors"],
    "ants": ["all", "newcomers"],
    "numerique-bases": ["seniors", "all"],
    "apprentissage-francais": ["newcomers"],
    "garde-enfants": ["families"],
    "domiciliation": ["entrepreneurs", "associations"],
    "bureau-dedie": ["entrepreneurs"],
    "accompagnement-projet": ["entrepreneurs", "associations", "young"],
}
MEDIATION_PROVIDERS = {"caf", "france-travail", "assurance-maladie", "dgfip", "ants"}


@dataclass
class OfferSpec:
    place_key: int
    kind: str
    provider: str  # a provider slug
    data: dict[str, Any]
    suspend_days: int | None = None
    end: bool = False


def _own_provider(spec: places_demo.PlaceSpec) -> str:
    if spec.organisation == places_demo.OPERATOR_SLUG:
        return "tiers-lieux-val-rhone-demo"
    return "metropole-val-rhone-demo"


def generate_offers(specs: list[places_demo.PlaceSpec], seed: int = 2024) -> list[OfferSpec]:
    """Typical offers for each place spec; deterministic for a seed."""
    rng = random.Random(f"offers-{seed}")
    offers: list[OfferSpec] = []
    for spec in specs:
        seen: set[tuple[str, str]] = set()
        for typology in spec.typologies:
            for kind, provider, chance in OFFERS_BY_TYPOLOGY.get(typology, []):
                provider = _own_provider(spec) if provider == OWN else provider
                if (kind, provider) in seen or rng.random() > chance:
                    continue
                seen.add((kind, provider))
                paid = kind in PAID_KINDS
                modes = ["walk_in"]
                if provider in MEDIATION_PROVIDERS or rng.random() < 0.3:
                    modes = ["walk_in", "appointment"] if rng.random() < 0.7 else ["appointment"]
                if rng.random() < 0.15:
                    modes.append("phone")
                data = {
                    "level": (
                        rng.choice(["partial", "full"])
                        if provider in MEDIATION_PROVIDERS
                        else rng.choice(["", "information"])
                    ),
                    "mediator_kind": (
                        "multi_domain"
                        if "france_services" in spec.typologies
                        else rng.choice(["", "specialised", "associations", "peer_help"])
                    ),
                    "audiences": AUDIENCES.get(kind, ["all"]),
                    "fees": "paid" if paid else "free",
                    "fees_details": PAID_KINDS.get(kind, ""),
                    "access_modes": modes,
                    "appointment_url": (
                        f"https://rdv.example.org/{kind}/{spec.key + 1}"
                        if "appointment" in modes and rng.random() < 0.5
                        else ""
                    ),
                }
                roll = rng.random()
                offers.append(
                    OfferSpec(
                        place_key=spec.key,
                        kind=kind,
                        provider=provider,
                        data=data,
                        suspend_days=rng.randint(7, 60) if roll < 0.03 else None,
                        end=0.03 <= roll < 0.05,
                    )
                )
    return offers


@transaction.atomic
def create_providers() -> dict[str, Provider]:
    """The demo's local providers (the national ones come from the catalogue migration)."""
    from places.models import Organisation

    organisations = {
        o.slug: o for o in Organisation.objects.filter(slug__in=places_demo.DEMO_ORGANISATIONS)
    }
    for slug, (name, sector, organisation) in DEMO_PROVIDERS.items():
        if not Provider.objects.filter(slug=slug).exists():
            actions.provider_create(
                user=None,
                data={
                    "slug": slug,
                    "name": name,
                    "sector": sector,
                    "organisation": organisations.get(organisation),
                },
                source="import:demo",
            )
    return {p.slug: p for p in Provider.objects.all()}


def write_offers(
    offers: list[OfferSpec],
    places: dict[int, Place],
    *,
    user,
    fast: bool = False,
) -> int:
    """Create the offers through services.actions (or bulk-inserted with `fast=True`)."""
    kinds = {k.slug: k for k in ServiceKind.objects.all()}
    providers = {p.slug: p for p in Provider.objects.all()}
    today = timezone.localdate()
    if fast:
        rows = []
        for spec in offers:
            status, until = ServiceOffer.Status.ACTIVE, None
            if spec.end:
                status = ServiceOffer.Status.ENDED
            elif spec.suspend_days:
                status = ServiceOffer.Status.SUSPENDED
                until = today + datetime.timedelta(days=spec.suspend_days)
            rows.append(
                ServiceOffer(
                    place=places[spec.place_key],
                    kind=kinds[spec.kind],
                    provider=providers[spec.provider],
                    status=status,
                    suspended_until=until,
                    **spec.data,
                )
            )
        ServiceOffer.objects.bulk_create(rows, batch_size=1000)
        return len(rows)
    for spec in offers:
        offer = actions.offer_create(
            place=places[spec.place_key],
            user=user,
            data={"kind": kinds[spec.kind], "provider": providers[spec.provider], **spec.data},
            source="import:demo",
        )
        if spec.suspend_days:
            actions.offer_suspend(
                offer=offer,
                user=user,
                until=today + datetime.timedelta(days=spec.suspend_days),
                source="import:demo",
            )
        elif spec.end:
            actions.offer_end(offer=offer, user=user, source="import:demo")
    return len(offers)


@dataclass
class DemoSummary:
    created: bool
    places: int
    offers: int


def remove_demo() -> None:
    """Delete the demo registry: offers of demo places first (they protect kinds)."""
    with transaction.atomic():
        ServiceOffer.objects.filter(
            place__organisation__slug__in=places_demo.DEMO_ORGANISATIONS
        ).delete()
        places_demo.remove_demo()
        Provider.objects.filter(slug__in=DEMO_PROVIDERS, offers__isnull=True).delete()


def load_demo(
    *,
    places: int = 150,
    seed: int = 2024,
    fast: bool = False,
    rebuild: bool = False,
    progress=None,
) -> DemoSummary:
    """Load the demo registry unless it is already there (or rebuild it with `rebuild`).

    Returns how many places and offers the demo organisations hold afterwards.
    """
    if places_demo.demo_exists():
        if not rebuild:
            return _summary(created=False)
        remove_demo()
    with transaction.atomic():
        context = places_demo.create_context()
        create_providers()
        specs = places_demo.generate_places(places, seed)
        written = places_demo.write_places(specs, context, fast=fast, progress=progress)
        by_key = {spec.key: place for spec, place in zip(specs, written, strict=True)}
        write_offers(generate_offers(specs, seed), by_key, user=context.admin, fast=fast)
    return _summary(created=True)


def _summary(*, created: bool) -> DemoSummary:
    demo_places = Place.objects.filter(organisation__slug__in=places_demo.DEMO_ORGANISATIONS)
    return DemoSummary(
        created=created,
        places=demo_places.count(),
        offers=ServiceOffer.objects.filter(place__in=demo_places).count(),
    )
