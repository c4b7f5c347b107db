"""Indicator arithmetic against examples computed by hand (numbers written below)."""

from decimal import Decimal as D

from economics import indicators
from economics.indicators import Line


def fablab_lines():
    # A fab lab, one year, computed by hand:
    #   costs: premises 30 000 + staff 50 000 + equipment 20 000 = 100 000
    #   revenues: region subsidy 40 000 (funder A) + commune subsidy 20 000 (funder B)
    #             + training 15 000 + equipment rental 10 000 + memberships 5 000 = 90 000
    return [
        Line("cost", "premises", D("30000")),
        Line("cost", "staff", D("50000")),
        Line("cost", "equipment", D("20000")),
        Line("revenue", "subsidy_region", D("40000"), "organisation:1"),
        Line("revenue", "subsidy_commune", D("20000"), "organisation:2"),
        Line("revenue", "training", D("15000")),
        Line("revenue", "equipment_rental", D("10000")),
        Line("revenue", "memberships", D("5000")),
    ]


def test_fablab_by_hand():
    result = indicators.compute(fablab_lines(), open_hours=D("1600"), visits=4000)
    v = {k: i.value for k, i in result.items()}
    assert v["total_costs"] == D("100000")
    assert v["total_revenues"] == D("90000")
    # balance = 90 000 − 100 000 = −10 000
    assert v["balance"] == D("-10000")
    # own = training 15 000 + equipment rental 10 000 + memberships 5 000 = 30 000
    # self-financing = 30 000 ÷ 100 000 = 0.3
    assert v["self_financing"] == D("0.3000")
    # public = 40 000 + 20 000 = 60 000; 60 000 ÷ 90 000 = 0.6667
    assert v["public_share"] == D("0.6667")
    assert v["revenue_sources"] == 5
    # shares: 4/9, 2/9, 1.5/9, 1/9, 0.5/9 -> squares sum = (16 + 4 + 2.25 + 1 + 0.25) / 81
    #       = 23.5 / 81 = 0.290123... -> 0.2901
    assert v["hhi"] == D("0.2901")
    # 1 / 0.2901 = 3.447... -> 3.45
    assert v["equivalent_sources"] == D("3.45")
    assert v["partners"] == 2
    # 100 000 ÷ 1 600 h = 62.50 €/h ; 100 000 ÷ 4 000 visits = 25.00 €
    assert v["cost_per_open_hour"] == D("62.50")
    assert v["cost_per_visit"] == D("25.00")
    assert "−" in result["balance"].worked


def test_one_source_hhi_is_one_and_undefined_ratios():
    result = indicators.compute([Line("revenue", "space_rental", D("12000"))])
    assert result["hhi"].value == D("1.0000")
    assert result["equivalent_sources"].value == D("1.00")
    # no cost: self-financing and cost per visit are undefined, not zero
    assert result["self_financing"].value is None
    assert result["cost_per_visit"].value is None


def test_even_split_hhi():
    # four equal categories: HHI = 4 × (1/4)² = 0.25, equivalent number 4
    lines = [Line("revenue", c, D("2500")) for c in ("training", "sales", "memberships", "in_kind")]
    assert indicators.hhi(line.amount for line in lines) == D("0.2500")
    assert indicators.compute(lines)["equivalent_sources"].value == D("4.00")


def test_alerts():
    # 2024: −5 000, 2025: −1 000 -> deficit two years; funder A brings 70 %; occupancy 25 %
    alerts = indicators.alerts(
        balances={2024: D("-5000"), 2025: D("-1000")},
        year=2025,
        funder_shares={"organisation:1": D("0.70"), "organisation:2": D("0.30")},
        occupancy=D("0.25"),
        funder_names={"organisation:1": "Région"},
    )
    assert [a["code"] for a in alerts] == ["deficit_two_years", "dominant_funder", "low_occupancy"]
    assert "Région" in alerts[1]["message"]
    # exactly 60 % is not above 60 %; one deficit year is not two; 30 % is not under 30 %
    assert (
        indicators.alerts(
            balances={2024: D("100"), 2025: D("-1000")},
            year=2025,
            funder_shares={"organisation:1": D("0.60")},
            occupancy=D("0.30"),
        )
        == []
    )


def test_quartiles_inclusive():
    # values 1..5: Q1 = 2, median = 3, Q3 = 4 (inclusive method)
    stats = indicators.quartiles([D(x) for x in (5, 1, 3, 2, 4)])
    assert (stats["q1"], stats["median"], stats["q3"], stats["n"]) == (D(2), D(3), D(4), 5)
    assert indicators.quartiles([]) is None
