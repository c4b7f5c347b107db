"""Demo opening hours for the generated registry, and the whole demo in one call.

Builds on services/demo.py (places and offers) and adds what a city would type in: typical
hours per typology (a France Services open Mo–Fr 9–12 / 14–17, a fab lab on Wednesday
afternoons and Saturdays but closed in August, a shared garden on weekends from April to
October...), the hours of some services (the CAF advisor on Tuesday mornings, the tax
office every first Thursday of the month) and a few upcoming closures and events.

`load_demo()` is what the `load_demo` command and bench/ call. Deterministic: the hours
depend on the typology only, and the exceptions on their own `random.Random` derived from
the seed, so they never shift the places or the offers. Exception dates are counted from
the day the demo is loaded, so they are always upcoming.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from places import demo as places_demo
from places.models import Place
from places.planner import refresh_planner_statistics
from scheduling import actions, school_holidays
from scheduling.models import Schedule, ScheduleException
from scheduling.rules import rules_from_data
from services import demo as services_demo
from services.models import ServiceOffer

MON_FRI = [0, 1, 2, 3, 4]
# An arbitrary Saturday: "every other Saturday" counts its weeks from there.
REPAIR_ANCHOR = "2025-01-04"


def weekly(days: list[int], *times: str, **extra) -> dict:
    return {"kind": "weekly", "days": days, "times": list(times), **extra}


# Main typology -> the place's rules. Public holidays close every place (the default).
PLACE_RULES: dict[str, list[dict]] = {
    "france_services": [weekly(MON_FRI, "09:00-12:00", "14:00-17:00")],
    "epn": [
        weekly([1, 2, 3, 4], "10:00-12:30", "13:30-18:00"),
        weekly([5], "10:00-12:30"),
    ],
    "mediatheque": [
        weekly([1, 3, 4], "10:00-12:30", "14:00-18:00"),
        weekly([2], "10:00-20:00"),  # late Wednesday
        weekly([5], "10:00-17:00"),
    ],
    "mjc": [
        weekly(MON_FRI, "16:30-21:30"),
        weekly([2], "14:00-16:30"),
        weekly([5], "14:00-18:00"),
        # Holiday workshops for children in the mornings, until the end of the school
        # calendar on file: the demo must load whatever today's date.
        weekly(
            MON_FRI,
            "09:30-12:00",
            season="school_holidays",
            valid_to=school_holidays.COVERED_TO.isoformat(),
        ),
    ],
    "conciergerie": [weekly(MON_FRI, "07:30-10:00", "16:00-19:30")],
    "point_relais": [weekly([0, 1, 2, 3, 4, 5], "08:00-19:30")],
    "coworking": [weekly(MON_FRI, "08:00-20:00")],
    "cantine": [weekly([0, 1, 2, 4], "09:00-19:00"), weekly([3], "09:00-22:00")],
    "telecentre": [weekly(MON_FRI, "08:30-18:30")],
    "centre_affaires": [weekly(MON_FRI, "08:00-19:00")],
    # Closed in August: the hours hold every year from September to July.
    "fablab": [
        weekly([2], "14:00-20:00", yearly_from="09-01", yearly_to="07-31"),
        weekly([5], "10:00-18:00", yearly_from="09-01", yearly_to="07-31"),
    ],
    "techshop": [weekly([1, 2, 3, 4], "14:00-21:00"), weekly([5], "10:00-18:00")],
    "repair_cafe": [
        {
            "kind": "every_n_weeks",
            "days": [5],
            "times": ["14:00-18:00"],
            "interval": 2,
            "anchor": REPAIR_ANCHOR,
        }
    ],
    "atelier_quartier": [weekly([2], "14:00-18:00"), weekly([5], "09:00-12:00")],
    "jardin_partage": [
        weekly([5, 6], "10:00-19:00", yearly_from="04-01", yearly_to="10-31"),
        weekly([2], "17:00-20:00", yearly_from="04-01", yearly_to="10-31"),
    ],
    "friche": [weekly([3, 4, 5], "14:00-23:00")],
    "other": [weekly(MON_FRI, "09:00-17:00")],
}
# (main typology, service kind slug) -> the offer's own rules; other offers have none.
OFFER_RULES: dict[tuple[str, str], list[dict]] = {
    ("france_services", "caf"): [weekly([1], "09:00-12:00")],
    ("france_services", "impots"): [
        {"kind": "nth_weekday", "days": [3], "nth": [1], "times": ["09:00-12:00", "14:00-17:00"]}
    ],
    ("france_services", "france-travail"): [weekly([0, 3], "14:00-17:00")],
    ("france_services", "assurance-maladie"): [weekly([2], "09:00-12:00")],
    ("france_services", "ants"): [weekly(MON_FRI, "09:00-12:00")],
    ("epn", "numerique-bases"): [weekly([1, 3], "14:00-16:00")],
    ("mediatheque", "apprentissage-francais"): [weekly([5], "10:00-12:00")],
    ("mjc", "aide-alimentaire"): [weekly([2], "14:00-17:00")],
    ("coworking", "salle-reunion"): [weekly(MON_FRI, "08:00-20:00")],
    ("fablab", "formations"): [
        {"kind": "nth_weekday", "days": [5], "nth": [-1], "times": ["10:00-12:00"]}
    ],
    ("repair_cafe", "reparation"): [
        {
            "kind": "every_n_weeks",
            "days": [5],
            "times": ["14:00-18:00"],
            "interval": 2,
            "anchor": REPAIR_ANCHOR,
        }
    ],
}
# Typologies whose hours hold only part of the year get no demo closure: a closure when
# they are closed anyway is refused.
NO_CLOSURE = {"fablab", "jardin_partage"}
CLOSURE_REASONS = [
    "Fermé exceptionnellement : inventaire",
    "Fermé exceptionnellement : formation de l'équipe",
    "Fermé exceptionnellement : travaux",
]
EVENTS = [
    ("Portes ouvertes", "Visite du lieu et rencontre avec l'équipe."),
    ("Atelier découverte", "Gratuit, sans inscription."),
    ("Soirée d'échanges entre habitants", "Venez avec vos idées pour le quartier."),
]


@dataclass
class ExceptionSpec:
    kind: str
    start_date: datetime.date
    end_date: datetime.date
    start_time: datetime.time | None = None
    end_time: datetime.time | None = None
    title: str = ""
    description: str = ""


@dataclass
class ScheduleSpec:
    place_key: int
    rules: list[dict]
    offer: tuple[str, str] | None = None  # (kind slug, provider slug) of an offer
    exceptions: list[ExceptionSpec] = field(default_factory=list)


def generate_schedules(
    specs: list[places_demo.PlaceSpec],
    offers: list[services_demo.OfferSpec],
    seed: int = 2024,
    today: datetime.date | None = None,
) -> list[ScheduleSpec]:
    """Hours for every place and for the offers that have their own; deterministic."""
    rng = random.Random(f"schedules-{seed}")
    today = today or timezone.localdate()
    typology = {spec.key: spec.main_typology for spec in specs}
    out: list[ScheduleSpec] = []
    for spec in specs:
        schedule = ScheduleSpec(place_key=spec.key, rules=PLACE_RULES[spec.main_typology])
        roll = rng.random()
        start = today + datetime.timedelta(days=rng.randint(3, 40))
        if roll < 0.12 and spec.main_typology not in NO_CLOSURE:
            schedule.exceptions.append(
                ExceptionSpec(
                    kind="closure",
                    start_date=start,
                    end_date=start + datetime.timedelta(days=rng.randint(0, 2)),
                    title=rng.choice(CLOSURE_REASONS),
                )
            )
        elif roll < 0.22:
            title, description = rng.choice(EVENTS)
            schedule.exceptions.append(
                ExceptionSpec(
                    kind="event",
                    start_date=start,
                    end_date=start,
                    start_time=datetime.time(18),
                    end_time=datetime.time(20),
                    title=title,
                    description=description,
                )
            )
        out.append(schedule)
    for offer in offers:
        rules = OFFER_RULES.get((typology[offer.place_key], offer.kind))
        if rules and not offer.end:
            out.append(
                ScheduleSpec(
                    place_key=offer.place_key, rules=rules, offer=(offer.kind, offer.provider)
                )
            )
    return out


def _offers_by_key(places: dict[int, Place]) -> dict[tuple[int, str, str], ServiceOffer]:
    key_of = {place.pk: key for key, place in places.items()}
    offers = ServiceOffer.objects.filter(place_id__in=list(key_of)).exclude(
        status=ServiceOffer.Status.ENDED
    )
    return {
        (key_of[o.place_id], o.kind.slug, o.provider.slug): o
        for o in offers.select_related("kind", "provider", "place")
    }


def write_schedules(
    schedules: list[ScheduleSpec], places: dict[int, Place], *, user, fast: bool = False
) -> int:
    """Write the hours through scheduling.actions (or bulk-inserted with `fast=True`, then
    the calendar of these places is rebuilt in one go)."""
    offers = _offers_by_key(places)

    def owner(spec: ScheduleSpec) -> dict:
        if spec.offer is None:
            return {"place": places[spec.place_key]}
        return {"offer": offers[(spec.place_key, *spec.offer)]}

    if fast:
        rows = [
            Schedule(rules=[r.to_dict() for r in rules_from_data(spec.rules)], **owner(spec))
            for spec in schedules
        ]
        Schedule.objects.bulk_create(rows, batch_size=1000)
        ScheduleException.objects.bulk_create(
            [
                ScheduleException(schedule=row, **vars(exc))
                for row, spec in zip(rows, schedules, strict=True)
                for exc in spec.exceptions
            ],
            batch_size=1000,
        )
        ids = [p.pk for p in places.values()]
        for index in range(0, len(ids), 200):
            actions.rebuild_places_calendar(ids[index : index + 200])
        return len(rows)
    for spec in schedules:
        schedule = actions.schedule_set_rules(
            user=user, rules=spec.rules, source="import:demo", **owner(spec)
        )
        for exc in spec.exceptions:
            actions.exception_add(user=user, schedule=schedule, source="import:demo", **vars(exc))
    return len(schedules)


@dataclass
class DemoSummary:
    created: bool
    places: int
    offers: int
    schedules: int


def load_demo(
    *,
    places: int = 150,
    seed: int = 2024,
    fast: bool = False,
    rebuild: bool = False,
    progress=None,
) -> DemoSummary:
    """Load the demo registry with its hours unless it is already there (or rebuild it).

    Returns how many places, offers and schedules the demo organisations hold afterwards.
    """
    if places_demo.demo_exists():
        if not rebuild:
            return _summary(created=False)
        services_demo.remove_demo()  # schedules and calendar rows go with places and offers
    with transaction.atomic():
        context = places_demo.create_context()
        services_demo.create_providers()
        specs = places_demo.generate_places(places, seed)
        written = places_demo.write_places(specs, context, fast=fast, progress=progress)
        by_key = {spec.key: place for spec, place in zip(specs, written, strict=True)}
        offers = services_demo.generate_offers(specs, seed)
        services_demo.write_offers(offers, by_key, user=context.admin, fast=fast)
        write_schedules(
            generate_schedules(specs, offers, seed), by_key, user=context.admin, fast=fast
        )
    refresh_planner_statistics()
    return _summary(created=True)


def _summary(*, created: bool) -> DemoSummary:
    demo_places = Place.objects.filter(organisation__slug__in=places_demo.DEMO_ORGANISATIONS)
    return DemoSummary(
        created=created,
        places=demo_places.count(),
        offers=ServiceOffer.objects.filter(place__in=demo_places).count(),
        schedules=Schedule.objects.filter(place__in=demo_places).count()
        + Schedule.objects.filter(offer__place__in=demo_places).count(),
    )
