"""Reads of economics shared by the staff pages, the directory and the API.

Bulk reads (peers, dashboard, coverage) cost a fixed number of queries whatever the number
of places; figures are then assembled in Python from grouped rows.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import CharField, Count, Max, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from economics import indicators
from economics.availability import (
    hour_pieces,
    hours,
    place_open_intervals,
    places_open_hours,
    shared_at,
    sharing_ruleset,
)
from economics.models import (
    PUBLIC_REVENUES,
    VISIBLE_TO,
    Attendance,
    BudgetLine,
    OccupancyMonth,
    SharingOffer,
    Space,
    SpaceUse,
)
from places.geo import haversine_km, in_bounding_box
from places.models import Organisation, Place, Typology, normalize_text
from places.timezones import place_zone
from scheduling.materialise import current_window, local_zone, to_utc
from scheduling.models import OpeningInterval, Schedule
from scheduling.rules import merge, rules_from_data
from scheduling.school_holidays import SchoolCalendarNotCovered
from scheduling.selectors import format_range
from services.models import Provider, ServiceOffer

ZERO = Decimal("0")
CENT = Decimal("0.01")
PROFILES = ("mediation", "work", "creation")

# Revenue categories gathered into families for the stacked bars.
REVENUE_FAMILIES = {
    "public": PUBLIC_REVENUES,
    "sponsoring": {"sponsoring", "crowdfunding"},
    "providers": {"provider_contributions"},
    "rentals": {"space_rental", "equipment_rental"},
    "activity": {"memberships", "training", "event_hosting", "sales"},
    "in_kind": {"in_kind"},
}


def audience_filter(queryset: QuerySet, audience: str, field_name: str = "visibility"):
    """Keep the rows an audience ("public", "partners", "staff") may read."""
    return queryset.filter(**{f"{field_name}__in": VISIBLE_TO[audience]})


# -- spaces -----------------------------------------------------------------------------------


def place_spaces(place: Place) -> QuerySet[Space]:
    return Space.objects.filter(place=place).select_related("sharing").order_by("name", "id")


# -- budgets ------------------------------------------------------------------------------------


def budget_lines(
    place: Place, *, year: int | None = None, scenario: str | None = None, audience="staff"
) -> QuerySet[BudgetLine]:
    lines = BudgetLine.objects.filter(place=place)
    if year is not None:
        lines = lines.filter(year=year)
    if scenario is not None:
        lines = lines.filter(scenario=scenario)
    return audience_filter(lines, audience).select_related("funder_provider", "funder_organisation")


def budget_years(place: Place) -> list[int]:
    return sorted(set(BudgetLine.objects.filter(place=place).values_list("year", flat=True)))


def latest_budget_year(places: QuerySet[Place]) -> int | None:
    """The latest year with actual budget lines among `places` (or with any line at all).

    Economics pages open on it, never on an empty year.
    """
    lines = BudgetLine.objects.filter(place__in=places)
    actual = lines.filter(scenario=BudgetLine.Scenario.ACTUAL).aggregate(y=Max("year"))["y"]
    return actual or lines.aggregate(y=Max("year"))["y"]


def funder_choices() -> list[tuple[str, str]]:
    """("provider:<slug>" | "organisation:<slug>", name) for the budget table, each once.

    A provider run by an organisation funds as that organisation (see
    economics.actions._one_funder), so it is not listed apart.
    """
    providers = [
        (f"provider:{slug}", name)
        for slug, name in Provider.objects.filter(organisation__isnull=True).values_list(
            "slug", "name"
        )
    ]
    organisations = [
        (f"organisation:{slug}", name)
        for slug, name in Organisation.objects.values_list("slug", "name")
    ]
    return sorted(providers + organisations, key=lambda c: normalize_text(c[1]))


def _lines_of(rows: Iterable[BudgetLine]) -> list[indicators.Line]:
    return [
        indicators.Line(line.direction, line.category, line.amount, line.funder_key)
        for line in rows
    ]


# -- indicators of one place --------------------------------------------------------------------


@dataclass
class PlaceEconomics:
    year: int
    indicators: dict
    alerts: list
    balances: dict[int, Decimal]
    open_hours: Decimal
    visits: int
    occupancy: Decimal | None
    totals: indicators.Totals
    years: list = field(default_factory=list)
    funder_names: dict[str, str] = field(default_factory=dict)


def year_occupancy(
    place_ids: Iterable[int] | QuerySet, year: int
) -> dict[int, tuple[Decimal, Decimal]]:
    """{place id: (used, offered)} capacity-hours stored for the months of a year."""
    rows = (
        OccupancyMonth.objects.filter(
            place_id__in=place_ids,
            month__gte=datetime.date(year, 1, 1),
            month__lt=datetime.date(year + 1, 1, 1),
        )
        .values("place_id")
        .annotate(used=Sum("used_hours"), offered=Sum("offered_hours"))
    )
    return {r["place_id"]: (r["used"] or ZERO, r["offered"] or ZERO) for r in rows}


def place_economics(place: Place, year: int, *, audience: str = "staff") -> PlaceEconomics:
    """Indicators and alerts of a place for a year (actual figures), as `audience` sees them."""
    lines = list(budget_lines(place, scenario="actual", audience=audience))
    this_year = [line for line in lines if line.year == year]
    balances: dict[int, Decimal] = {}
    by_year: dict[int, dict] = {}
    for line in lines:
        sign = 1 if line.direction == "revenue" else -1
        balances[line.year] = balances.get(line.year, ZERO) + sign * line.amount
        entry = by_year.setdefault(
            line.year, {"year": line.year, "costs": ZERO, "revenues": ZERO, "balance": ZERO}
        )
        entry["costs" if line.direction == "cost" else "revenues"] += line.amount
        entry["balance"] = entry["revenues"] - entry["costs"]
    intervals = place_open_intervals(
        place, datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)
    )
    open_hours = Decimal(str(round(hours(intervals), 2)))
    visits = (
        Attendance.objects.filter(place=place, date__year=year).aggregate(v=Sum("visits"))["v"] or 0
    )
    used, offered = year_occupancy([place.pk], year).get(place.pk, (ZERO, ZERO))
    occupancy = indicators.ratio(used, offered)
    values = _lines_of(this_year)
    result = indicators.compute(values, open_hours=open_hours, visits=visits, occupancy=occupancy)
    t = indicators.totals(values)
    names = {line.funder_key: str(line.funder) for line in this_year if line.funder_key}
    shares = {k: v / t.revenues for k, v in t.by_funder.items()} if t.revenues else {}
    alert_list = indicators.alerts(
        balances=balances,
        year=year,
        funder_shares=shares,
        occupancy=occupancy,
        funder_names=names,
    )
    return PlaceEconomics(
        year=year,
        indicators=result,
        alerts=alert_list,
        balances=balances,
        open_hours=open_hours,
        visits=visits,
        occupancy=occupancy,
        totals=t,
        years=[by_year[y] for y in sorted(by_year)],
        funder_names=names,
    )


# -- figures of many places at once ------------------------------------------------------------

PEER_KEYS = (
    "total_costs",
    "total_revenues",
    "balance",
    "self_financing",
    "public_share",
    "revenue_sources",
    "hhi",
    "equivalent_sources",
    "partners",
    "cost_per_open_hour",
    "cost_per_visit",
    "occupancy",
)


def _year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1)


def year_figures(
    place_ids: list[int] | QuerySet,
    year: int,
    *,
    audience="staff",
    open_hours: bool = False,
) -> dict:
    """{place id: {indicator key: value, "revenue_by_category": {...}, "used", "offered"}}.

    Only places with actual budget lines for the year appear. The sums are grouped in SQL
    (one row per place, direction and category; one per place for partners, visits and
    occupancy), so the cost is four queries and one pass over those rows whatever the number
    of places. With `open_hours`, cost per open hour is computed too from every place's
    calendar (`availability.places_open_hours`: three more queries, and each schedule
    evaluated over the year); without it, it is left out (None).
    """
    first, stop = _year_range(year)
    lines = audience_filter(
        BudgetLine.objects.filter(place_id__in=place_ids, year=year, scenario="actual"),
        audience,
    )
    totals: dict[int, indicators.Totals] = {}
    for place_id, direction, category, total in (
        lines.values("place_id", "direction", "category")
        .annotate(total=Sum("amount"))
        .values_list("place_id", "direction", "category", "total")
    ):
        t = totals.get(place_id)
        if t is None:
            t = totals[place_id] = indicators.Totals()
        # SQLite returns unscaled sums: give every database's figures two decimals.
        amount = total.quantize(CENT)
        if direction == "cost":
            t.costs += amount
            t.by_cost_category[category] = t.by_cost_category.get(category, ZERO) + amount
        else:
            t.revenues += amount
            t.by_revenue_category[category] = t.by_revenue_category.get(category, ZERO) + amount
    partners = dict(
        lines.values("place_id")
        .annotate(
            n=Count("funder_provider", distinct=True) + Count("funder_organisation", distinct=True)
        )
        .values_list("place_id", "n")
    )
    with_lines = lines.values("place_id")
    visits = dict(
        Attendance.objects.filter(place_id__in=with_lines, date__gte=first, date__lt=stop)
        .values("place_id")
        .annotate(v=Sum("visits"))
        .values_list("place_id", "v")
    )
    occupancy = year_occupancy(with_lines, year)
    hours = places_open_hours(with_lines, first, stop) if open_hours else {}
    out = {}
    for place_id, t in totals.items():
        used, offered = occupancy.get(place_id, (ZERO, ZERO))
        values = indicators.values(
            t,
            partners=partners.get(place_id, 0),
            open_hours=Decimal(str(round(hours.get(place_id, 0.0), 2))) if open_hours else None,
            visits=visits.get(place_id),
            occupancy=indicators.ratio(used, offered),
        )
        figures = {key: values[key] for key in PEER_KEYS}
        figures["revenue_by_category"] = t.by_revenue_category
        figures["used"], figures["offered"] = used, offered
        out[place_id] = figures
    return out


def profile_set(place: Place) -> tuple[str, ...]:
    return tuple(p for p in PROFILES if getattr(place, p, None) is not None)


def primary_typology(place: Place) -> Typology | None:
    return place.typologies.order_by("position").first()


def peers_of(place: Place) -> QuerySet[Place]:
    """Places of the same primary typology and the same profiles (the place included)."""
    typology = primary_typology(place)
    peers = Place.objects.exclude(status=Place.Status.ARCHIVED)
    if typology is not None:
        peers = peers.filter(typologies=typology)
    for profile in PROFILES:
        peers = peers.filter(**{f"{profile}__isnull": profile not in profile_set(place)})
    return peers.distinct()


def peer_comparison(place: Place, year: int) -> dict:
    """Quartiles of each indicator over the place's peers, and where the place stands.

    Every indicator of docs/economics.md; cost per open hour reads each peer's calendar over
    the year (`year_figures(open_hours=True)`).
    """
    peers = peers_of(place)
    figures = year_figures(peers.values("pk"), year, open_hours=True)
    own = figures.get(place.pk, {})
    names = indicators.labels()
    rows = []
    for key in PEER_KEYS:
        stats = indicators.quartiles([f[key] for f in figures.values() if f[key] is not None])
        label, unit = names[key]
        rows.append(
            {"key": key, "label": label, "unit": unit, "value": own.get(key), "stats": stats}
        )
    return {"count": len(figures), "typology": primary_typology(place), "rows": rows}


# -- territory dashboard ------------------------------------------------------------------------


def _median(values):
    stats = indicators.quartiles([v for v in values if v is not None])
    return stats["median"] if stats else None


def _sum_grids(grids: list[list[list[float]]]) -> list[list[float]]:
    """Cell by cell sum of 7 × 24 grids (summed column-wise, not cell by cell in Python)."""
    if not grids:
        return [[0.0] * 24 for _ in range(7)]
    return [
        [float(sum(cells)) for cells in zip(*(g[d] for g in grids), strict=True)] for d in range(7)
    ]


def dashboard(places: QuerySet[Place], year: int) -> dict:
    """Totals and medians by profile, typology and commune, revenue mix, heat map, balances.

    A fixed number of queries whatever the number of places: places (1), typologies (1),
    budget sums (1), partners (1), visits (1), occupancy (1), balances over years (1), heat
    map of the latest month (1). Sums are grouped in SQL; Python then walks one row per
    place (medians and quartiles) and never goes back to the database.
    """
    place_rows = list(
        places.values("pk", "commune", "insee_code").annotate(
            has_mediation=Count("mediation"),
            has_work=Count("work"),
            has_creation=Count("creation"),
        )
    )
    ids = [r["pk"] for r in place_rows]
    typologies = defaultdict(list)
    labels = dict(Typology.Code.choices)
    for place_id, code in Place.typologies.through.objects.filter(
        place_id__in=places.values("pk")
    ).values_list("place_id", "typology__code"):
        typologies[place_id].append(code)
    figures = year_figures(places.values("pk"), year)

    groups: dict[str, dict[str, list]] = {"profile": {}, "typology": {}, "commune": {}}
    for r in place_rows:
        keys = {
            "profile": [p for p in PROFILES if r[f"has_{p}"]] or ["none"],
            "typology": typologies.get(r["pk"], []) or ["other"],
            "commune": [r["commune"] or "—"],
        }
        for dimension, values in keys.items():
            for value in values:
                groups[dimension].setdefault(value, []).append(r["pk"])

    profile_labels = {
        "mediation": Place._meta.get_field("mediation").related_model._meta.verbose_name,
        "work": Place._meta.get_field("work").related_model._meta.verbose_name,
        "creation": Place._meta.get_field("creation").related_model._meta.verbose_name,
        "none": "—",
    }

    def summarise(dimension: str, label_of) -> list[dict]:
        out = []
        for key, members in groups[dimension].items():
            known = [figures[p] for p in members if p in figures]
            used = sum((f["used"] for f in known), ZERO)
            offered = sum((f["offered"] for f in known), ZERO)
            out.append(
                {
                    "key": key,
                    "label": str(label_of(key)),
                    "places": len(members),
                    "with_budget": len(known),
                    "costs": sum((f["total_costs"] for f in known), ZERO),
                    "revenues": sum((f["total_revenues"] for f in known), ZERO),
                    "balance": sum((f["balance"] for f in known), ZERO),
                    "median_balance": _median([f["balance"] for f in known]),
                    "median_self_financing": _median([f["self_financing"] for f in known]),
                    "median_public_share": _median([f["public_share"] for f in known]),
                    "occupancy": indicators.ratio(used, offered),
                }
            )
        return sorted(out, key=lambda g: (-g["places"], g["label"]))

    by_typology = summarise("typology", lambda k: labels.get(k, k))
    family_of = {c: family for family, members in REVENUE_FAMILIES.items() for c in members}
    mix = []
    for group in by_typology:
        families = dict.fromkeys(REVENUE_FAMILIES, ZERO)
        for p in groups["typology"][group["key"]]:
            for category, amount in figures.get(p, {}).get("revenue_by_category", {}).items():
                family = family_of.get(category)
                if family is not None:
                    families[family] += amount
        if any(families.values()):
            mix.append({"label": group["label"], "values": families})

    balance_rows = (
        BudgetLine.objects.filter(place_id__in=places.values("pk"), scenario="actual")
        .values("year", "direction")
        .annotate(total=Sum("amount"))
        .order_by("year")
    )
    years: dict[int, dict] = {}
    for r in balance_rows:
        entry = years.setdefault(r["year"], {"year": r["year"], "costs": ZERO, "revenues": ZERO})
        entry["costs" if r["direction"] == "cost" else "revenues"] += r["total"]
    for entry in years.values():
        entry["balance"] = entry["revenues"] - entry["costs"]

    first, stop = _year_range(year)
    in_year = OccupancyMonth.objects.filter(
        place_id__in=places.values("pk"), month__gte=first, month__lt=stop
    )
    heat_rows = list(
        in_year.filter(month=Subquery(in_year.order_by("-month").values("month")[:1])).values_list(
            "month", "heat"
        )
    )
    heat_month = heat_rows[0][0] if heat_rows else None
    offered = _sum_grids([heat["offered"] for _m, heat in heat_rows])
    used = _sum_grids([heat["used"] for _m, heat in heat_rows])
    return {
        "year": year,
        "places": len(ids),
        "with_budget": len(figures),
        "by_profile": summarise("profile", lambda k: profile_labels.get(k, k)),
        "by_typology": by_typology,
        "by_commune": summarise("commune", lambda k: k),
        "revenue_mix": mix,
        "balances": [years[y] for y in sorted(years)],
        "heat_month": heat_month,
        "heat": {"offered": offered, "used": used},
    }


# -- coverage study -----------------------------------------------------------------------------

COVERAGE_RADIUS_KM = 10.0


@dataclass
class Commune:
    insee_code: str
    name: str
    latitude: float | None
    longitude: float | None
    population: int | None = None
    from_file: bool = False


def registry_communes(places: QuerySet[Place] | None = None) -> list[Commune]:
    """Every commune with places, located at the mean position of its places (one query)."""
    places = Place.objects.all() if places is None else places
    rows = (
        places.exclude(insee_code="")
        .values("insee_code")
        .annotate(
            lat=Sum("latitude"),
            lon=Sum("longitude"),
            located=Count("latitude"),
            commune_name=Max("commune"),
        )
        .order_by("insee_code")
    )
    out = []
    for r in rows:
        n = r["located"]
        out.append(
            Commune(
                insee_code=r["insee_code"],
                name=r["commune_name"] or r["insee_code"],
                latitude=float(r["lat"]) / n if n else None,
                longitude=float(r["lon"]) / n if n else None,
            )
        )
    return out


class _Grid:
    """Points bucketed by 0.02° cells, for nearest and within-radius questions."""

    CELL = 0.02  # about 2.2 × 1.6 km: a 10 km circle holds many whole cells

    def __init__(self, points: list[tuple[float, float, int]], groups: dict | None = None):
        """`groups` maps a point's key to a group (e.g. its hours): `survey` gathers them."""
        self.cells: dict[tuple[int, int], list] = defaultdict(list)
        for lat, lon, key in points:
            self.cells[(int(lat // self.CELL), int(lon // self.CELL))].append((lat, lon, key))
        self.empty = not points
        self.size = len(points)
        groups = groups or {}
        self.groups = {
            cell: frozenset(groups.get(key) for _lat, _lon, key in bucket)
            for cell, bucket in self.cells.items()
        }
        self.group_of = groups

    def survey(self, lat: float, lon: float, km: float) -> tuple[int, set, tuple | None]:
        """(number of points within `km`, their groups, the nearest point within `km`).

        A crowded cell entirely inside the circle is counted whole and one entirely outside
        is skipped: only the points of the cells the circle crosses are measured one by one.
        """
        C = self.CELL
        dlat_deg = km / 111.0 * 1.01
        dlon_deg = km / (111.0 * max(math.cos(math.radians(lat)), 0.01)) * 1.01
        di, dj = math.ceil(dlat_deg / C), math.ceil(dlon_deg / C)
        ci, cj = int(lat // C), int(lon // C)
        if (2 * di + 1) * (2 * dj + 1) > 8 * self.size:
            found = self.within(lat, lon, km)
            return (
                len(found),
                {self.group_of.get(key) for _d, key in found},
                min(found) if found else None,
            )
        count, groups, whole, best = 0, set(), [], None
        group_of = self.group_of
        for i in range(ci - di, ci + di + 1):
            for j in range(cj - dj, cj + dj + 1):
                bucket = self.cells.get((i, j))
                if not bucket:
                    continue
                if len(bucket) > 4:
                    lat0, lon0 = i * C, j * C
                    # the cell's closest point (exact enough at these sizes, with a margin)
                    near = haversine_km(
                        lat, lon, min(max(lat, lat0), lat0 + C), min(max(lon, lon0), lon0 + C)
                    )
                    near = near * 0.99 - 0.05
                    if near > km:
                        continue
                    far = max(
                        haversine_km(lat, lon, a, b)
                        for a in (lat0, lat0 + C)
                        for b in (lon0, lon0 + C)
                    )
                    if far * 1.01 + 0.05 < km:
                        count += len(bucket)
                        groups |= self.groups[(i, j)]
                        whole.append((near, i, j))
                        continue
                for plat, plon, key in bucket:
                    d = haversine_km(lat, lon, plat, plon)
                    if d <= km:
                        count += 1
                        groups.add(group_of.get(key))
                        if best is None or (d, key) < best:
                            best = (d, key)
        # cells counted whole: measure their points only while they may hold a closer one
        for near, i, j in sorted(whole):
            if best is not None and near > best[0]:
                break
            for plat, plon, key in self.cells[(i, j)]:
                found = (haversine_km(lat, lon, plat, plon), key)
                if best is None or found < best:
                    best = found
        return count, groups, best

    def within(self, lat: float, lon: float, km: float) -> list[tuple[float, int]]:
        dlat_deg = km / 111.0
        dlon_deg = km / (111.0 * max(math.cos(math.radians(lat)), 0.01))
        di, dj = math.ceil(dlat_deg / self.CELL), math.ceil(dlon_deg / self.CELL)
        ci, cj = int(lat // self.CELL), int(lon // self.CELL)
        # a degree of latitude is at least 110.5 km: the box keeps every point within `km`
        lat_lo, lat_hi = lat - dlat_deg * 1.01, lat + dlat_deg * 1.01
        lon_lo, lon_hi = lon - dlon_deg * 1.01, lon + dlon_deg * 1.01
        found = []
        cells = self.cells
        if (2 * di + 1) * (2 * dj + 1) > 8 * self.size:
            # a wide search (a commune far from every place): measuring every point is
            # cheaper than visiting every cell of the box
            for bucket in cells.values():
                for plat, plon, key in bucket:
                    d = haversine_km(lat, lon, plat, plon)
                    if d <= km:
                        found.append((d, key))
            return found
        for i in range(ci - di, ci + di + 1):
            for j in range(cj - dj, cj + dj + 1):
                for plat, plon, key in cells.get((i, j), ()):
                    if not (lat_lo <= plat <= lat_hi and lon_lo <= plon <= lon_hi):
                        continue
                    d = haversine_km(lat, lon, plat, plon)
                    if d <= km:
                        found.append((d, key))
        return found

    def nearest(
        self, lat: float, lon: float, *, known: list[tuple[float, int]] | None = None, km=5.0
    ) -> tuple[float, int] | None:
        """The closest point; `known` is the result of `within(lat, lon, km)` if already asked."""
        if self.empty:
            return None
        found = known if known is not None else self.within(lat, lon, km)
        while not found and km < 25000:
            km *= 2
            found = self.within(lat, lon, km)
        return min(found) if found else None


def offering_places(
    places: QuerySet[Place], *, kind_slug: str = "", profile: str = ""
) -> QuerySet[Place]:
    """Published places offering a service kind (an active offer) or having a profile."""
    places = places.filter(status=Place.Status.PUBLISHED, latitude__isnull=False)
    if kind_slug:
        places = places.filter(
            pk__in=ServiceOffer.objects.filter(kind__slug=kind_slug, status="active").values(
                "place_id"
            )
        )
    if profile in PROFILES:
        places = places.filter(**{f"{profile}__isnull": False})
    return places


def _week_intervals(place_ids, kind_slug: str, week_start, week_end) -> dict[int, tuple]:
    """{place id: merged UTC intervals} in the week: the offer's own times when it has a
    schedule, the place's general hours otherwise. `place_ids` may be a queryset of ids.

    Places mostly share the same few intervals: rows are read as (place, text key) pairs and
    only the distinct intervals are read as datetimes (SQLite parses every datetime in
    Python). Two queries (four with a service kind) whatever the number of places.
    """
    key = Concat(
        Cast("start", CharField()), Value("/"), Cast("end", CharField()), output_field=CharField()
    )
    base = OpeningInterval.objects.filter(
        kind=OpeningInterval.Kind.OPEN, start__gte=week_start, start__lt=week_end
    ).annotate(key=key)
    general = base.general_hours().filter(place_id__in=place_ids)
    by_place: dict[int, list] = defaultdict(list)
    offer_scheduled: set[int] = set()
    wanted = Q(offer__isnull=True, place_id__in=place_ids)
    if kind_slug:
        scheduled = Schedule.objects.filter(
            offer__kind__slug=kind_slug, offer__status="active", offer__place_id__in=place_ids
        )
        offer_scheduled = set(scheduled.values_list("offer__place_id", flat=True))
        own = Q(offer_id__in=scheduled.values("offer_id"))
        wanted |= own
        for place_id, k in base.filter(own).values_list("place_id", "key"):
            by_place[place_id].append(k)
    for place_id, k in general.values_list("place_id", "key"):
        if place_id not in offer_scheduled:
            by_place[place_id].append(k)
    intervals = {
        k: (start, end)
        for k, start, end in base.filter(wanted)
        .order_by()
        .values_list("key", "start", "end")
        .distinct()
    }
    return {
        place_id: tuple(merge(intervals[k] for k in keys)) for place_id, keys in by_place.items()
    }


def coverage(
    places: QuerySet[Place],
    *,
    kind_slug: str = "",
    profile: str = "",
    extra_communes: Iterable[Commune] = (),
    radius_km: float = COVERAGE_RADIUS_KM,
) -> dict:
    """For each commune: the distance to the nearest place offering the service, and the
    hours in the coming week when at least one such place within `radius_km` offers it.

    Communes come from the registry (located at the mean of their places) plus any given;
    rows are sorted with the worst served first (no place at all, then farthest, then
    fewest hours). The week is the first seven days of the materialised calendar from
    today. Queries, whatever the number of places and communes: communes (1), offering
    places (1), calendar window (1), intervals (2, or 4 for a service kind). Places are
    bucketed in a 0.02° grid (`_Grid.survey`), so each commune only measures the places of
    the cells its circle crosses.
    """
    communes: dict[str, Commune] = {c.insee_code: c for c in registry_communes(places)}
    for c in extra_communes:
        communes[c.insee_code] = c
    offering_qs = offering_places(places, kind_slug=kind_slug, profile=profile)
    offering = list(offering_qs.values_list("pk", "name", "latitude", "longitude", "commune"))
    info = {pk: (name, commune) for pk, name, _lat, _lon, commune in offering}
    window = current_window()
    tz = local_zone()
    today = max(window.start, datetime.date.today())
    week_start = to_utc(datetime.datetime.combine(today, datetime.time()), tz)
    week_end = to_utc(
        datetime.datetime.combine(today + datetime.timedelta(days=7), datetime.time()), tz
    )
    intervals = _week_intervals(offering_qs.values("pk"), kind_slug, week_start, week_end)
    # places sharing the same hours form one group: a commune unions each group's hours once
    hours_groups: dict[tuple, int] = {}
    group_of = {
        pk: hours_groups.setdefault(intervals.get(pk, ()), len(hours_groups))
        for pk, *_rest in offering
    }
    group_hours = {g: found for found, g in hours_groups.items()}
    grid = _Grid([(float(lat), float(lon), pk) for pk, _n, lat, lon, _c in offering], group_of)
    rows = []
    for commune in communes.values():
        row = {
            "commune": commune,
            "nearest_km": None,
            "nearest": None,
            "places_within": 0,
            "hours_within": Decimal("0"),
        }
        if commune.latitude is not None:
            count, groups, near = grid.survey(commune.latitude, commune.longitude, radius_km)
            if near is None:  # nothing within the radius: search wider
                near = grid.nearest(commune.latitude, commune.longitude, known=[], km=radius_km)
            if near is not None:
                row["nearest_km"] = Decimal(str(round(near[0], 1)))
                row["nearest"] = info[near[1]][0]
            row["places_within"] = count
            merged = merge(i for g in groups for i in group_hours[g])
            row["hours_within"] = Decimal(str(round(hours(merged), 1)))
        rows.append(row)
    rows.sort(
        key=lambda r: (
            r["nearest_km"] is not None,
            -(r["nearest_km"] or 0),
            r["hours_within"],
            normalize_text(r["commune"].name),
        )
    )
    return {
        "rows": rows,
        "offering": len(offering),
        "radius_km": radius_km,
        "week": (today, today + datetime.timedelta(days=6)),
    }


# -- spaces to share ----------------------------------------------------------------------------


@dataclass
class SharedSpace:
    offer: SharingOffer
    space: Space
    place: Place
    distance_km: float | None = None


def shared_spaces(
    *,
    audience: str = "public",
    kinds: Iterable[str] = (),
    min_capacity: int | None = None,
    at: datetime.datetime | None = None,
    near: tuple[float, float] | None = None,
    radius_km: float | None = None,
) -> list[SharedSpace]:
    """Spaces open to other actors that `audience` may see, filtered and, near a point,
    sorted by distance. `at` (a local wall-clock moment) keeps spaces shared then.

    One query; the time filter evaluates each candidate's rules in Python.
    """
    offers = audience_filter(
        SharingOffer.objects.filter(
            active=True, space__place__status=Place.Status.PUBLISHED
        ).select_related("space", "space__place"),
        audience,
    )
    kinds = [k for k in kinds if k]
    if kinds:
        offers = offers.filter(space__kind__in=kinds)
    if min_capacity:
        offers = offers.filter(space__capacity__gte=min_capacity)
    if near is not None and radius_km:
        offers = in_bounding_box(offers, *near, radius_km, prefix="space__place__")
    out = []
    at_utc: dict[int, datetime.datetime] = {}
    for offer in offers.order_by("space__place__name", "space__name", "pk"):
        place = offer.space.place
        if at is not None:
            try:
                if not shared_at(
                    sharing_ruleset(
                        offer.rules, place, holidays_closed=offer.public_holidays_closed
                    ),
                    at,
                    place_zone(place),
                ):
                    continue
            except SchoolCalendarNotCovered:
                continue
        if at is not None:
            at_utc[offer.space_id] = to_utc(
                at.replace(tzinfo=None)
                if at.tzinfo is None
                else at.astimezone(place_zone(place)).replace(tzinfo=None),
                place_zone(place),
            )
        distance = None
        if near is not None and place.has_location:
            distance = haversine_km(near[0], near[1], float(place.latitude), float(place.longitude))
            if radius_km and distance > radius_km:
                continue
        out.append(SharedSpace(offer=offer, space=offer.space, place=place, distance_km=distance))
    if at_utc and out:
        # Accepted uses take the space: one query for every candidate left.
        moments = at_utc.values()
        taken = {
            space_id
            for space_id, start, end in SpaceUse.objects.filter(
                space_id__in=[item.space.pk for item in out],
                start__lte=max(moments),
                end__gt=min(moments),
            ).values_list("space_id", "start", "end")
            if start <= at_utc[space_id] < end
        }
        out = [item for item in out if item.space.pk not in taken]
    if near is not None:
        out.sort(key=lambda s: (s.distance_km is None, s.distance_km or 0))
    return out


MAX_KEY = 2**63 - 1  # the largest 64-bit signed key


def shared_space(pk: int, *, audience: str = "public") -> SharedSpace | None:
    """One space open to requests that `audience` may see (active offer, published place).

    An id no database key can hold (a URL's digits are unbounded) names no space.
    """
    if not 0 < pk <= MAX_KEY:
        return None
    offer = audience_filter(
        SharingOffer.objects.filter(
            active=True, space__place__status=Place.Status.PUBLISHED, space_id=pk
        ).select_related("space", "space__place"),
        audience,
    ).first()
    if offer is None:
        return None
    return SharedSpace(offer=offer, space=offer.space, place=offer.space.place)


# Parts of the day for the spare-capacity sentence, by local start hour.
DAY_PARTS = ((0, 12, "morning"), (12, 18, "afternoon"), (18, 24, "evening"))


def _part_names() -> dict[str, str]:
    return {"morning": _("mornings"), "afternoon": _("afternoons"), "evening": _("evenings")}


def spare_window(offer: SharingOffer, today: datetime.date | None = None):
    """(first day, stop day, lo, hi): from today to the end of the month, on the place's clock."""
    tz = place_zone(offer.space.place)
    today = today or datetime.datetime.now(tz).date()
    stop = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    lo = to_utc(datetime.datetime.combine(today, datetime.time()), tz)
    hi = to_utc(datetime.datetime.combine(stop, datetime.time()), tz)
    return today, stop, lo, hi


def spare_times_many(offers: list[SharingOffer]) -> dict[int, dict]:
    """`spare_times` of several offers, their spaces' uses read in one query (by offer id)."""
    if not offers:
        return {}
    windows = {offer.pk: spare_window(offer) for offer in offers}
    lo = min(w[2] for w in windows.values())
    hi = max(w[3] for w in windows.values())
    from economics import bookings

    uses = bookings.uses_of_spaces([offer.space_id for offer in offers], lo, hi)
    return {offer.pk: spare_times(offer, uses=uses[offer.space_id]) for offer in offers}


def spare_times(
    offer: SharingOffer, *, today: datetime.date | None = None, uses: list | None = None
) -> dict:
    """When the space is still free from today to the end of the month: the sharing times
    minus the accepted uses, by weekday and part of the day, with the hours.

    {"first", "stop", "shared_hours", "booked_hours", "free_hours", "slots":
    [{"weekday", "part", "hours"}], "text": "free on Tuesday and Thursday evenings"}.
    A slot counts when at least one hour of that weekday's part is free in the period.
    """
    from economics import bookings

    tz = place_zone(offer.space.place)
    today, stop, lo, hi = spare_window(offer, today)
    shared = [(max(a, lo), min(b, hi)) for a, b in bookings.shared_intervals(offer, lo, hi)]
    free = bookings.free_intervals(offer, lo, hi, uses)
    by_slot: dict[tuple[int, str], float] = defaultdict(float)
    for weekday, hour, _day, length in hour_pieces(free, tz):
        part = next(name for a, b, name in DAY_PARTS if a <= hour < b)
        by_slot[(weekday, part)] += length
    slots = [
        {"weekday": w, "part": p, "hours": round(h, 2)}
        for (w, p), h in sorted(
            by_slot.items(),
            key=lambda kv: (kv[0][1] != "morning", kv[0][1] != "afternoon", kv[0][0]),
        )
        if h >= 1
    ]
    day_names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    phrases = []
    for _a, _b, part in DAY_PARTS:
        days = [day_names[s["weekday"]] for s in slots if s["part"] == part]
        if days:
            joined = (
                days[0]
                if len(days) == 1
                else _("%(list)s and %(last)s")
                % {
                    "list": ", ".join(days[:-1]),
                    "last": days[-1],
                }
            )
            phrases.append(f"{joined} {_part_names()[part]}")
    shared_h, free_h = hours(shared), hours(free)
    text = (
        _("Free on %(when)s until the end of the month.") % {"when": "; ".join(phrases)}
        if phrases
        else _("No free time left this month.")
    )
    return {
        "first": today,
        "stop": stop,
        "shared_hours": round(shared_h, 2),
        "booked_hours": round(shared_h - free_h, 2),
        "free_hours": round(free_h, 2),
        "slots": slots,
        "text": text,
    }


def sharing_week_lines(offer: SharingOffer) -> list[str]:
    """The offer's times in words, day by day (same wording as opening hours)."""
    names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    lines = []
    for rule in rules_from_data(offer.rules):
        ranges = ", ".join(format_range(t) for t in rule.times)
        if rule.kind == "dates":
            lines.append(f"{rule.start_date:%d/%m/%Y}–{rule.end_date:%d/%m/%Y} {ranges}")
            continue
        for weekday in rule.days:
            lines.append(f"{names[weekday]} {ranges}")
    return lines
