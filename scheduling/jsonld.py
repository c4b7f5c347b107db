"""schema.org JSON-LD for a place: identity, address, services and opening hours.

A pure function over already-loaded records, shared by the residents' pages and the API
(which may not import each other). `place_jsonld` returns a dict; callers serialise it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from places.models import Place
from places.timezones import place_zone
from scheduling.models import Schedule, ScheduleException
from scheduling.rules import rules_from_data

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _hhmm(minutes: int) -> str:
    minutes %= 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _range(time_range) -> dict:
    if time_range.start == 0 and time_range.end >= 1440:
        return {"opens": "00:00", "closes": "23:59"}  # schema.org's "all day"
    return {"opens": _hhmm(time_range.start), "closes": _hhmm(time_range.end)}


def opening_hours_specification(schedule: Schedule | None) -> list[dict]:
    """The usual week as OpeningHoursSpecification items.

    Only rules schema.org can state exactly are listed: weekly rules (with their validity
    dates). Every-N-weeks, nth-weekday, seasonal and yearly rules have no schema.org form;
    they are left out rather than stated wrongly (the .ics feed carries them).
    """
    if schedule is None or schedule.mode != Schedule.Mode.RULES:
        return []
    out = []
    for rule in rules_from_data(schedule.rules):
        exact = rule.kind == "weekly" or (rule.kind == "every_n_weeks" and rule.interval == 1)
        if not exact or rule.yearly_from or rule.season != "always":
            continue
        for time_range in rule.times:
            item = {
                "@type": "OpeningHoursSpecification",
                "dayOfWeek": [f"https://schema.org/{_DAYS[d]}" for d in rule.days],
                **_range(time_range),
            }
            if rule.valid_from:
                item["validFrom"] = rule.valid_from.isoformat()
            if rule.valid_to:
                item["validThrough"] = rule.valid_to.isoformat()
            out.append(item)
    return out


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
) -> dict:
    """A schema.org CivicStructure (a Place) describing `place`, reachable at `url`.

    `offers` are the place's live ServiceOffers (kind and provider loaded), `schedule` its
    general hours and `exceptions` the upcoming ones; none of them is queried here.
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
    if schedule is not None and schedule.mode == Schedule.Mode.OSM and schedule.osm_source:
        data["openingHours"] = schedule.osm_source
    hours = opening_hours_specification(schedule)
    if hours:
        data["openingHoursSpecification"] = hours
    special = special_opening_hours_specification(exceptions)
    if special:
        data["specialOpeningHoursSpecification"] = special
    events = _events(exceptions, url, place_zone(place))
    if events:
        data["event"] = events
    return data
