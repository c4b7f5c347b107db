"""iCalendar (RFC 5545) export of a place's or an offer's hours."""

from __future__ import annotations

import datetime

import icalendar
from django.utils import timezone

from places.models import Place
from places.timezones import place_zone
from scheduling.materialise import current_window, ruleset_for
from scheduling.models import Schedule, ScheduleException
from scheduling.rules import DAY, Rule, rules_from_data
from services.models import ServiceOffer

_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _local(day: datetime.date, minutes: int, tz) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(minutes=minutes)
    return naive.replace(tzinfo=tz)


def _rrule(rule: Rule, until: datetime.datetime) -> dict:
    if rule.kind == "dates":
        return {"FREQ": "DAILY", "UNTIL": until}
    rrule: dict = {"FREQ": "WEEKLY", "BYDAY": [_BYDAY[d] for d in rule.days], "UNTIL": until}
    if rule.kind == "every_n_weeks":
        rrule["INTERVAL"] = rule.interval
    if rule.kind == "nth_weekday":
        rrule = {
            "FREQ": "MONTHLY",
            "BYDAY": [f"{n}{_BYDAY[d]}" for d in rule.days for n in rule.nth],
            "UNTIL": until,
        }
    return rrule


def _first_day(rule: Rule, start: datetime.date) -> datetime.date:
    if rule.kind == "dates":
        return max(rule.start_date, start)
    if rule.kind == "every_n_weeks":
        # DTSTART anchors the INTERVAL: the anchor week's first matching day.
        monday = rule.anchor - datetime.timedelta(days=rule.anchor.weekday())
        return monday + datetime.timedelta(days=min(rule.days))
    day = max(start, rule.valid_from or start)
    while not rule.matches_pattern(day):
        day += DAY
    return day


def place_location(place) -> dict:
    """LOCATION (name and postal address) and, when the place has coordinates, GEO: what a
    calendar app needs to show where the visit is and to give directions."""
    town = f"{place.postcode} {place.commune}".strip()
    extra = {"location": ", ".join(p for p in (place.name, place.address, town) if p)}
    if place.latitude is not None and place.longitude is not None:
        extra["geo"] = (float(place.latitude), float(place.longitude))
    return extra


def calendar_ics(
    target: Place | ServiceOffer,
    today: datetime.date | None = None,
    *,
    days: tuple[datetime.date, datetime.date] | None = None,
) -> bytes:
    """The hours as an .ics file: one recurring event per rule and time range. The one
    file of a place (or offer), whoever asks: its page's agenda.ics and the API's
    calendar in iCalendar are this.

    Each recurrence runs from yesterday to the window's end, or over the local days
    [first, stop) of `days` (kept inside the window); the days it does not actually open
    on (public holidays, closures, seasons, yearly periods) are listed as EXDATE, so any
    calendar shows exactly what the site shows. Extra openings and events are single
    events; an OSM-text schedule is exported as its materialised openings.
    """
    place, offer = (target.place, target) if isinstance(target, ServiceOffer) else (target, None)
    window = current_window()
    if days is None:
        today, stop = max(window.start, (today or timezone.localdate()) - DAY), window.end
    else:
        today, stop = max(window.start, days[0]), max(window.start, min(window.end, days[1]))
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Lieux partagés//scheduling//FR")
    cal.add("version", "2.0")
    name = str(offer.kind) if offer else place.name
    cal.add("x-wr-calname", name)
    lookup = {"offer": offer} if offer else {"place": place}
    schedule = Schedule.objects.filter(**lookup).first()
    if schedule is not None:
        _add_schedule(cal, schedule, place, name, today, stop, clip=days is not None)
    cal.add_missing_timezones()
    return cal.to_ical()


def _contained(start, end, opened) -> bool:
    return any(s <= start and end <= e for s, e in opened)


def _add_event(cal, uid: str, summary: str, start, end, **extra) -> None:
    event = icalendar.Event()
    event.add("uid", f"{uid}@lieux-partages")
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("dtstamp", timezone.now())
    for key, value in extra.items():
        if value:
            event.add(key, value)
    cal.add_component(event)


def _add_schedule(cal, schedule, place, name, first, stop, clip=False) -> None:
    uid = f"schedule-{schedule.pk}"
    where = place_location(place)
    ruleset = ruleset_for(schedule, place)
    opened = ruleset.open_local(first, stop)
    # Events carry the place's zone (TZID and its VTIMEZONE): rules are its wall-clock times.
    tz = place_zone(place)
    if schedule.mode == Schedule.Mode.RULES:
        until = _local(stop, 0, tz).astimezone(datetime.UTC)
        for r_index, rule in enumerate(rules_from_data(schedule.rules)):
            rrule = _rrule(rule, until)
            if rule.kind == "dates" and rule.days:
                rrule["BYDAY"] = [_BYDAY[d] for d in rule.days]
            for t_index, time_range in enumerate(rule.times):
                day = _first_day(rule, first)
                exdates = []
                current = day
                while current < stop:
                    # Every day the RRULE produces but the site does not open on.
                    if rule.matches_pattern(current):
                        base = datetime.datetime.combine(current, datetime.time())
                        start = base + datetime.timedelta(minutes=time_range.start)
                        end = base + datetime.timedelta(minutes=time_range.end)
                        if current < first or not (
                            rule.applies(current, ruleset.zone) and _contained(start, end, opened)
                        ):
                            exdates.append(start.replace(tzinfo=tz))
                    current += DAY
                _add_event(
                    cal,
                    f"{uid}-r{r_index}-t{t_index}",
                    name,
                    _local(day, time_range.start, tz),
                    _local(day, time_range.end, tz),
                    rrule=rrule,
                    exdate=exdates,
                    **where,
                )
    else:
        for index, (start, end) in enumerate(opened):
            _add_event(
                cal,
                f"{uid}-o{index}",
                name,
                start.replace(tzinfo=tz),
                end.replace(tzinfo=tz),
                **where,
            )
    exceptions = ScheduleException.objects.filter(schedule=schedule, end_date__gte=first)
    if clip:  # a span was asked for: its days only (else every coming event, as planned)
        exceptions = exceptions.filter(start_date__lt=stop)
    for exc in exceptions:
        if exc.kind == ScheduleException.Kind.CLOSURE:
            continue  # already taken out of the recurrences through EXDATE
        day = max(exc.start_date, first) if clip else exc.start_date
        while day <= (min(exc.end_date, stop - DAY) if clip else exc.end_date):
            if exc.start_time is None:
                start, end = day, day + DAY
            else:
                start = datetime.datetime.combine(day, exc.start_time, tz)
                end = datetime.datetime.combine(day, exc.end_time, tz)
            _add_event(
                cal,
                f"{uid}-x{exc.pk}-{day.isoformat()}",
                exc.title or name,
                start,
                end,
                description=exc.description,
                **where,
            )
            day += DAY


def visit_ics(place: Place, offer: ServiceOffer | None, openings) -> bytes:
    """One visit as an .ics file: a single event per opening given (aware (start, end)),
    with no recurrence, named after the service (or the place) and located at the place."""
    name = str(offer.kind) if offer else place.name
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Lieux partagés//scheduling//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    summary = f"{name} — {place.name}" if offer else name
    what = f"offer-{offer.pk}" if offer else f"place-{place.pk}"
    for start, end in openings:
        _add_event(
            cal,
            f"visit-{what}-{start.astimezone(datetime.UTC):%Y%m%dT%H%M%SZ}",
            summary,
            start,
            end,
            **place_location(place),
        )
    cal.add_missing_timezones()
    return cal.to_ical()
