"""Every write to schedules goes through here: validated, atomic, recorded, calendar rebuilt.

Each action checks the schedule's version when `expected_version` is given, validates
everything before touching the database, saves, records the change in the place's
history and rebuilds the touched scope of the materialised calendar in the same
transaction, so readers never see a calendar that disagrees with the saved schedule.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from places.history import change, diff, record, record_many, snapshot, store
from places.inserts import insert_many
from places.models import ChangeRecord, Place
from places.timezones import is_overseas, place_zone
from places.versioning import StaleRecord, check_version
from scheduling.calendars import (
    ALSACE_MOSELLE,
    department_of,
    overseas_school_message,
    school_zone,
)
from scheduling.materialise import (
    clear_scope,
    current_window,
    rebuild_places,
    rebuild_schedule,
    ruleset_for,
    to_utc,
)
from scheduling.models import OpeningInterval, Schedule, ScheduleException
from scheduling.preview import read_osm_text, validate_holidays
from scheduling.rules import rules_from_data
from scheduling.school_holidays import SchoolCalendarNotCovered
from services.models import ServiceOffer

# The one conflict error of every versioned record (places.versioning); the old name stays.
StaleSchedule = StaleRecord


def _owner(place: Place | None, offer: ServiceOffer | None) -> tuple[Place, ServiceOffer | None]:
    if (place is None) == (offer is None):
        raise ValidationError(_("Give either a place or a service offer, not both."))
    return (offer.place if offer is not None else place), offer


def _locked_schedule(place, offer, expected_version: int | None) -> Schedule | None:
    lookup = {"offer": offer} if offer is not None else {"place": place}
    schedule = Schedule.objects.select_for_update().filter(**lookup).first()
    # A place or offer without hours yet is at version 0.
    target = schedule.target if schedule else None
    check_version(
        kind="schedule",
        current=schedule,
        version=schedule.version if schedule else 0,
        expected=expected_version,
        since=lambda: (
            ChangeRecord.objects.filter(
                Q(target=target) | Q(target__startswith=f"{target}:exception:"),
                place=place,
                version__gt=expected_version,
            )
            .select_related("user")
            .order_by("created_at", "id")
        ),
    )
    return schedule


def _check_zone(schedule: Schedule, place: Place) -> None:
    """A rule depending on school holidays needs a zone we know the calendar of."""
    seasonal = any(r.get("season", "always") != "always" for r in schedule.rules or [])
    overseas = overseas_school_message(place) if seasonal else None
    if overseas:
        # Never a metropolitan zone in its stead: the dates would be silently wrong.
        raise ValidationError({"rules": overseas})
    if seasonal and school_zone(place, schedule.holiday_zone) is None:
        raise ValidationError(
            {
                "holiday_zone": _(
                    "This place's department has no school-holiday zone we know "
                    "(Corsica, overseas or missing INSEE code): choose zone A, B or C."
                )
            }
        )


# -- offers that are not available --------------------------------------------------------
# services.selectors.available_offers says who can use an offer on a day: active offers, and
# suspended ones after their `suspended_until` (inclusive). The materialised calendar must
# agree, or a suspended service would still read as open: its rows are cut here, after every
# rebuild that touches offers.


def _unavailable_rows(offer: ServiceOffer):
    """The offer's materialised rows on the days it cannot be used (none if it is active)."""
    rows = OpeningInterval.objects.filter(offer_id=offer.pk)
    if offer.status == ServiceOffer.Status.ENDED:
        return rows
    if offer.status == ServiceOffer.Status.SUSPENDED and offer.suspended_until:
        # Rows never cross local midnight: those starting before the day after the
        # suspension are exactly the suspended days.
        after = offer.suspended_until + datetime.timedelta(days=1)
        midnight = datetime.datetime.combine(after, datetime.time())
        return rows.filter(start__lt=to_utc(midnight, place_zone(offer.place)))
    return rows.none()


def trim_unavailable_offers(*, place_ids: Sequence[int] | None = None) -> int:
    """Delete calendar rows of ended offers and of suspended offers' suspended days.

    Runs after any rebuild of whole places (`rebuild_calendar`, the demo's bulk path).
    """
    offers = ServiceOffer.objects.exclude(status=ServiceOffer.Status.ACTIVE)
    if place_ids is not None:
        offers = offers.filter(place_id__in=list(place_ids))
    deleted = 0
    # The ended offers' ids first (few, often none): as a subquery inside the DELETE,
    # PostgreSQL may scan the whole calendar table once per call, which imports make per
    # batch of places.
    ended = list(offers.filter(status=ServiceOffer.Status.ENDED).values_list("pk", flat=True))
    if ended:
        deleted += OpeningInterval.objects.filter(offer_id__in=ended).delete()[0]
    for offer in offers.filter(status=ServiceOffer.Status.SUSPENDED).select_related("place"):
        deleted += _unavailable_rows(offer).delete()[0]
    return deleted


def _rebuild(schedule: Schedule) -> None:
    rebuild_schedule(schedule)
    if schedule.offer_id:
        _unavailable_rows(schedule.offer).delete()


@transaction.atomic
def offer_calendar_rebuild(*, offer: ServiceOffer) -> None:
    """Rebuild one offer's calendar rows after the offer changed (status, suspension).

    Connected to `services.signals.offer_changed` in `SchedulingConfig.ready()`, so it runs
    in the transaction of the offer's write: a suspended or ended offer stops reading as
    open at once, and a reactivated one opens again.
    """
    schedule = Schedule.objects.filter(offer_id=offer.pk).select_related("offer__place").first()
    if schedule is None:
        OpeningInterval.objects.filter(offer_id=offer.pk).delete()
        return
    schedule.offer = offer
    _rebuild(schedule)


def rebuild_places_calendar(place_ids: Sequence[int]) -> int:
    """Rebuild every schedule of these places over the window, then cut unavailable offers."""
    window = current_window()
    with transaction.atomic():
        rows = rebuild_places(list(place_ids), window)
        return rows - trim_unavailable_offers(place_ids=place_ids)


def place_clock_rebuild(*, place: Place, changes: dict) -> int:
    """Rebuild a place's calendar after its zone, INSEE code or postcode changed.

    Connected to `places.signals.place_clock_changed` in `SchedulingConfig.ready()`: it
    runs in the place update's transaction, so a change that makes a schedule unreadable
    (a school-holiday rule at a place now overseas) refuses the whole update.
    """
    try:
        return rebuild_places_calendar([place.pk])
    except SchoolCalendarNotCovered as exc:
        field = next(iter(changes), "time_zone")
        message = overseas_school_message(place) or str(exc)
        raise ValidationError({field: [message]}) from None


def _save_and_rebuild(
    schedule: Schedule, *, before: dict | None, user, source: str, place: Place
) -> Schedule:
    schedule.version = (schedule.version or 0) + 1 if before is not None else 1
    try:
        schedule.full_clean()
        _check_zone(schedule, place)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    schedule.save()
    try:
        _rebuild(schedule)
    except SchoolCalendarNotCovered as exc:
        # Rolls the whole save back: better refuse than publish guessed hours.
        raise ValidationError({"rules": [str(exc)]}) from None
    store(_schedule_entry(schedule, before, place=place, user=user, source=source))
    return schedule


def _schedule_entry(
    schedule: Schedule, before: dict | None, *, place: Place, user, source: str
) -> ChangeRecord | None:
    """The history of a schedule saved (created when `before` is None)."""
    changes = diff(before, snapshot(schedule, exclude=("place", "offer")))
    changes.pop("version", None)
    return change(
        place=place,
        target=schedule.target,
        action=ChangeRecord.Action.CREATE if before is None else ChangeRecord.Action.UPDATE,
        changes=changes,
        user=user,
        source=source,
        version=schedule.version,
    )


@transaction.atomic
def schedule_set_rules(
    *,
    user,
    rules: Sequence[dict],
    place: Place | None = None,
    offer: ServiceOffer | None = None,
    public_holidays: str = "closed",
    holiday_times: Sequence[str] = (),
    holiday_zone: str = "",
    expected_version: int | None = None,
    source: str = "staff",
) -> Schedule:
    """Give a place (or an offer) structured opening rules, replacing what it had.

    Raises ValidationError keyed by `rules[i].field`, `public_holidays`, `holiday_times`
    or `holiday_zone`; StaleSchedule when `expected_version` is not the stored one.
    """
    place, offer = _owner(place, offer)
    parsed = rules_from_data(list(rules))
    if not parsed:
        raise ValidationError({"rules": _("Give at least one rule (24/7 is one rule too).")})
    times = validate_holidays(public_holidays, holiday_times)
    schedule = _locked_schedule(place, offer, expected_version)
    before = snapshot(schedule, exclude=("place", "offer")) if schedule else None
    if schedule is None:
        schedule = Schedule(place=None if offer else place, offer=offer)
    schedule.mode = Schedule.Mode.RULES
    schedule.rules = [r.to_dict() for r in parsed]
    schedule.public_holidays = public_holidays
    schedule.holiday_times = times
    schedule.holiday_zone = holiday_zone
    # Hand-edited rules no longer derive from an imported string.
    schedule.osm_source = ""
    return _save_and_rebuild(schedule, before=before, user=user, source=source, place=place)


def _read_osm(text: str, place: Place) -> tuple[Any, list[dict]]:
    """(read_osm_text's reading, its rules as stored) of an OSM string at a place."""
    imported = read_osm_text(text, place)
    return imported, [r.to_dict() for r in rules_from_data(imported.rules)] if imported else []


def _osm_reading_key(text: str, place: Place) -> tuple[str, str]:
    """What reading an OSM string depends on: the text, and the department only where it
    has holidays of its own (Alsace-Moselle, each overseas territory) the library does
    not know; elsewhere the place does not matter."""
    department = department_of(place)
    own = department in ALSACE_MOSELLE or is_overseas(department)
    return text, (department or "") if own else ""


def _set_osm_fields(schedule: Schedule, text: str, imported, rules: list[dict]) -> None:
    schedule.osm_source = text
    if imported is not None:
        schedule.mode = Schedule.Mode.RULES
        schedule.rules = rules
        schedule.public_holidays = imported.public_holidays
        schedule.holiday_times = list(imported.holiday_times)
    else:
        schedule.mode = Schedule.Mode.OSM
        schedule.rules = []
        schedule.public_holidays = Schedule.PublicHolidays.OPEN  # PH is in the text itself
        schedule.holiday_times = []


@transaction.atomic
def schedule_set_osm(
    *,
    user,
    text: str,
    place: Place | None = None,
    offer: ServiceOffer | None = None,
    holiday_zone: str = "",
    expected_version: int | None = None,
    source: str = "staff",
) -> Schedule:
    """Import an OSM opening_hours string, keeping it verbatim in `osm_source`.

    When the string is in the subset structured rules express exactly (and the library
    agrees over a year), the schedule becomes rules; otherwise it stays OSM text,
    evaluated by the library. A syntax error raises ValidationError on `osm_source`
    quoting the faulty part.
    """
    place, offer = _owner(place, offer)
    text = (text or "").strip()
    imported, rules = _read_osm(text, place)
    schedule = _locked_schedule(place, offer, expected_version)
    before = snapshot(schedule, exclude=("place", "offer")) if schedule else None
    if schedule is None:
        schedule = Schedule(place=None if offer else place, offer=offer)
    schedule.holiday_zone = holiday_zone
    _set_osm_fields(schedule, text, imported, rules)
    return _save_and_rebuild(schedule, before=before, user=user, source=source, place=place)


@transaction.atomic
def schedules_set_osm_many(
    *, items: Sequence[tuple[Place, str]], user, source: str = "staff"
) -> tuple[list[Schedule], dict[int, list[str]]]:
    """schedule_set_osm for many places' opening hours (imports): the same reading of
    each text, stored fields, history and calendar rows, with one calendar rebuild.

    Each distinct text is read once (per department where that matters). A place that
    has a schedule already, or whose text depends on school holidays, goes through
    schedule_set_osm itself (its lock, zone and school-calendar checks). Returns (the
    schedules written, {index in `items`: why schedule_set_osm refused it}); a refused
    item leaves nothing behind.
    """
    readings: dict[tuple[str, str], Any] = {}
    verdicts: dict[tuple[str, str], list[str] | None] = {}
    refused: dict[int, list[str]] = {}
    fresh: list[tuple[Schedule, Place]] = []
    one_by_one: list[tuple[int, Place, str]] = []
    has_schedule = set(
        Schedule.objects.filter(place_id__in=[p.pk for p, _t in items]).values_list(
            "place_id", flat=True
        )
    )
    for index, (place, text) in enumerate(items):
        text = (text or "").strip()
        key = _osm_reading_key(text, place)
        if key not in readings:
            try:
                readings[key] = _read_osm(text, place)
            except ValidationError as exc:
                readings[key] = exc
        reading = readings[key]
        if isinstance(reading, ValidationError):
            refused[index] = reading.messages
            continue
        imported, rules = reading
        seasonal = any(r.get("season", "always") != "always" for r in rules)
        if place.pk in has_schedule or seasonal:
            one_by_one.append((index, place, text))
            continue
        schedule = Schedule(place=place, holiday_zone="", version=1)
        _set_osm_fields(schedule, text, imported, rules)
        if key not in verdicts:
            try:
                # What _save_and_rebuild checks; the zone check concerns seasonal rules
                # only. The fields come from the reading alone, so one check per reading;
                # the place is a saved instance (a query per place otherwise).
                schedule.full_clean(
                    exclude=["place"], validate_unique=False, validate_constraints=False
                )
                verdicts[key] = None
            except ValidationError as exc:
                verdicts[key] = exc.messages
        if verdicts[key] is not None:
            refused[index] = verdicts[key]
            continue
        fresh.append((schedule, place))
    insert_many(Schedule, [s for s, _p in fresh])
    if fresh:
        rebuild_places_calendar([p.pk for _s, p in fresh])
    written = [s for s, _p in fresh]
    record_many(_schedule_entry(s, None, place=p, user=user, source=source) for s, p in fresh)
    for index, place, text in one_by_one:
        try:
            with transaction.atomic():
                written.append(schedule_set_osm(user=user, text=text, place=place, source=source))
        except ValidationError as exc:
            refused[index] = exc.messages
    return written, refused


@transaction.atomic
def schedule_delete(*, user, schedule: Schedule, source: str = "staff") -> None:
    """Remove a schedule and its exceptions; the place (or offer) has no hours anymore."""
    place = schedule.owner_place
    clear_scope(place=place, offer=schedule.offer)
    record(
        place=place,
        target=schedule.target,
        action=ChangeRecord.Action.DELETE,
        changes={"mode": [schedule.mode, None]},
        user=user,
        source=source,
    )
    schedule.delete()


def _outside_validity(schedule: Schedule, exception: ScheduleException) -> bool:
    """True when no rule of a rules schedule is valid on any day of the closure."""
    if schedule.mode != Schedule.Mode.RULES:
        return False
    rules = rules_from_data(schedule.rules)
    day = exception.start_date
    while day <= exception.end_date:
        if any(r.in_validity(day) and r.kind != "dates" for r in rules) or any(
            r.kind == "dates" and r.start_date <= day <= r.end_date for r in rules
        ):
            return False
        day += datetime.timedelta(days=1)
    return True


@transaction.atomic
def exception_add(
    *,
    user,
    schedule: Schedule,
    kind: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    start_time: datetime.time | None = None,
    end_time: datetime.time | None = None,
    title: str = "",
    description: str = "",
    expected_version: int | None = None,
    source: str = "staff",
) -> ScheduleException:
    """Add a closure (with the reason residents will read), an extra opening or an event.

    A closure is one continuous period (from the start time on the first day to the end
    time on the last); an extra opening or an event repeats its times on each day.
    """
    place = schedule.owner_place
    current = _locked_schedule(place, schedule.offer, expected_version)
    exception = ScheduleException(
        schedule=current,
        kind=kind,
        start_date=start_date,
        end_date=end_date or start_date,
        start_time=start_time,
        end_time=end_time,
        title=(title or "").strip(),
        description=(description or "").strip(),
    )
    exception.full_clean()
    if kind == ScheduleException.Kind.CLOSURE and _outside_validity(current, exception):
        raise ValidationError(
            {
                "start_date": _(
                    "These dates are outside every rule's validity period: "
                    "the place is already closed then."
                )
            }
        )
    exception.save()
    current.version += 1
    current.save(update_fields=["version", "updated_at"])
    _rebuild(current)
    ruleset_for(current)  # fails loudly now rather than at the nightly rebuild
    record(
        place=place,
        target=f"{current.target}:exception:{exception.pk}",
        action=ChangeRecord.Action.CREATE,
        changes=diff(None, snapshot(exception, exclude=("schedule",))),
        user=user,
        source=source,
        version=current.version,
    )
    schedule.version = current.version
    return exception


@transaction.atomic
def exception_remove(
    *,
    user,
    exception: ScheduleException,
    expected_version: int | None = None,
    source: str = "staff",
) -> None:
    """Delete a dated exception and rebuild the calendar without it."""
    schedule = exception.schedule
    place = schedule.owner_place
    current = _locked_schedule(place, schedule.offer, expected_version)
    record(
        place=place,
        target=f"{current.target}:exception:{exception.pk}",
        action=ChangeRecord.Action.DELETE,
        changes=diff(snapshot(exception, exclude=("schedule",)), None),
        user=user,
        source=source,
        version=current.version + 1,
    )
    exception.delete()
    current.version += 1
    current.save(update_fields=["version", "updated_at"])
    _rebuild(current)
