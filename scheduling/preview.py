"""Opening hours evaluated from input that is not saved yet, for the schedule editor.

The editor's "Preview" shows the next days exactly as residents will read them, before
anything is written: these functions build a `RuleSet` from the submitted rules (or OSM
text), the place's holidays and the schedule's existing exceptions, and evaluate it in
memory. The wording comes from `scheduling.selectors` (the same helpers as
`week_timetable`), so the preview and the published page cannot drift apart.

The validation shared with `scheduling.actions` (holiday settings, reading OSM text) lives
here too, so a preview refuses exactly what a save would refuse, with the same keys.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from places.models import Place
from places.timezones import DEPARTMENT_NAMES, is_overseas
from scheduling import osm
from scheduling.calendars import (
    ALSACE_MOSELLE,
    department_of,
    overseas_school_message,
    school_zone,
)
from scheduling.materialise import exception_specs
from scheduling.models import Schedule, ScheduleException
from scheduling.rules import DAY, Rule, RuleSet, parse_time_range, rules_from_data
from scheduling.school_holidays import SchoolCalendarNotCovered
from scheduling.selectors import day_names, format_range, format_time, rule_qualifiers
from services.models import ServiceOffer

PREVIEW_DAYS = 14


class PreviewDay(NamedTuple):
    """One local day as residents read it: the open ranges ("9 h – 12 h") and notes."""

    date: datetime.date
    ranges: list[str]
    notes: list[str]


# -- validation shared with the actions ---------------------------------------------------


def validate_holidays(public_holidays: str, holiday_times: Sequence[str]) -> list[str]:
    """The public-holiday choice and its hours; ValidationError on `public_holidays` or
    `holiday_times`."""
    if public_holidays not in Schedule.PublicHolidays.values:
        raise ValidationError(
            {"public_holidays": _("Unknown choice “%(v)s”.") % {"v": public_holidays}}
        )
    times = []
    for raw in holiday_times or []:
        try:
            times.append(str(parse_time_range(raw, allow_overnight=False)))
        except ValueError as exc:
            raise ValidationError({"holiday_times": [str(exc)]}) from None
    if public_holidays == "special" and not times:
        raise ValidationError({"holiday_times": _("Give the hours kept on public holidays.")})
    if public_holidays != "special" and times:
        raise ValidationError(
            {"holiday_times": _("Hours on public holidays need the “special hours” choice.")}
        )
    return times


def read_osm_text(text: str, place: Place) -> osm.Imported | None:
    """Check an OSM string and map it onto rules when they express it exactly.

    Returns the imported rules, or None when the string stays OSM text evaluated by the
    library. ValidationError on `osm_source` for a syntax error (quoting the faulty part)
    or for forms the library would evaluate wrongly here (school holidays, Alsace-Moselle).
    """
    text = (text or "").strip()
    osm.check_syntax(text)
    imported = None
    try:
        imported = osm.parse_rules(text)
        if "SH" not in text and not osm.rules_equivalent(text, imported):
            imported = None
    except (osm.NotRepresentable, ValidationError):
        imported = None
    if imported is None and "SH" in text:
        # The library does not know French school holidays: it would answer wrongly.
        raise ValidationError(
            {
                "osm_source": _(
                    "School holidays (SH) are only understood in simple forms such as "
                    "“Mo-Fr 09:00-12:00; SH off” or “SH Sa 10:00-12:00”."
                )
            }
        )
    department = department_of(place)
    if imported is None and "PH" in text and is_overseas(department):
        # Same reason as Alsace-Moselle below: the library knows no territory's holidays.
        raise ValidationError(
            {
                "osm_source": _(
                    "In %(territory)s, public holidays (PH) can only be used in forms the "
                    "rules express: the OSM evaluator does not know the territory's own "
                    "public holidays."
                )
                % {"territory": DEPARTMENT_NAMES[department]}
            }
        )
    if imported is None and "PH" in text and department in ALSACE_MOSELLE:
        raise ValidationError(
            {
                "osm_source": _(
                    "In Alsace-Moselle, public holidays (PH) can only be used in forms the "
                    "rules express: the OSM evaluator does not know Good Friday and 26 December."
                )
            }
        )
    return imported


def _zone(place: Place, rules: list[Rule], holiday_zone: str) -> str | None:
    zone = school_zone(place, holiday_zone)
    seasonal = any(r.season != "always" for r in rules)
    overseas = overseas_school_message(place) if seasonal else None
    if overseas:
        raise ValidationError({"rules": overseas})
    if zone is None and seasonal:
        raise ValidationError(
            {
                "holiday_zone": _(
                    "This place's department has no school-holiday zone we know "
                    "(Corsica, overseas or missing INSEE code): choose zone A, B or C."
                )
            }
        )
    return zone


def build_ruleset(
    place: Place,
    *,
    rules: Sequence[dict] | None = None,
    public_holidays: str = "closed",
    holiday_times: Sequence[str] = (),
    holiday_zone: str = "",
    osm_text: str | None = None,
    exceptions: Sequence[ScheduleException] = (),
) -> RuleSet:
    """An evaluable RuleSet from unsaved input; nothing is read or written but the input.

    Raises ValidationError with the keys the actions use (`rules[2].times`,
    `holiday_times`, `osm_source`...).
    """
    specs = exception_specs(exceptions)
    if osm_text is not None:
        imported = read_osm_text(osm_text, place)
        if imported is None:
            return RuleSet(
                rules=[],
                public_holidays="open",
                department=department_of(place),
                zone=school_zone(place, holiday_zone),
                exceptions=specs,
                base=osm.library_ranges(osm_text.strip()),
            )
        rules = imported.rules
        public_holidays = imported.public_holidays
        holiday_times = list(imported.holiday_times)
    parsed = rules_from_data(list(rules or []))
    if not parsed:
        raise ValidationError({"rules": _("Give at least one rule (24/7 is one rule too).")})
    times = validate_holidays(public_holidays, holiday_times)
    return RuleSet(
        rules=parsed,
        public_holidays=public_holidays,
        holiday_times=tuple(parse_time_range(t, allow_overnight=False) for t in times),
        department=department_of(place),
        zone=_zone(place, parsed, holiday_zone),
        exceptions=specs,
    )


# -- evaluation ---------------------------------------------------------------------------


def _minutes(moment: datetime.datetime) -> int:
    return moment.hour * 60 + moment.minute


def _range_text(start: datetime.datetime, end: datetime.datetime) -> str:
    return _("%(start)s – %(end)s") % {
        "start": format_time(_minutes(start)),
        "end": format_time(_minutes(end) or 1440),
    }


def _unavailable_note(offer: ServiceOffer | None, day: datetime.date) -> str | None:
    """Why an offer cannot be used on a day (see services.selectors.available_offers)."""
    if offer is None:
        return None
    if offer.status == ServiceOffer.Status.ENDED:
        return _("this service has ended")
    suspended = offer.status == ServiceOffer.Status.SUSPENDED and offer.suspended_until
    if suspended and day <= offer.suspended_until:
        return _("service suspended until %(date)s") % {
            "date": offer.suspended_until.strftime("%d/%m/%Y")
        }
    return None


def days_of(
    ruleset: RuleSet,
    *,
    offer: ServiceOffer | None = None,
    days: int = PREVIEW_DAYS,
    today: datetime.date | None = None,
) -> list[PreviewDay]:
    """The next `days` local days of a RuleSet, with their open ranges and notes."""
    first = today or timezone.localdate()
    stop = first + datetime.timedelta(days=days)
    try:
        opened = ruleset.open_local(first, stop)
    except SchoolCalendarNotCovered as exc:
        raise ValidationError({"rules": [str(exc)]}) from None
    by_day: dict[datetime.date, list[str]] = {}
    for start, end in opened:
        while start < end:
            midnight = datetime.datetime.combine(start.date() + DAY, datetime.time())
            piece_end = min(end, midnight)
            by_day.setdefault(start.date(), []).append(_range_text(start, piece_end))
            start = piece_end
    out = []
    day = first
    while day < stop:
        ranges = by_day.get(day, [])
        notes = []
        unavailable = _unavailable_note(offer, day)
        if unavailable:
            ranges, notes = [], [unavailable]
        if ruleset.base is None and ruleset.is_holiday(day):
            if ruleset.public_holidays == "closed":
                notes.append(_("public holiday: closed"))
            elif ruleset.public_holidays == "special":
                notes.append(_("public holiday: special hours"))
        for spec in ruleset.exceptions:
            if not spec.start_date <= day <= spec.end_date:
                continue
            if spec.kind == "closure":
                notes.append(spec.title or _("exceptionally closed"))
            elif spec.kind == "event":
                when = ""
                if spec.start_time is not None:
                    when = _range_text(
                        datetime.datetime.combine(day, spec.start_time),
                        datetime.datetime.combine(day, spec.end_time),
                    )
                notes.append(
                    _("%(title)s, %(when)s") % {"title": spec.title, "when": when}
                    if when
                    else spec.title
                )
            elif spec.title:
                notes.append(_("extra opening: %(title)s") % {"title": spec.title})
        out.append(PreviewDay(day, ranges, notes))
        day += DAY
    return out


def preview_days(
    place: Place,
    *,
    rules: Sequence[dict] | None = None,
    public_holidays: str = "closed",
    holiday_times: Sequence[str] = (),
    holiday_zone: str = "",
    osm_text: str | None = None,
    exceptions: Sequence[ScheduleException] = (),
    offer: ServiceOffer | None = None,
    days: int = PREVIEW_DAYS,
    today: datetime.date | None = None,
) -> list[PreviewDay]:
    """The next `days` days of unsaved rules (or OSM text), as residents will read them.

    Builds a RuleSet in memory (nothing is written) with the schedule's current
    `exceptions`; an `offer` that is suspended or ended shows as unavailable, as in the
    materialised calendar. Raises ValidationError keyed like the save would.
    """
    ruleset = build_ruleset(
        place,
        rules=rules,
        public_holidays=public_holidays,
        holiday_times=holiday_times,
        holiday_zone=holiday_zone,
        osm_text=osm_text,
        exceptions=exceptions,
    )
    return days_of(ruleset, offer=offer, days=days, today=today)


def week_lines(ruleset: RuleSet, today: datetime.date | None = None) -> dict:
    """The usual week in the shape and wording of `selectors.week_timetable`, from a RuleSet."""
    today = today or timezone.localdate()
    names = day_names()
    days = [{"weekday": i, "name": names[i], "lines": []} for i in range(7)]
    notes: list[str] = []
    if ruleset.base is None:
        for rule in ruleset.rules:
            if rule.kind == "dates" or (rule.valid_to and rule.valid_to < today):
                continue
            ranges = ", ".join(format_range(t) for t in rule.times)
            extra = ", ".join(rule_qualifiers(rule))
            for weekday in rule.days:
                line = _("%(day)s %(ranges)s") % {"day": names[weekday], "ranges": ranges}
                if extra:
                    line = _("%(line)s, %(qualifiers)s") % {"line": line, "qualifiers": extra}
                days[weekday]["lines"].append(line)
        if ruleset.public_holidays == "closed":
            notes.append(_("closed on public holidays"))
        elif ruleset.public_holidays == "special":
            notes.append(
                _("on public holidays: %(ranges)s")
                % {"ranges": ", ".join(format_range(t) for t in ruleset.holiday_times)}
            )
    else:
        for start, end in ruleset.open_local(today, today + 7 * DAY):
            weekday = start.weekday()
            days[weekday]["lines"].append(
                _("%(day)s %(ranges)s") % {"day": names[weekday], "ranges": _range_text(start, end)}
            )
    return {"days": days, "notes": notes, "mode": "rules" if ruleset.base is None else "osm"}


# -- reads of the editor page -------------------------------------------------------------


def schedule_of(place: Place, offer: ServiceOffer | None = None) -> Schedule | None:
    """The schedule of a place (or of one of its offers) with its exceptions: two queries."""
    lookup = {"offer": offer} if offer is not None else {"place": place}
    return (
        Schedule.objects.filter(**lookup)
        .prefetch_related(
            Prefetch(
                "exceptions",
                queryset=ScheduleException.objects.order_by("start_date", "start_time", "id"),
            )
        )
        .first()
    )


def offers_with_schedules(place: Place):
    """A place's live offers with their kind, provider and schedule: one query."""
    return (
        ServiceOffer.objects.filter(place=place)
        .exclude(status=ServiceOffer.Status.ENDED)
        .select_related("kind", "kind__category", "provider", "schedule")
        .order_by("kind__category__position", "kind__position", "provider__name", "id")
    )


def saved_ruleset(schedule: Schedule, place: Place) -> RuleSet:
    """The RuleSet of a saved schedule, from its prefetched exceptions (no query)."""
    return build_ruleset(
        place,
        rules=schedule.rules if schedule.mode == Schedule.Mode.RULES else None,
        public_holidays=schedule.public_holidays,
        holiday_times=schedule.holiday_times,
        holiday_zone=schedule.holiday_zone,
        osm_text=schedule.osm_source if schedule.mode == Schedule.Mode.OSM else None,
        exceptions=list(schedule.exceptions.all()),
    )


def osm_export(schedule: Schedule | None) -> tuple[str, str]:
    """(OSM string, "") for a saved schedule, or ("", why it has no exact OSM form)."""
    if schedule is None:
        return "", _("There are no opening hours yet.")
    if schedule.mode == Schedule.Mode.OSM:
        return schedule.osm_source, ""
    try:
        return (
            osm.export_osm(
                rules_from_data(schedule.rules),
                schedule.public_holidays,
                tuple(parse_time_range(t, allow_overnight=False) for t in schedule.holiday_times),
            ),
            "",
        )
    except osm.NotRepresentable as exc:
        return "", str(exc)
