"""A generated, believable registry for one invented metropolis: "Métropole de Val-Rhône".

Everything here is made up by our own code (no copied data): communes with plausible INSEE
codes and postcodes around Lyon's coordinates, French-looking names and addresses, places
of every typology with the profile their kind usually has, networks, two organisations and
one demo user per role.

Generation and writing are separate, so tools (the `load_demo` command, bench/) can reuse
either half:

- `generate_places(count, seed)` returns plain `PlaceSpec`s; it is deterministic: it only
  uses its own `random.Random(seed)`, never the global generator;
- `write_places(specs, ...)` writes them either through `places.actions` (the default: every
  place gets its history, exactly like a place typed in by staff) or, with `fast=True`, with
  bulk inserts and no history, for benchmarks at 10,000 places.

This module must not import higher apps (services, scheduling...): their demo modules
build on this one.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from places import actions
from places.filter_choices import forget_filter_choices
from places.models import (
    PROFILE_MODELS,
    ChangeRecord,
    Network,
    Organisation,
    Place,
    Role,
    Typology,
)

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed by `make demo`, demo data only
METROPOLIS_SLUG = "metropole-val-rhone-demo"
OPERATOR_SLUG = "tiers-lieux-val-rhone-demo"
DEMO_ORGANISATIONS = {
    METROPOLIS_SLUG: ("Métropole de Val-Rhône", Organisation.Kind.INTERCOMMUNALITY),
    OPERATOR_SLUG: ("Association Tiers-lieux Val-Rhône", Organisation.Kind.OPERATOR),
}
# username -> {organisation slug: role}
DEMO_USERS = {
    "admin.demo": {METROPOLIS_SLUG: Role.REGISTRY_ADMIN, OPERATOR_SLUG: Role.REGISTRY_ADMIN},
    "manager.demo": {METROPOLIS_SLUG: Role.PLACE_MANAGER, OPERATOR_SLUG: Role.PLACE_MANAGER},
    "viewer.demo": {METROPOLIS_SLUG: Role.VIEWER, OPERATOR_SLUG: Role.VIEWER},
}
DEMO_NETWORKS = {
    "france-services": ("France Services", "https://www.france-services.gouv.fr"),
    "charte-fab-lab": ("Charte des Fab Labs", "https://fab.cba.mit.edu/about/charter/"),
    "reseau-des-cantines": ("Réseau des Cantines", ""),
    "repair-cafe": ("Repair Café", "https://www.repaircafe.org"),
}
NETWORK_OF_TYPOLOGY = {
    "france_services": "france-services",
    "fablab": "charte-fab-lab",
    "cantine": "reseau-des-cantines",
    "repair_cafe": "repair-cafe",
}

# (name, INSEE code, postcode, latitude, longitude, weight): an invented metropolis whose
# centre sits on Lyon's coordinates; codes follow the Rhône pattern (69xxx) without
# claiming to be the real communes'.
COMMUNES = [
    ("Val-Rhône", "69390", "69002", 45.7600, 4.8400, 30),
    ("Saint-Aurèle-sur-Saône", "69391", "69450", 45.8030, 4.8260, 7),
    ("Montbrenier", "69392", "69120", 45.7690, 4.9230, 8),
    ("Cressieux", "69393", "69500", 45.7290, 4.9080, 7),
    ("Villeverte-la-Côte", "69394", "69300", 45.7920, 4.8630, 6),
    ("Brignais-le-Haut", "69395", "69530", 45.6780, 4.7610, 4),
    ("Écully-les-Pins", "69396", "69130", 45.7770, 4.7780, 5),
    ("Saint-Genis-des-Vignes", "69397", "69230", 45.6960, 4.7900, 5),
    ("Vaux-en-Mornant", "69398", "69200", 45.7000, 4.8580, 6),
    ("Décines-la-Plaine", "69399", "69150", 45.7690, 4.9610, 5),
    ("Rillieux-le-Vieux", "69400", "69140", 45.8200, 4.8970, 4),
    ("Oullins-sur-Yzeron", "69401", "69600", 45.7150, 4.8070, 5),
]
QUARTIERS = [
    "des Canuts",
    "du Vieux Bourg",
    "de la Soie",
    "Bellecombe",
    "des Tilleuls",
    "du Plateau",
    "des Brotteaux",
    "du Moulin",
    "de la Gare",
    "des Sablons",
    "Saint-Clair",
    "des Étournelles",
    "du Grand Pré",
    "de la Duchère",
    "des Minimes",
    "du Château",
]
STREET_TYPES = ["rue", "rue", "rue", "avenue", "place", "boulevard", "chemin", "quai", "allée"]
STREET_NAMES = [
    "Victor Hugo",
    "Jean Jaurès",
    "des Tisserands",
    "de la République",
    "Pasteur",
    "Louise Michel",
    "des Canuts",
    "Gambetta",
    "du Marché",
    "des Écoles",
    "Marie Curie",
    "Paul Bert",
    "de la Gare",
    "Émile Zola",
    "des Jardins",
    "Jean Moulin",
    "Olympe de Gouges",
    "Simone Veil",
    "du Lavoir",
    "des Platanes",
    "Berthe Morisot",
    "des Soyeux",
    "Antoine de Saint-Exupéry",
    "Lucie Aubrac",
]
PEOPLE = [
    "Louise Labé",
    "Marcel Pagnol",
    "Colette",
    "Aimé Césaire",
    "George Sand",
    "Jules Verne",
    "Andrée Chedid",
    "Albert Camus",
    "Gisèle Halimi",
    "Frédéric Dard",
]
WORDS = [
    "La Ruche",
    "Le Hangar",
    "L'Établi",
    "La Fabrique",
    "Le Comptoir",
    "La Filature",
    "L'Escale",
    "La Canopée",
    "Le Local",
    "La Passerelle",
    "Le Quai",
    "L'Atelier",
    "La Serre",
    "Le Phare",
    "La Boussole",
]

NAME_PATTERNS = {
    "france_services": ["France Services {commune}", "France Services {quartier_name}"],
    "epn": ["Espace public numérique {quartier}", "EPN {commune}", "Cyber-espace {quartier}"],
    "mediatheque": ["Médiathèque {person}", "Bibliothèque {quartier}"],
    "mjc": ["MJC {quartier_name}", "Maison de quartier {quartier}", "Centre social {quartier}"],
    "conciergerie": ["Conciergerie solidaire {quartier}", "Conciergerie {word}"],
    "point_relais": ["Relais multiservices {quartier}", "Épicerie-relais {commune}"],
    "coworking": ["{word} Coworking", "Coworking {commune}", "{word}"],
    "cantine": ["La Cantine {commune}", "Cantine numérique {quartier}"],
    "telecentre": ["Télécentre {commune}", "Tiers-lieu de travail {quartier}"],
    "centre_affaires": ["Centre d'affaires {commune}", "Business center {word}"],
    "fablab": ["Fab lab {word}", "{commune} Fab Lab", "Fab lab {quartier}"],
    "techshop": ["TechShop {commune}", "Atelier partagé {word}"],
    "repair_cafe": ["Repair Café {quartier}", "Repair Café {commune}"],
    "atelier_quartier": ["Atelier de quartier {quartier}", "Atelier vélo {quartier}"],
    "jardin_partage": ["Jardin partagé {quartier}", "Jardin {word}", "Potager {quartier}"],
    "friche": ["Friche {word}", "Friche artistique {quartier}"],
    "other": ["Tiers-lieu {word}", "Maison des initiatives {commune}"],
}
# Relative frequency of each typology in the generated registry.
TYPOLOGY_WEIGHTS = {
    "france_services": 6,
    "epn": 10,
    "mediatheque": 9,
    "mjc": 9,
    "conciergerie": 3,
    "point_relais": 5,
    "coworking": 10,
    "cantine": 3,
    "telecentre": 3,
    "centre_affaires": 3,
    "fablab": 6,
    "techshop": 2,
    "repair_cafe": 8,
    "atelier_quartier": 5,
    "jardin_partage": 10,
    "friche": 3,
    "other": 2,
}
# A frequent second typology: a media library hosts an EPN, a friche a fab lab...
SECOND_TYPOLOGY = {
    "mediatheque": ("epn", 0.4),
    "mjc": ("repair_cafe", 0.15),
    "cantine": ("coworking", 0.6),
    "friche": ("fablab", 0.3),
    "france_services": ("epn", 0.3),
    "atelier_quartier": ("repair_cafe", 0.3),
}
MEDIATION_TYPOLOGIES = {
    "france_services",
    "epn",
    "mediatheque",
    "mjc",
    "conciergerie",
    "point_relais",
}
WORK_TYPOLOGIES = {"coworking", "cantine", "telecentre", "centre_affaires"}
CREATION_TYPOLOGIES = {
    "fablab",
    "techshop",
    "repair_cafe",
    "atelier_quartier",
    "jardin_partage",
    "friche",
}
ASSOCIATIVE_TYPOLOGIES = {"repair_cafe", "jardin_partage", "friche", "fablab", "atelier_quartier"}
SHORT_DESCRIPTIONS = {
    "france_services": "Un guichet unique pour vos démarches : CAF, impôts, santé, emploi.",
    "epn": "Ordinateurs en accès libre et ateliers pour apprendre le numérique.",
    "mediatheque": "Livres, presse, postes informatiques et ateliers pour tous les âges.",
    "mjc": "Activités, permanences et rencontres pour les habitants du quartier.",
    "conciergerie": "Dépôt de colis, petits services du quotidien et entraide entre voisins.",
    "point_relais": "Colis, retrait d'espèces et services postaux au coin de la rue.",
    "coworking": "Postes de travail, bureaux et salles de réunion à la journée ou au mois.",
    "cantine": "Lieu de rencontre des acteurs du numérique : travail, événements, projets.",
    "telecentre": "Travailler près de chez soi : postes équipés et visioconférence.",
    "centre_affaires": "Bureaux équipés, domiciliation et salles de réunion pour entreprises.",
    "fablab": "Imprimantes 3D, découpe laser et électronique, avec l'aide de fabmanagers.",
    "techshop": "Machines et outils professionnels en accès libre sur abonnement.",
    "repair_cafe": "Venez réparer vos objets avec des bénévoles : électroménager, vélos, textile.",
    "atelier_quartier": "Outils partagés et coups de main pour bricoler et réparer.",
    "jardin_partage": "Parcelles cultivées ensemble et moments conviviaux au jardin.",
    "friche": "Ateliers d'artistes, événements et projets collectifs dans un ancien site.",
    "other": "Un lieu ouvert où se croisent habitants, associations et projets.",
}


@dataclass
class PlaceSpec:
    """One place to create: everything `places.actions.place_create` needs, in plain data."""

    key: int
    data: dict[str, Any]
    typologies: list[str]
    networks: list[str] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    organisation: str = METROPOLIS_SLUG
    managed_by_demo_manager: bool = False
    publish: bool = True

    @property
    def main_typology(self) -> str:
        return self.typologies[0]


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _sample(rng: random.Random, values: Iterable[str], low: int, high: int) -> list[str]:
    values = list(values)
    return sorted(rng.sample(values, rng.randint(low, min(high, len(values)))))


def _profiles(rng: random.Random, typologies: list[str]) -> dict[str, dict[str, Any]]:
    from places.models import CreationProfile, MediationProfile, ServiceLevel, WorkProfile

    codes = set(typologies)
    profiles: dict[str, dict[str, Any]] = {}
    if codes & MEDIATION_TYPOLOGIES:
        full = "france_services" in codes
        profiles["mediation"] = {
            "service_levels": (
                [ServiceLevel.INFORMATION, ServiceLevel.PARTIAL, ServiceLevel.FULL]
                if full
                else _sample(rng, [ServiceLevel.INFORMATION, ServiceLevel.PARTIAL], 1, 2)
            ),
            "mediator_kinds": (
                [MediationProfile.MediatorKind.MULTI_DOMAIN]
                if full
                else _sample(rng, MediationProfile.MediatorKind.values, 1, 2)
            ),
            "service_sectors": _sample(rng, MediationProfile.Sector.values, 1, 3),
            "access": rng.choice(MediationProfile.Access.values),
        }
    if codes & WORK_TYPOLOGIES:
        desks = rng.choice([8, 12, 16, 20, 24, 30, 40, 60])
        profiles["work"] = {
            "colorations": _sample(rng, WorkProfile.Coloration.values, 1, 3),
            "occupancy_terms": _sample(rng, WorkProfile.Occupancy.values, 1, 3),
            "animation": rng.choice(WorkProfile.Animation.values),
            "desks": desks,
            "meeting_rooms": max(1, desks // rng.choice([8, 10, 15])),
            "equipment": rng.choice(
                [
                    "Wi-Fi fibre, imprimante, écrans, visioconférence",
                    "Wi-Fi, casiers, cuisine partagée, imprimante",
                    "Fibre, salle de visioconférence, tableau blanc interactif",
                ]
            ),
        }
    if codes & CREATION_TYPOLOGIES:
        garden = codes == {"jardin_partage"}
        machines = {
            "fablab": "Imprimantes 3D, découpeuse laser, fraiseuse numérique, électronique",
            "techshop": "Tour, fraiseuse, poste à souder, découpe plasma, menuiserie",
            "repair_cafe": "Outillage électrique et électronique, machines à coudre",
            "atelier_quartier": "Établis, outillage à main, pieds d'atelier pour vélos",
            "jardin_partage": "Outils de jardin, composteurs, récupérateurs d'eau",
            "friche": "Ateliers d'artistes, scène, matériel son et lumière",
        }
        profiles["creation"] = {
            "activities": (
                ["free_access", "events"]
                if garden
                else _sample(rng, CreationProfile.Activity.values, 2, 4)
            ),
            "opening_mode": rng.choice(CreationProfile.OpeningMode.values),
            "opening_frequencies": _sample(rng, CreationProfile.Frequency.values, 1, 2),
            "animated_by": _sample(rng, CreationProfile.AnimatedBy.values, 1, 2),
            "machines": next(machines[c] for c in typologies if c in machines)
            if codes & set(machines)
            else "",
        }
    return profiles


def _coordinate(rng: random.Random, centre: float, spread: float) -> Decimal:
    return Decimal(str(round(centre + rng.gauss(0, spread), 6))).quantize(Decimal("0.000001"))


def _rna(rng: random.Random) -> str:
    return "W69" + "".join(str(rng.randint(0, 9)) for _ in range(7))


def generate_places(
    count: int = 150,
    seed: int = 2024,
    communes: list[tuple] | None = None,
    streets: list[str] | None = None,
) -> list[PlaceSpec]:
    """`count` places of every typology (each appears at least once when count >= 17).

    `communes` (same shape as COMMUNES, the first one being the central city) and
    `streets` (street names) let a caller draw the same kind of registry elsewhere:
    bench/scale_data.py lays copies of it on a grid of distinct areas.
    """
    rng = random.Random(seed)
    codes = list(TYPOLOGY_WEIGHTS)
    communes = communes or COMMUNES
    streets = streets or STREET_NAMES
    central = communes[0][0]
    communes_weights = [c[5] for c in communes]
    seen_names: set[str] = set()
    specs: list[PlaceSpec] = []
    for key in range(count):
        main = codes[key] if key < len(codes) else _weighted(rng, TYPOLOGY_WEIGHTS)
        typologies = [main]
        second = SECOND_TYPOLOGY.get(main)
        if second and rng.random() < second[1]:
            typologies.append(second[0])
        commune, insee, postcode, lat, lon, _weight = rng.choices(
            communes, weights=communes_weights
        )[0]
        quartier = rng.choice(QUARTIERS)
        name = rng.choice(NAME_PATTERNS[main]).format(
            commune=commune,
            quartier=quartier,
            quartier_name=quartier.removeprefix("des ")
            .removeprefix("du ")
            .removeprefix("de la ")
            .strip(),
            person=rng.choice(PEOPLE),
            word=rng.choice(WORDS),
        )
        if name in seen_names:
            name = f"{name} ({commune})"
        n = 2
        base = name
        while name in seen_names:
            name, n = f"{base} {n}", n + 1
        seen_names.add(name)
        address = f"{rng.randint(1, 180)} {rng.choice(STREET_TYPES)} {rng.choice(streets)}"
        spread = 0.012 if commune == central else 0.006
        associative = main in ASSOCIATIVE_TYPOLOGIES
        data = {
            "name": name,
            "short_description": SHORT_DESCRIPTIONS[main],
            "description": (
                f"{name} accueille les habitants de {commune}"
                f"{' et du quartier ' + quartier if commune == central else ''}. "
                f"{SHORT_DESCRIPTIONS[main]}"
            ),
            "origin": rng.choice(Place.Origin.values),
            "address": address,
            "postcode": postcode,
            "commune": commune,
            "insee_code": insee,
            "latitude": _coordinate(rng, lat, spread),
            "longitude": _coordinate(rng, lon, spread * 1.4),
            "itinerant": main == "france_services" and rng.random() < 0.15,
            "phone": f"04 7{rng.randint(2, 8)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
            f"{rng.randint(10, 99)}",
            "email": f"contact-{key + 1}@lieux.example.org",
            "website": f"https://lieu-{key + 1}.example.org" if rng.random() < 0.6 else "",
            "wheelchair": rng.choice(["yes", "yes", "partial", "no", ""]),
            "legal_id": _rna(rng) if associative else "",
        }
        networks = [NETWORK_OF_TYPOLOGY[c] for c in typologies if c in NETWORK_OF_TYPOLOGY]
        specs.append(
            PlaceSpec(
                key=key,
                data=data,
                typologies=typologies,
                networks=networks,
                profiles=_profiles(rng, typologies),
                organisation=OPERATOR_SLUG
                if associative and rng.random() < 0.5
                else METROPOLIS_SLUG,
                managed_by_demo_manager=rng.random() < 0.08 or key == 0,
                publish=rng.random() < 0.93 or key < len(codes),
            )
        )
    return specs


@dataclass
class DemoContext:
    """What the demo writes first and every later step needs."""

    organisations: dict[str, Organisation]
    users: dict[str, Any]
    networks: dict[str, Network]
    admin: Any


def demo_exists() -> bool:
    return Organisation.objects.filter(slug=METROPOLIS_SLUG).exists()


@transaction.atomic
def remove_demo() -> None:
    """Delete the demo organisations, their places (with history) and the demo users.

    Rows of higher apps that point at demo places (offers, slots...) must be deleted by
    those apps' demo modules first when they protect the place.
    """
    User = get_user_model()
    Place.objects.filter(organisation__slug__in=DEMO_ORGANISATIONS).delete()
    ChangeRecord.objects.filter(
        target__regex=r"^membership:(" + "|".join(DEMO_ORGANISATIONS) + "):"
    ).delete()
    Organisation.objects.filter(slug__in=DEMO_ORGANISATIONS).delete()
    User.objects.filter(username__in=DEMO_USERS).delete()


@transaction.atomic
def create_context() -> DemoContext:
    """The demo organisations, networks and users (one per role, password `demo-password`)."""
    User = get_user_model()
    organisations = {}
    for slug, (name, kind) in DEMO_ORGANISATIONS.items():
        organisations[slug], _ = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind}
        )
    networks = {}
    for slug, (name, website) in DEMO_NETWORKS.items():
        networks[slug], _ = Network.objects.get_or_create(
            slug=slug, defaults={"name": name, "website": website}
        )
    users = {}
    for username in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@lieux.example.org"}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        users[username] = user
    admin = users["admin.demo"]
    # The admin's memberships come first: they make the later ones the admin's doing.
    for username in ["admin.demo", *[u for u in DEMO_USERS if u != "admin.demo"]]:
        for slug, role in DEMO_USERS[username].items():
            actions.membership_set(
                organisation=organisations[slug],
                user=admin if username != "admin.demo" else None,
                person=users[username],
                role=role,
            )
    return DemoContext(organisations=organisations, users=users, networks=networks, admin=admin)


def write_places(
    specs: list[PlaceSpec], context: DemoContext, *, fast: bool = False, progress=None
) -> list[Place]:
    """Write the specs, in order; returns the places in the same order as the specs.

    The default path calls place_create then place_publish, so every place has a history.
    `fast=True` bulk-inserts places, typologies, networks, managers and profiles (no
    history, no per-row validation): for benchmarks, where 10,000 places must load in
    seconds. Both paths give the same rows otherwise.
    """
    if fast:
        return _write_places_fast(specs, context)
    manager = context.users["manager.demo"]
    places = []
    for spec in specs:
        place = actions.place_create(
            user=context.admin,
            organisation=context.organisations[spec.organisation],
            data=spec.data,
            typologies=spec.typologies,
            networks=[context.networks[n] for n in spec.networks],
            managers=[manager] if spec.managed_by_demo_manager else [],
            profiles=spec.profiles,
            source="import:demo",
        )
        if spec.publish:
            actions.place_publish(place=place, user=context.admin, source="import:demo")
        places.append(place)
        if progress:
            progress()
    return places


def _write_places_fast(specs: list[PlaceSpec], context: DemoContext) -> list[Place]:
    typologies = {t.code: t for t in Typology.objects.all()}
    taken = set(Place.objects.values_list("slug", flat=True))
    rows = []
    for spec in specs:
        place = Place(
            organisation=context.organisations[spec.organisation],
            status=Place.Status.PUBLISHED if spec.publish else Place.Status.DRAFT,
            **spec.data,
        )
        place.slug = _free_slug(place.name, taken)
        taken.add(place.slug)
        # bulk_create skips save(), which fills the search copy and the freshness due date.
        place.search_text = _search_text(place)
        place.verification_due_on = place.compute_verification_due_on()
        rows.append(place)
    with transaction.atomic():
        Place.objects.bulk_create(rows, batch_size=500)
        if rows and rows[0].pk is None:
            # Databases that do not return ids from bulk inserts: read them back.
            ids = dict(
                Place.objects.filter(slug__in=[p.slug for p in rows]).values_list("slug", "pk")
            )
            for place in rows:
                place.pk = place.id = ids[place.slug]
        through_t = Place.typologies.through
        through_n = Place.networks.through
        through_m = Place.managers.through
        manager = context.users["manager.demo"]
        through_t.objects.bulk_create(
            [
                through_t(place_id=p.pk, typology_id=typologies[c].pk)
                for p, s in zip(rows, specs, strict=True)
                for c in s.typologies
            ],
            batch_size=1000,
        )
        through_n.objects.bulk_create(
            [
                through_n(place_id=p.pk, network_id=context.networks[n].pk)
                for p, s in zip(rows, specs, strict=True)
                for n in s.networks
            ],
            batch_size=1000,
        )
        through_m.objects.bulk_create(
            [
                through_m(place_id=p.pk, user_id=manager.pk)
                for p, s in zip(rows, specs, strict=True)
                if s.managed_by_demo_manager
            ],
            batch_size=1000,
        )
        for name, model in PROFILE_MODELS.items():
            model.objects.bulk_create(
                [
                    model(place=p, **s.profiles[name])
                    for p, s in zip(rows, specs, strict=True)
                    if name in s.profiles
                ],
                batch_size=500,
            )
        forget_filter_choices()  # bulk writes send no model signal
    return rows


def _free_slug(name: str, taken: set[str]) -> str:
    base = slugify(name)[:110] or "lieu"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _search_text(place: Place) -> str:
    from places.models import normalize_text

    return normalize_text(
        " ".join(filter(None, [place.name, place.short_description, place.commune, place.address]))
    )
