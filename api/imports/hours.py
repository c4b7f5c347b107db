"""Opening hours of imported rows: OSM `opening_hours` checks and the France Services
day-column converter.

Everything that stores hours goes through `_apply_hours` (one place, through
scheduling.actions.schedule_set_osm) or `schedule_new_places` (a batch of new places,
through schedules_set_osm_many); a string the scheduling app refuses is kept verbatim by
`keep_hours_text` on `api.models.ImportedHoursText`, with the reason, and no calendar is
built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import opening_hours
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from api.models import ImportedHoursText
from places.models import Place
from scheduling.actions import schedule_set_osm, schedules_set_osm_many

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


def same_hours(a: str | None, b: str | None) -> bool:
    """Two hours strings that say the same, however written: "Tu,Th 09:00-12:00" and
    "Tu 09:00-12:00; Th 09:00-12:00" are compared by the OSM library's normal form
    (strings it cannot read only by their text)."""
    if a is None or b is None:
        return a == b
    if a == b:
        return True
    try:
        return str(opening_hours.OpeningHours(a).normalize()) == str(
            opening_hours.OpeningHours(b).normalize()
        )
    except (opening_hours.ParserError, ValueError):
        return False


def current_hours(place: Place) -> tuple[str | None, str | None, str | None]:
    """(the schedule's osm_source, the kept text, its problem) of a place, in one query."""
    row = (
        Place.objects.filter(pk=place.pk)
        .values_list(
            "schedule__osm_source", "imported_hours_text__text", "imported_hours_text__problem"
        )
        .first()
    )
    return row or (None, None, None)


def keep_hours_text(place: Place, text: str, *, source: str, problem: str) -> bool:
    """Keep hours no calendar can be built from, verbatim; False when already kept as is."""
    kept = ImportedHoursText.objects.filter(place_id=place.pk).first()
    if kept is not None and (kept.text, kept.source, kept.problem) == (text, source, problem):
        return False
    if kept is None:
        kept = ImportedHoursText(place=place)
    kept.text, kept.source, kept.problem = text, source, problem[:500]
    kept.full_clean(exclude=["place"], validate_unique=False)
    kept.save()
    return True


def _apply_hours(
    place: Place,
    osm: str,
    *,
    user,
    source: str,
    origin: str = "",
    current: tuple[str | None, str | None, str | None] | None = None,
) -> bool:
    """Give `place` the opening hours `osm` (an OSM opening_hours string) through
    scheduling.actions.schedule_set_osm; False, and no write, when its schedule was already
    made from this very string (so a re-import bumps no version and rebuilds nothing).

    When the scheduling app refuses the string (school holidays or Alsace-Moselle public
    holidays it cannot evaluate exactly), the text is kept verbatim for `origin` (the
    ExternalId source) and the ValidationError is raised again for the report. `current`
    is what current_hours(place) answers, when the caller read it already.
    """
    scheduled, kept, problem = current if current is not None else current_hours(place)
    if scheduled == osm:
        if kept is not None:
            ImportedHoursText.objects.filter(place_id=place.pk).delete()
        return False
    if kept == osm:
        # Refused last time, for a reason that depends only on the text and the place.
        raise ValidationError({"opening_hours": problem})
    try:
        schedule_set_osm(place=place, text=osm, user=user, source=source)
    except ValidationError as exc:
        keep_hours_text(place, osm, source=origin or source, problem=" ".join(exc.messages))
        raise
    if kept is not None:
        ImportedHoursText.objects.filter(place_id=place.pk).delete()
    return True


def schedule_new_places(
    items: list[tuple[Place, str, str]], *, user, source: str
) -> dict[int, str]:
    """Opening hours for places created in this batch (so without a schedule yet), through
    scheduling.actions.schedules_set_osm_many: what schedule_set_osm writes for each, with
    one calendar rebuild for all.

    `items` are (place, OSM text, ExternalId source). Returns {place pk: why the text was
    refused}; refused texts are kept as text.
    """
    _schedules, refusals = schedules_set_osm_many(
        items=[(place, text) for place, text, _origin in items], user=user, source=source
    )
    refused: dict[int, str] = {}
    for index, messages in refusals.items():
        place, text, origin = items[index]
        refused[place.pk] = " ".join(messages)
        keep_hours_text(place, text, source=origin, problem=refused[place.pk])
    return refused


HOURS_WIRED = True  # kept for callers that still read it: hours are stored
