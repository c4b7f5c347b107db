"""Economic indicators of a place for a year: pure functions over plain numbers.

Each indicator comes with its formula in words and the same formula with the place's
numbers, so a reader can check it by hand. docs/economics.md lists them all.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from economics.models import OWN_REVENUES, PUBLIC_REVENUES
from economics.numbers import format_amount, format_number

ZERO = Decimal("0")
CENT = Decimal("0.01")

# Alert thresholds (docs/economics.md).
FUNDER_SHARE_ALERT = Decimal("0.60")
OCCUPANCY_ALERT = Decimal("0.30")


@dataclass(frozen=True)
class Line:
    """The part of a budget line the indicators need."""

    direction: str  # "cost" | "revenue"
    category: str
    amount: Decimal
    funder: str | None = None  # "provider:3", "organisation:7" or None


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    value: Decimal | None  # None when undefined (division by zero, no data)
    unit: str  # "EUR", "ratio", "count", "EUR/h", "EUR/visit"
    formula: str
    worked: str = ""  # the formula with this place's numbers


@dataclass
class Totals:
    costs: Decimal = ZERO
    revenues: Decimal = ZERO
    by_revenue_category: dict[str, Decimal] = field(default_factory=dict)
    by_cost_category: dict[str, Decimal] = field(default_factory=dict)
    by_funder: dict[str, Decimal] = field(default_factory=dict)

    @property
    def balance(self) -> Decimal:
        return self.revenues - self.costs

    @property
    def public(self) -> Decimal:
        return sum((v for k, v in self.by_revenue_category.items() if k in PUBLIC_REVENUES), ZERO)

    @property
    def own(self) -> Decimal:
        return sum((v for k, v in self.by_revenue_category.items() if k in OWN_REVENUES), ZERO)


def totals(lines: Iterable[Line]) -> Totals:
    out = Totals()
    for line in lines:
        if line.direction == "cost":
            out.costs += line.amount
            out.by_cost_category[line.category] = (
                out.by_cost_category.get(line.category, ZERO) + line.amount
            )
        else:
            out.revenues += line.amount
            out.by_revenue_category[line.category] = (
                out.by_revenue_category.get(line.category, ZERO) + line.amount
            )
            if line.funder:
                out.by_funder[line.funder] = out.by_funder.get(line.funder, ZERO) + line.amount
    return out


def ratio(numerator: Decimal, denominator: Decimal, places: int = 4) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


def hhi(amounts: Iterable[Decimal]) -> Decimal | None:
    """Herfindahl–Hirschman index of shares: Σ (amount_i ÷ total)², between 1/n and 1."""
    amounts = [Decimal(a) for a in amounts if a > 0]
    total = sum(amounts, ZERO)
    if not total:
        return None
    return sum(((a / total) ** 2 for a in amounts), ZERO).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def money(value: Decimal | None) -> str:
    return "—" if value is None else format_amount(value.quantize(CENT))


def values(
    t: Totals,
    *,
    partners: int,
    open_hours: Decimal | None = None,
    visits: int | None = None,
    occupancy: Decimal | None = None,
) -> dict[str, Decimal | None]:
    """The indicators' values only (no labels nor worked formulas), from a place-year's totals.

    Used by `compute` and by the bulk reads (peers, territory dashboard), so that every page
    gives the same numbers.
    """
    hhi_value = hhi(t.by_revenue_category.values())
    hours = Decimal(open_hours) if open_hours is not None else None
    return {
        "total_costs": t.costs,
        "total_revenues": t.revenues,
        "balance": t.balance,
        "self_financing": ratio(t.own, t.costs),
        "public_share": ratio(t.public, t.revenues),
        "revenue_sources": Decimal(sum(1 for v in t.by_revenue_category.values() if v > 0)),
        "hhi": hhi_value,
        "equivalent_sources": ratio(Decimal(1), hhi_value, 2) if hhi_value else None,
        "partners": Decimal(partners),
        "cost_per_open_hour": ratio(t.costs, hours, 2) if hours else None,
        "cost_per_visit": ratio(t.costs, Decimal(visits), 2) if visits else None,
        "occupancy": occupancy,
    }


def compute(
    lines: Sequence[Line],
    *,
    open_hours: Decimal | None = None,
    visits: int | None = None,
    occupancy: Decimal | None = None,
    partners: int | None = None,
) -> dict[str, Indicator]:
    """Every indicator of one place-year. `partners` defaults to the distinct named funders."""
    t = totals(lines)
    if partners is None:
        partners = len({line.funder for line in lines if line.funder})
    known = values(t, partners=partners, open_hours=open_hours, visits=visits, occupancy=occupancy)
    hhi_value = known["hhi"]
    sources = int(known["revenue_sources"])
    hours = Decimal(open_hours) if open_hours is not None else None
    m = money
    out = [
        Indicator(
            "total_costs",
            _("Total costs"),
            t.costs,
            "EUR",
            _("sum of the cost lines"),
            m(t.costs),
        ),
        Indicator(
            "total_revenues",
            _("Total revenues"),
            t.revenues,
            "EUR",
            _("sum of the revenue lines"),
            m(t.revenues),
        ),
        Indicator(
            "balance",
            _("Balance"),
            t.balance,
            "EUR",
            _("total revenues − total costs"),
            f"{m(t.revenues)} − {m(t.costs)} = {m(t.balance)}",
        ),
        Indicator(
            "self_financing",
            _("Self-financing ratio"),
            known["self_financing"],
            "ratio",
            _(
                "own revenues ÷ total costs (own revenues: provider contributions, space and "
                "equipment rental, memberships, training, event hosting, sales)"
            ),
            f"{m(t.own)} ÷ {m(t.costs)}",
        ),
        Indicator(
            "public_share",
            _("Share of public funding"),
            known["public_share"],
            "ratio",
            _("public subsidies (all funder levels) ÷ total revenues"),
            f"{m(t.public)} ÷ {m(t.revenues)}",
        ),
        Indicator(
            "revenue_sources",
            _("Number of revenue sources"),
            Decimal(sources),
            "count",
            _("revenue categories with an amount above zero"),
            str(sources),
        ),
        Indicator(
            "hhi",
            _("Revenue concentration (HHI)"),
            hhi_value,
            "ratio",
            _("Σ (revenue of a category ÷ total revenues)², from 1/n (even) to 1 (one source)"),
            " + ".join(
                f"({m(v)} ÷ {m(t.revenues)})²"
                for _k, v in sorted(t.by_revenue_category.items())
                if v > 0
            ),
        ),
        Indicator(
            "equivalent_sources",
            _("Equivalent number of sources"),
            known["equivalent_sources"],
            "count",
            _("1 ÷ HHI"),
            f"1 ÷ {hhi_value}" if hhi_value else "",
        ),
        Indicator(
            "partners",
            _("Number of partners"),
            Decimal(partners),
            "count",
            _("distinct funders and partners named on the budget lines"),
            str(partners),
        ),
        Indicator(
            "cost_per_open_hour",
            _("Cost per open hour"),
            known["cost_per_open_hour"],
            "EUR/h",
            _("total costs ÷ hours open in the year (calendar, closures removed)"),
            f"{m(t.costs)} ÷ {format_number(hours)}" if hours is not None else "",
        ),
        Indicator(
            "cost_per_visit",
            _("Cost per visit"),
            known["cost_per_visit"],
            "EUR/visit",
            _("total costs ÷ visits recorded in the year"),
            f"{m(t.costs)} ÷ {format_number(visits)}" if visits is not None else "",
        ),
        Indicator(
            "occupancy",
            _("Occupancy rate"),
            occupancy,
            "ratio",
            _("capacity-hours used ÷ capacity-hours offered (capacity × open hours)"),
            "",
        ),
    ]
    return {i.key: i for i in out}


def labels() -> dict[str, tuple[str, str]]:
    """{indicator key: (label, unit)} in the active language, as `compute` names them."""
    return {key: (i.label, i.unit) for key, i in compute([]).items()}


def alerts(
    *,
    balances: dict[int, Decimal],
    year: int,
    funder_shares: dict[str, Decimal],
    occupancy: Decimal | None,
    funder_names: dict[str, str] | None = None,
) -> list[dict]:
    """Warnings for a place-year: deficit two years running, one dominant funder, low use.

    `balances` maps a year to its actual balance; `funder_shares` a funder key to its share
    of the year's revenues.
    """
    out = []
    if (
        balances.get(year) is not None
        and balances.get(year - 1) is not None
        and balances[year] < 0
        and balances[year - 1] < 0
    ):
        out.append(
            {
                "code": "deficit_two_years",
                "message": _("Deficit two years running: %(a)s € in %(y1)s, %(b)s € in %(y)s.")
                % {
                    "a": money(balances[year - 1]),
                    "b": money(balances[year]),
                    "y1": year - 1,
                    "y": year,
                },
            }
        )
    for key, share in sorted(funder_shares.items()):
        if share > FUNDER_SHARE_ALERT:
            out.append(
                {
                    "code": "dominant_funder",
                    "message": _("One funder, %(name)s, brings %(share)s %% of the revenues.")
                    % {
                        "name": (funder_names or {}).get(key, key),
                        "share": f"{share * 100:.0f}",
                    },
                }
            )
    if occupancy is not None and occupancy < OCCUPANCY_ALERT:
        out.append(
            {
                "code": "low_occupancy",
                "message": _("Occupancy is %(rate)s %%, under 30 %%.")
                % {"rate": f"{occupancy * 100:.0f}"},
            }
        )
    return out


def quartiles(values: Sequence[Decimal]) -> dict[str, Decimal] | None:
    """Lower quartile, median and upper quartile (inclusive method) of known values."""
    values = sorted(Decimal(v) for v in values if v is not None)
    if not values:
        return None
    if len(values) == 1:
        return {"q1": values[0], "median": values[0], "q3": values[0], "n": 1}
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"q1": q1, "median": median, "q3": q3, "n": len(values)}
