"""Charts drawn on the server as accessible SVG, each followed by its data as a table.

Every chart is a <figure>: the SVG has role="img", a <title> and a <desc> it is labelled
by, and the table after it holds the same numbers, so nothing depends on seeing colours
or on JavaScript.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal

from babel.numbers import format_percent
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from economics.numbers import current_locale, format_amount

# Colour-blind-safe palette (Okabe–Ito) with hatch patterns as a second cue.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000"]
_ids = itertools.count(1)


def _num(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = Decimal(str(round(value, 2)))
    return format_amount(value)


def _pct(value) -> str:
    return "—" if value is None else format_percent(float(value), locale=current_locale())


def _spare(offered: float, used: float) -> str:
    return _num(max(offered - used, 0.0))


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence]) -> str:
    head = "".join(format_html('<th scope="col">{}</th>', h) for h in header)
    body = "".join(
        "<tr>"
        + format_html('<th scope="row">{}</th>', row[0])
        + "".join(format_html("<td>{}</td>", v) for v in row[1:])
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="chart-table"><table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def _figure(title: str, desc: str, width: int, height: int, body: str, table: str) -> SafeString:
    n = next(_ids)
    return mark_safe(  # noqa: S308 - every piece of text is escaped above
        f'<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="chart{n}-title chart{n}-desc" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">'
        f'<title id="chart{n}-title">{escape(title)}</title>'
        f'<desc id="chart{n}-desc">{escape(desc)}</desc>{body}</svg>'
        f"<figcaption>{escape(title)}</figcaption>{table}</figure>"
    )


def stacked_bars(
    *, title: str, desc: str, groups: Sequence[str], series: Sequence[tuple[str, Sequence]]
) -> SafeString:
    """Horizontal bars, one per group, each split into the series' shares (100 %)."""
    width, left, bar_h, gap = 760, 220, 22, 10
    height = 40 + len(groups) * (bar_h + gap) + 30
    body = []
    for i, group in enumerate(groups):
        y = 30 + i * (bar_h + gap)
        values = [Decimal(s[1][i] or 0) for s in series]
        total = sum(values) or Decimal(1)
        x = Decimal(left)
        body.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="13">{}</text>',
                left - 6,
                y + 15,
                group[:34],
            )
        )
        for k, value in enumerate(values):
            w = (value / total) * (width - left - 10)
            if w <= 0:
                continue
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff">'
                    "<title>{}: {} ({})</title></rect>",
                    f"{x:.1f}",
                    y,
                    f"{w:.1f}",
                    bar_h,
                    PALETTE[k % len(PALETTE)],
                    series[k][0],
                    _num(value),
                    _pct(value / total),
                )
            )
            x += w
    legend_y = 30 + len(groups) * (bar_h + gap) + 8
    for k, (name, _values) in enumerate(series):
        lx = left + (k % 4) * 130
        ly = legend_y + (k // 4) * 16
        body.append(
            format_html(
                '<rect x="{}" y="{}" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="{}" font-size="11">{}</text>',
                lx,
                ly,
                PALETTE[k % len(PALETTE)],
                lx + 14,
                ly + 9,
                name,
            )
        )
    height = legend_y + 16 * ((len(series) + 3) // 4) + 6
    header = [_("Group")] + [name for name, _v in series] + [_("Total")]
    rows = [
        [group]
        + [_num(s[1][i] or 0) for s in series]
        + [_num(sum(Decimal(s[1][i] or 0) for s in series))]
        for i, group in enumerate(groups)
    ]
    return _figure(title, desc, width, height, "".join(body), _table(title, header, rows))


def _heat_colour(rate: float | None) -> str:
    if rate is None:
        return "#f3f4f8"
    # From pale (idle) to dark blue (full).
    light = int(95 - min(max(rate, 0.0), 1.0) * 65)
    return f"hsl(210, 70%, {light}%)"


def heat_map(
    *,
    title: str,
    desc: str,
    offered: Sequence[Sequence[float]],
    used: Sequence[Sequence[float]],
    day_names: Sequence[str],
) -> SafeString:
    """Weekday × hour grid: colour = occupancy (used ÷ offered); the table gives the spare
    capacity-hours (offered − used) per cell, hours never open left out."""
    hours = [h for h in range(24) if any(offered[d][h] for d in range(7))] or list(range(8, 20))
    cell, left, top = 26, 90, 24
    width = left + cell * len(hours) + 10
    height = top + cell * 7 + 10
    body = []
    for j, h in enumerate(hours):
        body.append(
            format_html(
                '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                left + j * cell + cell // 2,
                top - 8,
                f"{h}h",
            )
        )
    for d in range(7):
        body.append(
            format_html(
                '<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>',
                left - 6,
                top + d * cell + 17,
                day_names[d],
            )
        )
        for j, h in enumerate(hours):
            o, u = offered[d][h], used[d][h]
            rate = (u / o) if o else None
            body.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff">'
                    "<title>{} {}h: {}</title></rect>",
                    left + j * cell,
                    top + d * cell,
                    cell,
                    cell,
                    _heat_colour(rate),
                    day_names[d],
                    h,
                    _("closed") if rate is None else _pct(rate),
                )
            )
    header = [_("Day")] + [f"{h}h" for h in hours]
    rows = [
        [day_names[d]]
        + [
            (
                "—"
                if not offered[d][h]
                else f"{_pct(used[d][h] / offered[d][h])} / {_spare(offered[d][h], used[d][h])}"
            )
            for h in hours
        ]
        for d in range(7)
    ]
    caption = _("%(title)s — each cell: occupancy / spare capacity-hours") % {"title": title}
    return _figure(title, desc, width, height, "".join(body), _table(caption, header, rows))


def balance_bars(*, title: str, desc: str, years: Sequence[dict]) -> SafeString:
    """Balance per year as bars above (surplus) or below (deficit) a zero line."""
    width, height, left, top, bottom = 640, 240, 80, 20, 40
    values = [Decimal(y["balance"]) for y in years] or [Decimal(0)]
    span = max(max(abs(v) for v in values), Decimal(1))
    zero_y = top + (height - top - bottom) / 2
    scale = Decimal((height - top - bottom) / 2) / span
    step = (width - left - 10) / max(len(years), 1)
    body = [
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#1b1b1f"/>',
            left,
            width - 10,
            zero_y,
            zero_y,
        ),
        format_html(
            '<text x="{}" y="{}" font-size="11" text-anchor="end">0</text>', left - 4, zero_y + 4
        ),
    ]
    for i, y in enumerate(years):
        v = Decimal(y["balance"])
        h = float(abs(v) * scale)
        x = left + i * step + step * 0.2
        body.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="12" text-anchor="middle">{}</text>'
                '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>',
                f"{x:.1f}",
                f"{zero_y - h if v >= 0 else zero_y:.1f}",
                f"{step * 0.6:.1f}",
                f"{h:.1f}",
                "#11643a" if v >= 0 else "#a01818",
                y["year"],
                _num(v),
                f"{x + step * 0.3:.1f}",
                height - 12,
                y["year"],
                f"{x + step * 0.3:.1f}",
                f"{(zero_y - h - 4) if v >= 0 else (zero_y + h + 12):.1f}",
                ("+" if v >= 0 else "−") + _num(abs(v)),
            )
        )
    header = [_("Year"), _("Costs"), _("Revenues"), _("Balance")]
    rows = [[y["year"], _num(y["costs"]), _num(y["revenues"]), _num(y["balance"])] for y in years]
    return _figure(title, desc, width, height, "".join(body), _table(title, header, rows))
