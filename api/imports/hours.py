"""Opening hours of imported rows: OSM `opening_hours` checks and the France Services
day-column converter.

Everything that stores hours goes through `_apply_hours`, the single place to wire the
scheduling app's action once it exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import opening_hours
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# France Services day columns, Monday to Saturday (the file has no Sunday column).
FS_DAY_COLUMNS = (
    ("h_lundi", "Mo"),
    ("h_mardi", "Tu"),
    ("h_mercredi", "We"),
    ("h_jeudi", "Th"),
    ("h_vendredi", "Fr"),
    ("h_samedi", "Sa"),
)
_SLOT = re.compile(r"(\d{2}):(\d{2}) - (\d{2}):(\d{2})")


class HoursError(ValueError):
    """A cell or string of hours that cannot be read; the message names the culprit."""


def _convert_cell(column: str, value: str, notes: list[str]) -> str:
    slots: list[tuple[int, int]] = []
    for part in value.split(" / "):
        match = _SLOT.fullmatch(part.strip())
        if not match:
            raise HoursError(
                _("%(column)s: %(value)r is not read as 'HH:MM - HH:MM' slots joined by ' / '")
                % {"column": column, "value": value}
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if start == end == 0:
            continue  # "00:00 - 00:00" fills an unused slot position in this file
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or start >= end or end > 24 * 60:
            raise HoursError(
                _("%(column)s: %(value)r has an impossible slot %(slot)r")
                % {"column": column, "value": value, "slot": part.strip()}
            )
        slots.append((start, end))
    if not slots:
        return ""
    # Repeated or overlapping slots (one per service desk, presumably) mean the place is
    # open over their union; OSM would accept them, but the union reads better.
    slots.sort()
    merged = [list(slots[0])]
    for start, end in slots[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if len(merged) != len(slots):
        notes.append(
            _("%(column)s: %(value)r has overlapping slots: merged")
            % {"column": column, "value": value}
        )
    return ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in merged)


def france_services_to_osm(row: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """'09:00 - 12:00 / 13:30 - 17:00' day columns to one OSM opening_hours string.

    Consecutive days with the same slots share a rule ("Mo-Fr 09:00-12:00"); a day with
    an empty cell is closed. Returns (None, notes) when every day is empty; the notes say
    what was tidied. Raises HoursError naming the column and value of a malformed cell.
    """
    notes: list[str] = []
    per_day: list[tuple[str, str]] = []
    for column, day in FS_DAY_COLUMNS:
        value = (row.get(column) or "").strip()
        if value:
            slots = _convert_cell(column, value, notes)
            if slots:
                per_day.append((day, slots))
    if not per_day:
        return None, notes
    order = [day for _column, day in FS_DAY_COLUMNS]
    rules: list[tuple[list[str], str]] = []
    for day, slots in per_day:
        last = rules[-1] if rules else None
        if last and last[1] == slots and order.index(last[0][-1]) + 1 == order.index(day):
            last[0].append(day)
        else:
            rules.append(([day], slots))
    parts = []
    for days, slots in rules:
        label = days[0] if len(days) == 1 else f"{days[0]}-{days[-1]}"
        parts.append(f"{label} {slots}")
    return "; ".join(parts), notes


def check_osm(value: str) -> str:
    """The OSM opening_hours string, stripped, if the parser reads it; HoursError if not."""
    value = " ".join(value.split())
    try:
        opening_hours.OpeningHours(value)
    except (opening_hours.ParserError, ValueError) as exc:
        # The parser's message is a multi-line caret diagram: keep its last line only.
        detail = [line.strip(" =|") for line in str(exc).splitlines() if line.strip()][-1]
        raise HoursError(detail) from None
    return value


def _apply_hours(place, osm: str, *, user, source: str) -> None:
    """Give `place` the opening hours `osm` (an OSM opening_hours string).

    The scheduling app does not yet have an action that stores hours, so the string is
    only validated here and nothing is written. When scheduling.actions.schedule_set_osm
    exists, this body becomes:
        schedule_set_osm(place=place, osm=osm, user=user, source=source)
    """
    try:
        check_osm(osm)
    except HoursError as exc:
        raise ValidationError({"opening_hours": str(exc)}) from None


HOURS_WIRED = False  # True once _apply_hours stores hours through the scheduling app
