"""A registry that grows by area, not by density: the demo's 1,000-place tile on a grid.

`load_tiles(places)` writes `places // 1000` tiles. Each tile is the demo generator's
metropolis (places, offers, hours and exceptions of `scheduling.demo`) drawn with its own
seed, moved to its own cell of a grid over metropolitan France (about 67 km apart, so a
5 km search around one tile's centre never reaches another), with its own invented
commune names, INSEE codes, postcodes and street names. Tile 0 sits on the demo's
centre and is the same at every size, so a search around it finds the same places at
1,000, 10,000 and 100,000 places: the density is constant, only the area grows.

Opening hours vary too: every place's times (and those of its offers' own slots) are
moved by -30 to +30 minutes in steps of 15, so per-rule caches do not hit for every place
of a typology.

Writes go through the demo modules' bulk paths (`write_places`, `write_offers`,
`write_schedules` with `fast=True`, as `load_demo(fast=True)` does: bulk inserts, then the
calendar of each tile materialised by `scheduling.actions.rebuild_places_calendar`), then
the planner statistics are refreshed once. Needs Django set up (the bench scripts do it).
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import replace

TILE = 1000
# The demo's centre (Val-Rhône, on Lyon's coordinates) is tile 0.
CENTRE = (45.7600, 4.8400)
STEP_LAT, STEP_LON = 0.6, 0.85  # about 67 km either way at these latitudes
# Metropolitan departments for invented INSEE codes (no overseas: their clocks differ).
DEPARTMENTS = [f"{d:02d}" for d in range(1, 96) if d != 20]
ROOTS = [
    "Aubre", "Belcour", "Castel", "Dorlan", "Escaude", "Fontan", "Garenne", "Hautmont",
    "Issard", "Jonquet", "Kervel", "Lormand", "Marsan", "Noirval", "Orlac", "Pradel",
    "Quincel", "Roubert", "Sarlane", "Tavern", "Ussel", "Vernay", "Wissant", "Ygrand",
    "Aubignac", "Bessol", "Chambrel", "Damvix", "Évrange", "Flamboin", "Gourdan",
    "Herbault", "Iholdy", "Jarnac", "Lhuys", "Montcel", "Nantel", "Ornans", "Pouzol",
    "Ravel",
]  # fmt: skip
SUFFIXES = [
    "", "-sur-Loire", "-en-Brie", "-le-Château", "-les-Bains", "-la-Forêt", "-sur-Mer",
    "-le-Vieux", "-en-Vallée", "-des-Prés", "-sous-Bois", "-la-Rivière", "-du-Lac",
    "-Saint-Martin", "-les-Vignes", "-le-Haut", "-le-Bas", "-sur-Seine", "-en-Forez",
    "-la-Plaine", "-aux-Champs", "-les-Ormes", "-sur-Garonne", "-en-Argonne", "-la-Combe",
    "-les-Monts", "-sur-Rhône", "-de-Provence", "-la-Dune", "-les-Sources",
]  # fmt: skip
STREET_POOL = [
    "Victor Hugo", "Jean Jaurès", "des Tisserands", "de la République", "Pasteur",
    "Louise Michel", "des Canuts", "Gambetta", "du Marché", "des Écoles", "Marie Curie",
    "Paul Bert", "de la Gare", "Émile Zola", "des Jardins", "Jean Moulin",
    "Olympe de Gouges", "Simone Veil", "du Lavoir", "des Platanes", "Berthe Morisot",
    "des Soyeux", "Antoine de Saint-Exupéry", "Lucie Aubrac", "des Acacias", "du Stade",
    "de l'Église", "des Lilas", "Voltaire", "Jules Ferry", "Anatole France", "Carnot",
    "de la Liberté", "du Moulin", "des Peupliers", "Camille Claudel", "Rosa Parks",
    "Nelson Mandela", "des Vergers", "de la Fontaine", "du Port", "des Remparts",
    "Georges Brassens", "Édith Piaf", "du Four", "des Cerisiers", "Pierre Mendès France",
    "de Verdun", "du 8 Mai 1945", "des Glycines", "Alexandre Dumas", "Condorcet",
]  # fmt: skip
SHIFTS = [-30, -15, 0, 15, 30]  # minutes


MAX_TILES = 100
# A 10 x 10 grid from about 43.4 to 48.8 N and 1.1 W to 6.5 E, tile 0 on Lyon's cell.
CELLS = [(0, 0)] + [(r, c) for r in range(-4, 6) for c in range(-7, 3) if (r, c) != (0, 0)]


def tile_cell(tile: int) -> tuple[int, int]:
    """(row, column) of a tile on the grid; tile 0 is (0, 0), the others around it."""
    if not 0 <= tile < MAX_TILES:
        raise ValueError(f"at most {MAX_TILES} tiles ({MAX_TILES * TILE} places)")
    return CELLS[tile]


def tile_communes(tile: int) -> list[tuple]:
    """The demo's communes, moved to the tile's cell and renamed (tile 0: as they are)."""
    from places.demo import COMMUNES

    if tile == 0:
        return list(COMMUNES)
    row, col = tile_cell(tile)
    dlat, dlon = row * STEP_LAT, col * STEP_LON
    department = DEPARTMENTS[tile % len(DEPARTMENTS)]
    out = []
    for index, (_name, _insee, _postcode, lat, lon, weight) in enumerate(COMMUNES):
        n = tile * len(COMMUNES) + index
        name = ROOTS[n % len(ROOTS)] + SUFFIXES[(n // len(ROOTS)) % len(SUFFIXES)]
        number = (tile // len(DEPARTMENTS)) * len(COMMUNES) + index + 1
        out.append(
            (
                name,
                f"{department}{number:03d}",
                f"{department}{(number * 10) % 1000:03d}",
                round(lat + dlat, 4),
                round(lon + dlon, 4),
                weight,
            )
        )
    return out


def tile_streets(tile: int) -> list[str]:
    """24 street names of the pool, a different draw for each tile."""
    return random.Random(f"streets-{tile}").sample(STREET_POOL, 24)


def _shift_time(value: str, minutes: int) -> str:
    hours, mins = (int(p) for p in value.split(":"))
    total = hours * 60 + mins + minutes
    return f"{total // 60:02d}:{total % 60:02d}"


def _shiftable(rules: list[dict], minutes: int) -> bool:
    """Whether every time stays within the day once moved."""
    for rule in rules:
        for span in rule.get("times", []):
            for value in span.split("-"):
                hours, mins = (int(p) for p in value.split(":"))
                if not 0 <= hours * 60 + mins + minutes <= 23 * 60 + 59:
                    return False
    return True


def shift_rules(rules: list[dict], minutes: int) -> list[dict]:
    """The same rules with every time moved by `minutes` (unchanged if one would leave the day)."""
    if not minutes or not _shiftable(rules, minutes):
        return rules
    return [
        {
            **rule,
            "times": [
                "-".join(_shift_time(t, minutes) for t in span.split("-"))
                for span in rule.get("times", [])
            ],
        }
        if "times" in rule
        else rule
        for rule in rules
    ]


def write_tile(tile: int, context, seed: int, places_only: bool = False) -> tuple[int, int, int]:
    """One tile: places, offers, hours; returns (places, offers, schedules) written."""
    from places import demo as places_demo
    from scheduling import demo as scheduling_demo
    from services import demo as services_demo

    tile_seed = seed + tile
    specs = places_demo.generate_places(
        TILE, tile_seed, communes=tile_communes(tile), streets=tile_streets(tile)
    )
    written = places_demo.write_places(specs, context, fast=True)
    if places_only:
        return len(specs), 0, 0
    by_key = {spec.key: place for spec, place in zip(specs, written, strict=True)}
    offers = services_demo.generate_offers(specs, tile_seed)
    services_demo.write_offers(offers, by_key, user=context.admin, fast=True)
    schedules = scheduling_demo.generate_schedules(specs, offers, tile_seed)
    rng = random.Random(f"shifts-{tile_seed}")
    shift = {spec.key: rng.choice(SHIFTS) for spec in specs}
    schedules = [replace(s, rules=shift_rules(s.rules, shift[s.place_key])) for s in schedules]
    scheduling_demo.write_schedules(schedules, by_key, user=context.admin, fast=True)
    return len(specs), len(offers), len(schedules)


def load_tiles(places: int, seed: int = 2024, progress=None, places_only: bool = False) -> dict:
    """Replace the demo registry by `places // 1000` tiles; returns counts and seconds.

    `places_only`: no offers nor hours (enough to measure free-text search).
    """
    from django.db import transaction

    from places import demo as places_demo
    from places.planner import refresh_planner_statistics
    from services import demo as services_demo

    if places % TILE:
        raise ValueError(f"places must be a multiple of {TILE}")
    started = time.perf_counter()
    if places_demo.demo_exists():
        services_demo.remove_demo()
    context = places_demo.create_context()
    services_demo.create_providers()
    totals = [0, 0, 0]
    for tile in range(places // TILE):
        with transaction.atomic():
            counts = write_tile(tile, context, seed, places_only)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        if progress:
            progress(tile, time.perf_counter() - started)
    refresh_planner_statistics()
    return {
        "places": totals[0],
        "offers": totals[1],
        "schedules": totals[2],
        "seconds": time.perf_counter() - started,
        "date": datetime.date.today(),
    }
