"""schema.org JSON-LD for a place: identity, address, services and opening hours.

A pure function over already-loaded records, shared by the residents' pages and the API
(which may not import each other). `place_jsonld` returns a dict; callers serialise it.
Hours are schema.org OpeningHoursSpecification items only, never OSM syntax (schema.org
readers cannot apply OSM overrides): the usual week, and, when a window of dates is given,
dated items for what the week cannot say (public holidays, every-N-weeks and n-th weekday
rules, seasons) on each day of the window.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from places.models import Place
from places.timezones import place_zone
from scheduling.calendars import department_of, is_public_holiday, school_zone
from scheduling.models import Schedule, ScheduleException
from scheduling.rules import Rule, parse_time_range, rule_days, rules_from_data
from scheduling.school_holidays import SchoolCalendarNotCovered

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _hhmm(minutes: int) -> str:
    minutes %= 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _range(time_range) -> dict:
    if time_range.start == 0 and time_range.end >= 1440:
        return {"opens": "00:00", "closes": "23:59"}  # schema.org's "all day"
    return {"opens": _hhmm(time_range.start), "closes": _hhmm(time_range.end)}


def _is_weekly(rule: Rule) -> bool:
    """Whether schema.org's dayOfWeek with validFrom/validThrough states the rule exactly."""
    exact = rule.kind in ("weekly", "dates") or (
        rule.kind == "every_n_weeks" and rule.interval == 1
    )
    return exact and not rule.yearly_from and rule.season == "always"


def opening_hours_specification(schedule: Schedule | None) -> list[dict]:
    """The usual week as OpeningHoursSpecification items.

    Only rules schema.org can state exactly are listed: weekly rules with their validity
    dates, and dated rules (their days of the week between their first and last dates).
    Every-N-weeks, nth-weekday, seasonal and yearly rules have no weekly form: with a
    window, `dated_opening_hours_specification` lists their days instead.
    """
    if schedule is None or schedule.mode != Schedule.Mode.RULES:
        return []
    out = []
    for rule in rules_from_data(schedule.rules):
        if not _is_weekly(rule):
            continue
        days = rule.days or tuple(range(7))
        valid_from, valid_to = rule.valid_from, rule.valid_to
        if rule.kind == "dates":
            valid_from = max(filter(None, (rule.start_date, valid_from)))
            valid_to = min(filter(None, (rule.end_date or rule.start_date, valid_to)))
        for time_range in rule.times:
            item = {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": [f"https://schema.org/{_DAYS[d]}" for d in days],
                **_range(time_range),
            }
            if valid_from:
                item["validFrom"] = valid_from.isoformat()
            if valid_to:
                item["validThrough"] = valid_to.isoformat()
            out.append(item)
    return out


def _day(day: datetime.date, **values) -> dict:
    iso = day.isoformat()
    return {"@type": "OpeningHoursSpecification", "validFrom": iso, "validThrough": iso, **values}


def dated_opening_hours_specification(
    place: Place, schedule: Schedule | None, window: tuple[datetime.date, datetime.date]
) -> list[dict]:
    """Dated items for the days of `window` (first day included, last excluded) that the
    usual week cannot state: public holidays (closed: opens = closes = 00:00, schema.org's
    "closed"; or their own hours) and the days of rules with no weekly form.

    A special item replaces the usual hours of its day, so a holiday item also stands for
    the rules' hours that day: the rules' own items skip holidays unless the schedule
    keeps the usual hours on them.
    """
    if schedule is None or schedule.mode != Schedule.Mode.RULES:
        return []
    first, end = window
    count = (end - first).days
    department = department_of(place)
    holidays = {
        first + datetime.timedelta(days=k)
        for k in range(count)
        if is_public_holiday(first + datetime.timedelta(days=k), department)
    }
    out: list[dict] = []
    if schedule.public_holidays != "open":
        for day in sorted(holidays):
            if schedule.public_holidays == "closed" or not schedule.holiday_times:
                out.append(_day(day, opens="00:00", closes="00:00"))
            else:
                out += [
                    _day(day, **_range(parse_time_range(t, allow_overnight=False)))
                    for t in schedule.holiday_times
                ]
    zone = school_zone(place, schedule.holiday_zone)
    for rule in rules_from_data(schedule.rules):
        if _is_weekly(rule):
            continue
        try:
            offsets = rule_days(rule, first, count, zone)
        except SchoolCalendarNotCovered:
            continue  # no school calendar for the window: the days are not known
        for k in offsets:
            day = first + datetime.timedelta(days=k)
            if day in holidays and schedule.public_holidays != "open":
                continue
            out += [_day(day, **_range(time_range)) for time_range in rule.times]
    return sorted(out, key=lambda item: (item["validFrom"], item.get("opens", "")))


def special_opening_hours_specification(exceptions: Iterable[ScheduleException]) -> list[dict]:
    """Closures (opens = closes = 00:00, schema.org's "closed") and extra openings."""
    out = []
    for exc in exceptions:
        if exc.kind == ScheduleException.Kind.EVENT:
            continue
        item = {
            "@type": "OpeningHoursSpecification",
            "validFrom": exc.start_date.isoformat(),
            "validThrough": exc.end_date.isoformat(),
        }
        if exc.kind == ScheduleException.Kind.CLOSURE:
            item.update({"opens": "00:00", "closes": "00:00"})
            if exc.title:
                item["description"] = exc.title
        elif exc.start_time is not None:
            item.update(
                {
                    "opens": exc.start_time.strftime("%H:%M"),
                    "closes": exc.end_time.strftime("%H:%M"),
                }
            )
        else:
            item.update({"opens": "00:00", "closes": "23:59"})
        out.append(item)
    return out


def _events(exceptions: Iterable[ScheduleException], url: str, tz) -> list[dict]:
    # Timed events carry the place's UTC offset: their times are its wall-clock times.
    out = []
    for exc in exceptions:
        if exc.kind != ScheduleException.Kind.EVENT:
            continue
        start: datetime.date | datetime.datetime = exc.start_date
        end: datetime.date | datetime.datetime = exc.end_date
        if exc.start_time is not None:
            start = datetime.datetime.combine(exc.start_date, exc.start_time, tz)
            end = datetime.datetime.combine(exc.start_date, exc.end_time, tz)
        event = {
            "@type": "Event",
            "name": exc.title,
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "location": {"@id": url},
        }
        if exc.description:
            event["description"] = exc.description
        out.append(event)
    return out


def place_jsonld(
    place: Place,
    *,
    url: str,
    offers: Iterable = (),
    schedule: Schedule | None = None,
    exceptions: Iterable[ScheduleException] = (),
    window: tuple[datetime.date, datetime.date] | None = None,
) -> dict:
    """A schema.org CivicStructure (a Place) describing `place`, reachable at `url`.

    `offers` are the place's live ServiceOffers (kind and provider loaded), `schedule` its
    general hours and `exceptions` the upcoming ones; none of them is queried here. With a
    `window` (first day, day after the last), public holidays and the days of rules with no
    weekly form are listed as dated items of `specialOpeningHoursSpecification`.
    """
    exceptions = list(exceptions)
    data: dict = {
        "@context": "https://schema.org",
        "@type": ["Place", "CivicStructure"],
        "@id": url,
        "url": url,
        "name": place.name,
        "identifier": str(place.public_id),
        "publicAccess": True,
    }
    description = place.short_description or place.description
    if description:
        data["description"] = description
    address = {
        "@type": "PostalAddress",
        "streetAddress": place.address,
        "postalCode": place.postcode,
        "addressLocality": place.commune,
        "addressCountry": "FR",
    }
    data["address"] = {k: v for k, v in address.items() if v}
    if place.has_location:
        data["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": float(place.latitude),
            "longitude": float(place.longitude),
        }
    for key, value in (("telephone", place.phone), ("email", place.email)):
        if value:
            data[key] = value
    same_as = [u for u in (place.website, place.acceslibre_url) if u]
    if same_as:
        data["sameAs"] = same_as
    if place.wheelchair:
        data["amenityFeature"] = [
            {
                "@type": "LocationFeatureSpecification",
                "name": "wheelchair accessible",
                "value": place.wheelchair == Place.Wheelchair.YES,
            }
        ]
    catalogue = []
    for offer in offers:
        item = {
            "@type": "Offer",
            "itemOffered": {
                "@type": "Service",
                "name": str(offer.kind),
                "provider": {"@type": "Organization", "name": offer.provider.name},
            },
        }
        if offer.fees == "free":
            item.update({"price": "0", "priceCurrency": "EUR"})
        catalogue.append(item)
    if catalogue:
        data["makesOffer"] = catalogue
    hours = opening_hours_specification(schedule)
    if hours:
        data["openingHoursSpecification"] = hours
    special = special_opening_hours_specification(exceptions)
    if window is not None:
        special = dated_opening_hours_specification(place, schedule, window) + special
    if special:
        data["specialOpeningHoursSpecification"] = special
    events = _events(exceptions, url, place_zone(place))
    if events:
        data["event"] = events
    return data
