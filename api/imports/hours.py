"""Opening hours of imported rows: OSM `opening_hours` checks and the France Services
day-column converter.

Everything that stores hours goes through `_apply_hours` (a string the scheduling app
accepts becomes the place's schedule) or `keep_hours_text` (a string it refuses is kept
verbatim on `api.models.ImportedHoursText`, with the reason, and no calendar is built).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import opening_hours
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from api import webhooks
from api.models import ImportedHoursText
from places.history import diff, snapshot
from places.models import ChangeRecord, Place
from places.timezones import is_overseas
from scheduling.actions import rebuild_places_calendar, schedule_set_osm
from scheduling.calendars import ALSACE_MOSELLE, department_of
from scheduling.models import Schedule
from scheduling.preview import read_osm_text
from scheduling.rules import rules_from_data

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


def _apply_hours(place: Place, osm: str, *, user, source: str, origin: str = "") -> bool:
    """Give `place` the opening hours `osm` (an OSM opening_hours string) through
    scheduling.actions.schedule_set_osm; False, and no write, when its schedule was already
    made from this very string (so a re-import bumps no version and rebuilds nothing).

    When the scheduling app refuses the string (school holidays or Alsace-Moselle public
    holidays it cannot evaluate exactly), the text is kept verbatim for `origin` (the
    ExternalId source) and the ValidationError is raised again for the report.
    """
    scheduled, kept, problem = current_hours(place)
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
    """Opening hours for places created in this batch (so without a schedule yet), in bulk.

    `items` are (place, OSM text, ExternalId source). The bulk equivalent of calling
    schedule_set_osm on each: the same reading of the text (read_osm_text, done once per
    distinct text and per department with holidays of its own, the only thing it reads of
    the place), the same stored fields and history entry, then one calendar rebuild for
    all the places instead of one per place. Texts whose rules depend on school holidays go through
    schedule_set_osm one by one, for its zone and school-calendar checks. Returns
    {place pk: why the text was refused}; refused texts are kept as text.
    """
    readings: dict[tuple[str, str | None], object] = {}
    refused: dict[int, str] = {}
    schedules: list[Schedule] = []
    one_by_one: list[tuple[Place, str, str]] = []
    for place, text, origin in items:
        department = department_of(place)
        # Holidays the OSM library does not know (Alsace-Moselle, each overseas territory)
        # change how a text is read; elsewhere the place does not matter.
        own = department in ALSACE_MOSELLE or is_overseas(department)
        key = (text, department if own else "")
        if key not in readings:
            try:
                imported = read_osm_text(text, place)
                rules = [r.to_dict() for r in rules_from_data(imported.rules)] if imported else []
                readings[key] = (imported, rules)
            except ValidationError as exc:
                readings[key] = exc
        reading = readings[key]
        if isinstance(reading, ValidationError):
            refused[place.pk] = " ".join(reading.messages)
            keep_hours_text(place, text, source=origin, problem=refused[place.pk])
            continue
        imported, rules = reading
        if any(r.get("season", "always") != "always" for r in rules):
            one_by_one.append((place, text, origin))
            continue
        schedule = Schedule(place=place, osm_source=text, holiday_zone="", version=1)
        if imported is not None:
            schedule.mode = Schedule.Mode.RULES
            schedule.rules = rules
            schedule.public_holidays = imported.public_holidays
            schedule.holiday_times = list(imported.holiday_times)
        else:
            schedule.mode = Schedule.Mode.OSM
            schedule.rules = []
            schedule.public_holidays = Schedule.PublicHolidays.OPEN  # PH is in the text
            schedule.holiday_times = []
        schedule.full_clean(validate_unique=False, validate_constraints=False)
        schedules.append(schedule)
    Schedule.objects.bulk_create(schedules)
    author = user if getattr(user, "is_authenticated", False) else None
    changes = []
    for schedule in schedules:
        created = diff(None, snapshot(schedule, exclude=("place", "offer")))
        created.pop("version", None)
        changes.append(
            ChangeRecord(
                place=schedule.place,
                target=schedule.target,
                action=ChangeRecord.Action.CREATE,
                changes=created,
                user=author,
                source=source,
                version=1,
            )
        )
    ChangeRecord.objects.bulk_create(changes)
    webhooks.changes_recorded(changes)
    if schedules:
        rebuild_places_calendar([s.place_id for s in schedules])
    for place, text, origin in one_by_one:
        try:
            _apply_hours(place, text, user=user, source=source, origin=origin)
        except ValidationError as exc:
            refused[place.pk] = " ".join(exc.messages)
    return refused


HOURS_WIRED = True  # kept for callers that still read it: hours are stored
