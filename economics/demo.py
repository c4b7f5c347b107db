"""Demo economics for the demo registry: spaces, sharing offers, two years of budgets and
a month of attendance, plausible per typology. Deterministic for a given seed.

- a fab lab lives on public subsidy, trainings and machine time;
- a coworking on desk and room rentals;
- a France Services on State and hosted providers' contributions;
- other places get a small mixed budget.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db import transaction

from economics.actions import occupancy_refresh
from economics.models import Attendance, BudgetLine, SharingOffer, Space
from places.demo import DEMO_ORGANISATIONS
from places.models import Place
from places.planner import refresh_planner_statistics

# typology -> (spaces, costs {category: base €}, revenues {category: base €})
PROFILES = {
    "fablab": (
        [
            ("Atelier machines", "workshop", 12),
            ("Découpe laser", "machine", 1),
            ("Salle de réunion", "meeting_room", 10),
        ],
        {
            "premises": 18000,
            "staff": 62000,
            "equipment": 14000,
            "energy": 6000,
            "insurance": 1500,
            "it": 2500,
        },
        {
            "subsidy_region": 30000,
            "subsidy_commune": 18000,
            "subsidy_eu": 9000,
            "training": 16000,
            "equipment_rental": 12000,
            "memberships": 5000,
            "sales": 3000,
        },
    ),
    "coworking": (
        [
            ("Open space", "open_space", 24),
            ("Salle de réunion", "meeting_room", 8),
            ("Bureau fermé", "desk", 4),
        ],
        {"premises": 42000, "staff": 38000, "energy": 5000, "it": 6000, "events": 3000},
        {
            "space_rental": 76000,
            "memberships": 9000,
            "event_hosting": 6000,
            "subsidy_commune": 4000,
        },
    ),
    "france_services": (
        [
            ("Accueil", "room", 6),
            ("Bureau confidentiel", "desk", 1),
            ("Salle de réunion", "meeting_room", 8),
        ],
        {"premises": 15000, "staff": 70000, "it": 5000, "energy": 3000, "insurance": 1000},
        {
            "subsidy_state": 30000,
            "provider_contributions": 24000,
            "subsidy_intercommunality": 25000,
            "subsidy_commune": 12000,
        },
    ),
}
DEFAULT = (
    [("Salle polyvalente", "room", 20)],
    {"premises": 8000, "staff": 15000, "energy": 2000},
    {"subsidy_commune": 12000, "memberships": 4000, "in_kind": 5000, "event_hosting": 2000},
)
SHARE_RULES = [{"kind": "weekly", "days": [1, 3], "times": ["18:00-22:00"]},
               {"kind": "weekly", "days": [5], "times": ["09:00-13:00"]}]  # fmt: skip


def _profile(place: Place):
    codes = [t.code for t in place.typologies.all()]
    for code in ("fablab", "coworking", "france_services"):
        if code in codes:
            return PROFILES[code]
    return DEFAULT


@transaction.atomic
def load_economics_demo(*, seed: int = 2024, year: int | None = None) -> dict:
    """Write the demo economics once (idempotent: does nothing if demo spaces exist)."""
    places = list(
        Place.objects.filter(organisation__slug__in=DEMO_ORGANISATIONS)
        .prefetch_related("typologies")
        .order_by("pk")
    )
    if Space.objects.filter(place__in=places).exists():
        return {"created": False, "spaces": Space.objects.filter(place__in=places).count()}
    rng = random.Random(seed)
    year = year or datetime.date.today().year - 1
    spaces, lines = [], []
    for place in places:
        space_specs, costs, revenues = _profile(place)
        scale = Decimal(str(round(rng.uniform(0.6, 1.4), 2)))
        for name, kind, capacity in space_specs:
            spaces.append(Space(place=place, name=name, kind=kind, capacity=capacity,
                                bookable=kind in ("meeting_room", "machine", "desk"),
                                visibility="public"))  # fmt: skip
        for y, drift in ((year - 1, Decimal("0.95")), (year, Decimal("1"))):
            for direction, table in (("cost", costs), ("revenue", revenues)):
                for category, base in table.items():
                    noise = Decimal(str(round(rng.uniform(0.85, 1.15), 2)))
                    amount = (Decimal(base) * scale * drift * noise).quantize(Decimal("1"))
                    lines.append(BudgetLine(place=place, year=y, scenario="actual",
                                            direction=direction, category=category,
                                            amount=amount, visibility="partners"))  # fmt: skip
            # the forecast for next year repeats this year's lines
        lines += [
            BudgetLine(
                place=place,
                year=year + 1,
                scenario="forecast",
                direction=line.direction,
                category=line.category,
                amount=line.amount,
                visibility="staff",
            )  # fmt: skip
            for line in lines
            if line.place is place and line.year == year
        ]
    Space.objects.bulk_create(spaces, batch_size=2000)
    BudgetLine.objects.bulk_create(lines, batch_size=5000)
    offers, attendance = [], []
    month = datetime.date.today().replace(day=1) - datetime.timedelta(days=1)
    month = month.replace(day=1)
    for space in Space.objects.filter(place__in=places).order_by("pk"):
        if space.kind in ("meeting_room", "machine"):
            offers.append(SharingOffer(space=space, rules=SHARE_RULES,
                                       terms="per_hour", price=Decimal(rng.choice([8, 12, 15, 20])),
                                       conditions="Réservation 48 h à l'avance.",
                                       audiences=["associations", "entrepreneurs"],
                                       visibility="public"))  # fmt: skip
        day = month
        while day.month == month.month:
            if day.weekday() < 5:
                uses = rng.randint(0, max(1, space.capacity // 2))
                hours = Decimal(uses * rng.choice([2, 3, 4]))
                attendance.append(Attendance(place_id=space.place_id, space=space, date=day,
                                             visits=uses, uses=uses, source="import:demo",
                                             hours_used=hours))  # fmt: skip
            day += datetime.timedelta(days=1)
    SharingOffer.objects.bulk_create(offers, batch_size=2000)
    Attendance.objects.bulk_create(attendance, batch_size=5000)
    for place in places:
        occupancy_refresh(place=place, months=[month])
    refresh_planner_statistics()
    return {"created": True, "spaces": len(spaces), "lines": len(lines), "offers": len(offers)}
