"""Reads of opening hours shared by pages and the API."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from places.geo import bounding_box, haversine_km
from places.models import Place
from places.timezones import place_zone
from scheduling.materialise import (
    MAX_ROW_LENGTH,
    current_window,
    local_zone,
    ruleset_for,
    to_utc,
)
from scheduling.models import CalendarWindow, OpeningInterval, Schedule, ScheduleException
from scheduling.rules import DAY, merge, rules_from_data
from services.models import ServiceOffer

# How far next_opening looks beyond the materialised window before giving up.
NEXT_OPENING_HORIZON_DAYS = 400


class OutsideWindow(ValueError):
    """A question only the materialised calendar answers, about an instant outside it."""


@dataclass(frozen=True)
class Opening:
    start: datetime.datetime
    end: datetime.datetime
    place: Place
    offer: ServiceOffer | None

    @property
    def label(self) -> str:
        """What opens: the offer's service, or the place itself."""
        return str(self.offer.kind) if self.offer is not None else self.place.name


def _split(target) -> tuple[Place, ServiceOffer | None]:
    if isinstance(target, ServiceOffer):
        return target.place, target
    return target, None


def _scope(place: Place, offer: ServiceOffer | None) -> QuerySet:
    rows = OpeningInterval.objects.filter(place_id=place.pk, kind=OpeningInterval.Kind.OPEN)
    return rows.filter(offer_id=offer.pk) if offer else rows.general_hours()


def _schedule(place: Place, offer: ServiceOffer | None) -> Schedule | None:
    lookup = {"offer": offer} if offer else {"place": place}
    return Schedule.objects.filter(**lookup).first()


def window_bounds() -> tuple[datetime.datetime, datetime.datetime]:
    """UTC instants between which every place's calendar is materialised.

    The window's dates are the site's (settings.TIME_ZONE); places in other zones are
    materialised over the local days covering these instants (materialise.place_days).
    """
    window = current_window()
    tz = local_zone()
    return (
        to_utc(datetime.datetime.combine(window.start, datetime.time()), tz),
        to_utc(datetime.datetime.combine(window.end, datetime.time()), tz),
    )


def _direct_open(schedule: Schedule, place: Place, first: datetime.date, stop: datetime.date):
    """Openings over the place's local days [first, stop), evaluated in its zone, in UTC."""
    tz = place_zone(place)
    local = ruleset_for(schedule, place).open_local(first, stop)
    return [(to_utc(s, tz), to_utc(e, tz)) for s, e in local]


def is_open(target: Place | ServiceOffer, at: datetime.datetime) -> bool:
    """Whether a place (its general hours) or an offer is open at the aware instant `at`.

    Inside the window this reads the materialised calendar (one indexed query); outside,
    it evaluates the schedule directly, so the answer is right either way.
    """
    place, offer = _split(target)
    lo, hi = window_bounds()
    if lo <= at < hi:
        return (
            _scope(place, offer)
            .filter(start__lte=at, start__gt=at - MAX_ROW_LENGTH, end__gt=at)
            .exists()
        )
    schedule = _schedule(place, offer)
    if schedule is None:
        return False
    day = timezone.localtime(at, place_zone(place)).date()
    return any(s <= at < e for s, e in _direct_open(schedule, place, day - DAY, day + DAY))


def next_opening(target: Place | ServiceOffer, after: datetime.datetime) -> Opening | None:
    """The next time the place (or offer) opens strictly after `after`, and until when.

    If it is open at `after`, that is the opening following the current one. Looks past
    the window by evaluating the schedule, up to about a year ahead.
    """
    place, offer = _split(target)
    lo, hi = window_bounds()
    periods: list[tuple[datetime.datetime, datetime.datetime]] = []
    if lo <= after < hi:
        rows = _scope(place, offer).filter(end__gte=after).order_by("start")
        periods = merge(rows.values_list("start", "end")[:500])
    else:
        hi = after
    for start, end in periods:
        if start > after and end < hi:
            return Opening(start, end, place, offer)
        if start > after:
            break  # reaches the window's end: its true end lies beyond, evaluate directly
    schedule = _schedule(place, offer)
    if schedule is None:
        return None
    moment = max(after, hi - DAY) if periods else after
    first = timezone.localtime(moment, place_zone(place)).date()
    stop = first + datetime.timedelta(days=NEXT_OPENING_HORIZON_DAYS)
    chunk = datetime.timedelta(days=31)
    day = first - DAY
    while day < stop:
        found = merge(_direct_open(schedule, place, day, day + chunk + DAY))
        for start, end in found:
            if start > after:
                return Opening(start, end, place, offer)
        day += chunk
    return None


def _require_inside_window(at: datetime.datetime) -> None:
    lo, hi = window_bounds()
    if not lo <= at < hi:
        window = current_window()
        raise OutsideWindow(
            _(
                "The opening calendar covers %(lo)s to %(hi)s (local dates, end excluded); "
                "%(at)s is outside it."
            )
            % {"lo": window.start.isoformat(), "hi": window.end.isoformat(), "at": at.isoformat()}
        )


def _open_rows(at: datetime.datetime) -> QuerySet:
    """General-hours rows covering `at`; `start` is bounded so the index scan stays short."""
    return OpeningInterval.objects.general_hours().filter(
        kind=OpeningInterval.Kind.OPEN,
        start__lte=at,
        start__gt=at - MAX_ROW_LENGTH,
        end__gt=at,
    )


def open_places(
    at: datetime.datetime, queryset: QuerySet | None = None, *, narrowed: bool = False
) -> QuerySet:
    """Places open at `at` (general hours), as a queryset to combine with other filters.

    By default one uncorrelated subquery on OpeningInterval: a range scan on `start` over
    the rows around `at` of the whole registry, the right plan when the other filters keep
    many places. With `narrowed=True` (the caller has already restricted `queryset` to a
    few places, e.g. a box around a point), a correlated EXISTS probes each of those
    places' rows on `interval_place_start` instead, so the cost follows the number of
    places kept rather than the size of the registry. Raises OutsideWindow when `at` is
    outside the materialised calendar.
    """
    _require_inside_window(at)
    queryset = Place.objects.all() if queryset is None else queryset
    if narrowed:
        return queryset.filter(Exists(_open_here(at)))
    return queryset.filter(pk__in=_open_rows(at).values("place_id"))


def _open_here(at: datetime.datetime) -> QuerySet:
    """The outer place's general-hours rows covering `at`, probed by (place, start)."""
    return OpeningInterval.objects.general_hours().filter(
        place_id=OuterRef("pk"),
        kind=OpeningInterval.Kind.OPEN,
        start__lte=at,
        start__gt=at - MAX_ROW_LENGTH,
        end__gt=at,
    )


def _rows_covering(at: datetime.datetime, kind: str = OpeningInterval.Kind.OPEN) -> QuerySet:
    """Calendar rows of `kind` covering `at`; `start` is bounded so index scans stay short."""
    return OpeningInterval.objects.filter(
        kind=kind, start__lte=at, start__gt=at - MAX_ROW_LENGTH, end__gt=at
    )


class AvailableAt(Func):
    """SQL truth of "this offer can be used at `at`", for a filter on ServiceOffer rows.

    Written as one SQL fragment over the offer's own id and place id rather than four
    composed `Exists` querysets: the ORM spent more time cloning and compiling those
    nested subqueries than the database spent running them (bench/service_time_bench.py,
    docs/benchmarks.md). Table and column names come from `_meta` and every value goes
    through its field's `get_db_prep_value`, as in `open_place_distances`.
    """

    output_field = BooleanField()

    def __init__(self, at: datetime.datetime):
        super().__init__(F("pk"), F("place_id"))
        self.at = at

    def as_sql(self, compiler, connection, **extra):
        offer, offer_params = compiler.compile(self.source_expressions[0])
        place, place_params = compiler.compile(self.source_expressions[1])
        q = connection.ops.quote_name
        meta = OpeningInterval._meta

        def col(name: str) -> str:
            return "i." + q(meta.get_field(name).column)

        table = q(meta.db_table)
        bounds = [
            meta.get_field("start").get_db_prep_value(self.at - MAX_ROW_LENGTH, connection),
            meta.get_field("start").get_db_prep_value(self.at, connection),
            meta.get_field("end").get_db_prep_value(self.at, connection),
        ]
        covering = f"{col('start')} > %s AND {col('start')} <= %s AND {col('end')} > %s"
        # `offer_id + 0 IS NULL`: the place's general hours, through no index (see
        # OpeningIntervalQuerySet.general_hours).
        general = f"({col('offer')} + 0) IS NULL"
        own_open = (
            f"EXISTS (SELECT 1 FROM {table} i WHERE {col('offer')} = {offer}"
            f" AND {col('kind')} = %s AND {covering})"
        )
        place_rows = f"SELECT 1 FROM {table} i WHERE {col('place')} = {place} AND {general}"
        place_closed = f"EXISTS ({place_rows} AND {col('kind')} = %s AND {covering})"
        place_open = f"EXISTS ({place_rows} AND {col('kind')} = %s AND {covering})"
        schedule = Schedule._meta
        has_own = (
            f"EXISTS (SELECT 1 FROM {q(schedule.db_table)} s"
            f" WHERE s.{q(schedule.get_field('offer').column)} = {offer})"
        )
        # Own rows exist only for an offer with a schedule, so that branch needs no test
        # of the schedule; the place's hours count only for an offer without one.
        sql = f"(({own_open} AND NOT {place_closed}) OR ({place_open} AND NOT {has_own}))"
        open_kind, closed_kind = OpeningInterval.Kind.OPEN.value, OpeningInterval.Kind.CLOSED.value
        params = [
            *offer_params, open_kind, *bounds,
            *place_params, closed_kind, *bounds,
            *place_params, open_kind, *bounds,
            *offer_params,
        ]  # fmt: skip
        return sql, params


def offers_open_at(at: datetime.datetime, offers: QuerySet[ServiceOffer]) -> QuerySet[ServiceOffer]:
    """The offers of `offers` that a resident can use at the instant `at`.

    An offer with its own schedule is available in its own calendar rows (its slots,
    its exceptions, its public-holiday rule), unless the place itself is closed by an
    exception then (a closed building closes the desks inside it); an offer without a
    schedule follows the place's general hours. Whether the offer is live that day
    (active, suspension over) is the caller's filter (`services.selectors.available_offers`).

    Correlated EXISTS per offer, each an indexed probe: its rows on (offer, start), the
    place's rows on (place, start), the offer's schedule (its unique key); see
    AvailableAt. Raises OutsideWindow when `at` is outside the materialised calendar.
    """
    _require_inside_window(at)
    return offers.filter(AvailableAt(at))


def places_offering_at(
    at: datetime.datetime, queryset: QuerySet, offers: QuerySet[ServiceOffer]
) -> QuerySet:
    """Places of `queryset` where one of `offers` is available at `at` (see offers_open_at).

    The need-and-time question ("CAF help, Thursday 15:00"): the place's own hours do
    not answer it, the matched service's do. Correlated per place, so the cost follows
    the places the other filters keep.
    """
    available = offers_open_at(at, offers.filter(place_id=OuterRef("pk")))
    return queryset.filter(Exists(available))


def next_availability(
    after: datetime.datetime,
    *,
    offers: list[ServiceOffer] = (),
    places: list[Place] = (),
    horizon: datetime.timedelta = datetime.timedelta(days=14),
) -> dict:
    """When each offer (and each place, by its general hours) is next available after
    `after`, within `horizon` and the materialised window: {("offer", id) or ("place",
    id): start}. Offers without a schedule follow their place. Two queries: which offers
    keep hours of their own, then the rows in one ordered range read.
    """
    own = set(
        Schedule.objects.filter(offer_id__in=[o.pk for o in offers]).values_list(
            "offer_id", flat=True
        )
    )
    place_ids = {p.pk for p in places} | {o.place_id for o in offers if o.pk not in own}
    if not own and not place_ids:
        return {}
    rows = (
        OpeningInterval.objects.filter(
            Q(offer_id__in=own) | Q(place_id__in=place_ids, offer__isnull=True),
            kind=OpeningInterval.Kind.OPEN,
            end__gt=after,
            start__lt=after + horizon,
        )
        .order_by("start")
        .values_list("place_id", "offer_id", "start")
    )
    first_row: dict[tuple[str, int], datetime.datetime] = {}
    for place_id, offer_id, start in rows:
        key = ("offer", offer_id) if offer_id is not None else ("place", place_id)
        first_row.setdefault(key, max(start, after))
    out = {
        ("place", p.pk): first_row[("place", p.pk)] for p in places if ("place", p.pk) in first_row
    }
    for offer in offers:
        key = ("offer", offer.pk) if offer.pk in own else ("place", offer.place_id)
        if key in first_row:
            out[("offer", offer.pk)] = first_row[key]
    return out


def open_place_distances(
    at: datetime.datetime, latitude: float, longitude: float, radius_km: float
) -> list[tuple[int, float]]:
    """(place id, distance in km) of the places open at `at` (general hours) within
    `radius_km` of a point, nearest first (ties by id).

    The hot path of "what is open near me", written as one SQL statement rather than
    composed with the ORM: building and compiling the equivalent queryset cost twice
    what the database spends on it (docs/decisions/0009-open-near-sql.md). The statement
    reads the latitude/longitude box around the circle on `place_lat_lon`, probes each
    boxed place's calendar rows around `at` on `interval_place_start` (bounded by the
    longest row, general hours only), and says in the same round trip whether the
    calendar window covers `at`. The exact great-circle distance is then computed on
    the few places found. Raises OutsideWindow when `at` is outside the window.
    """
    latitude, longitude, radius_km = float(latitude), float(longitude), float(radius_km)
    min_lat, max_lat, min_lon, max_lon = bounding_box(latitude, longitude, radius_km)
    sql, params = _open_near_statement(at, min_lat, max_lat, min_lon, max_lon)
    for attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if rows and all(covered for *_ignored, covered in rows):
            break
        # Nothing found, or the window did not cover `at` when the statement read it:
        # ask the window itself (raises when outside; creates the row on first use).
        _require_inside_window(at)
        if not rows or attempt:
            break
        # The window covered `at` only after the statement's read (a roll finishing):
        # read again so the rows and the window agree.
    found = []
    for pk, place_lat, place_lon, _covered in rows:
        distance = haversine_km(latitude, longitude, float(place_lat), float(place_lon))
        if distance <= radius_km:
            found.append((distance, pk))
    found.sort()
    return [(pk, distance) for distance, pk in found]


def _open_near_statement(
    at: datetime.datetime,
    min_lat: float,
    max_lat: float,
    min_lon: float | None,
    max_lon: float | None,
) -> tuple[str, list]:
    """The SQL of open_place_distances, with its parameters prepared as the ORM would."""
    q = connection.ops.quote_name
    place, interval = Place._meta, OpeningInterval._meta

    def column(meta, name: str) -> str:
        return q(meta.get_field(name).column)

    def value(meta, name: str, raw):
        return meta.get_field(name).get_db_prep_value(raw, connection)

    window = CalendarWindow._meta
    day = timezone.localtime(at, local_zone()).date()
    lat, lon = column(place, "latitude"), column(place, "longitude")
    where = [f"p.{lat} >= %s", f"p.{lat} <= %s"]
    params = [
        value(window, "start", day),
        value(window, "end", day),
        value(place, "latitude", min_lat),
        value(place, "latitude", max_lat),
    ]
    if min_lon is not None:
        where += [f"p.{lon} >= %s", f"p.{lon} <= %s"]
        params += [value(place, "longitude", min_lon), value(place, "longitude", max_lon)]
    start, end = column(interval, "start"), column(interval, "end")
    # `offer_id + 0 IS NULL`: general hours, through no index (see general_hours()).
    where.append(
        f"EXISTS (SELECT 1 FROM {q(interval.db_table)} i"
        f" WHERE i.{column(interval, 'place')} = p.{column(place, 'id')}"
        f" AND i.{start} > %s AND i.{start} <= %s AND i.{end} > %s"
        f" AND i.{column(interval, 'kind')} = %s AND (i.{column(interval, 'offer')} + 0) IS NULL)"
    )
    params += [
        value(interval, "start", at - MAX_ROW_LENGTH),
        value(interval, "start", at),
        value(interval, "end", at),
        OpeningInterval.Kind.OPEN.value,
    ]
    sql = (
        f"SELECT p.{column(place, 'id')}, p.{lat}, p.{lon}, w.{column(window, 'id')} IS NOT NULL"
        f" FROM {q(place.db_table)} p"
        f" LEFT JOIN {q(window.db_table)} w ON w.{column(window, 'id')} = 1"
        f" AND w.{column(window, 'start')} <= %s AND w.{column(window, 'end')} > %s"
        f" WHERE {' AND '.join(where)}"
    )
    return sql, params


def open_places_near(
    at: datetime.datetime,
    latitude: float,
    longitude: float,
    radius_km: float,
    queryset: QuerySet | None = None,
) -> list[Place]:
    """Places open at `at` (general hours) within `radius_km` of a point, nearest first.

    `open_place_distances` finds them in one statement; they are then loaded from
    `queryset` (default: all places), which may narrow them (e.g. published ones) or
    choose what is loaded for display (`only`, `select_related`). Each place returned
    has `distance_km`. Raises OutsideWindow when `at` is outside the calendar window.
    """
    found = open_place_distances(at, latitude, longitude, radius_km)
    queryset = Place.objects.all() if queryset is None else queryset
    loaded = queryset.in_bulk([pk for pk, _distance in found]) if found else {}
    places = []
    for pk, distance in found:
        place = loaded.get(pk)
        if place is not None:
            place.distance_km = distance
            places.append(place)
    return places


# -- wording ------------------------------------------------------------------------------


def day_names() -> list[str]:
    """Monday to Sunday, in the active language (index = Python weekday)."""
    return [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]


def format_time(minutes: int) -> str:
    """French-style hours: 9 h, 9 h 30 (also used by the English wording)."""
    if minutes != 1440:  # "24 h" closes the day; any later time is the next morning's
        minutes %= 1440
    hours, rest = divmod(minutes, 60)
    if rest:
        return _("%(h)s h %(m)02d") % {"h": hours, "m": rest}
    return _("%(h)s h") % {"h": hours}


def format_range(time_range) -> str:
    return _("%(start)s – %(end)s") % {
        "start": format_time(time_range.start),
        "end": format_time(time_range.end if time_range.end <= 1440 else time_range.end - 1440),
    }


def rule_qualifiers(rule) -> list[str]:
    """What a rule adds to its days and hours, in words: every N weeks, which weekdays of
    the month, a yearly period, a school-holiday season. Shared by the timetable and the
    schedule editor's preview."""
    out = []
    if rule.kind == "every_n_weeks" and rule.interval > 1:
        out.append(
            ngettext("every week", "every %(n)s weeks", rule.interval) % {"n": rule.interval}
        )
    if rule.kind == "nth_weekday":
        names = {
            1: _("1st"),
            2: _("2nd"),
            3: _("3rd"),
            4: _("4th"),
            5: _("5th"),
            -1: _("last"),
            -2: _("second to last"),
        }
        which = _(" and ").join(names.get(n, str(n)) for n in rule.nth)
        out.append(_("%(which)s of the month") % {"which": which})
    if rule.yearly_from:
        out.append(
            _("from %(a)s to %(b)s")
            % {
                "a": datetime.date(2000, *rule.yearly_from).strftime("%d/%m"),
                "b": datetime.date(2000, *rule.yearly_to).strftime("%d/%m"),
            }
        )
    if rule.season == "school_holidays":
        out.append(_("during school holidays"))
    elif rule.season == "outside_school_holidays":
        out.append(_("outside school holidays"))
    return out


def week_timetable(target: Place | ServiceOffer, today: datetime.date | None = None) -> dict:
    """The usual week, day by day, in the reader's language.

    Returns {"days": [{"weekday": 0, "name": "Monday", "lines": ["Monday 9 h – 12 h"]}],
    "notes": ["closed on public holidays"], "mode": "rules" | "osm" | None}. Rules valid
    today or later are listed; an OSM-text schedule is read from its next seven days.
    """
    place, offer = _split(target)
    today = today or timezone.localdate()
    names = day_names()
    days = [{"weekday": i, "name": names[i], "lines": []} for i in range(7)]
    schedule = _schedule(place, offer)
    if schedule is None:
        return {"days": days, "notes": [], "mode": None}
    notes = []
    if schedule.mode == Schedule.Mode.RULES:
        for rule in rules_from_data(schedule.rules):
            if rule.kind == "dates" or (rule.valid_to and rule.valid_to < today):
                continue
            ranges = ", ".join(format_range(t) for t in rule.times)
            extra = ", ".join(rule_qualifiers(rule))
            for weekday in rule.days:
                line = _("%(day)s %(ranges)s") % {"day": names[weekday], "ranges": ranges}
                if extra:
                    line = _("%(line)s, %(qualifiers)s") % {"line": line, "qualifiers": extra}
                days[weekday]["lines"].append(line)
        if schedule.public_holidays == "closed":
            notes.append(_("closed on public holidays"))
        elif schedule.public_holidays == "special":
            notes.append(
                _("on public holidays: %(ranges)s")
                % {
                    "ranges": ", ".join(
                        format_range(t) for t in ruleset_for(schedule, place).holiday_times
                    )
                }  # fmt: skip
            )
    else:
        tz = place_zone(place)
        for start, end in _direct_open(schedule, place, today, today + 7 * DAY):
            local_start, local_end = start.astimezone(tz), end.astimezone(tz)
            weekday = local_start.weekday()
            minutes = lambda d: d.hour * 60 + d.minute  # noqa: E731
            text = _("%(start)s – %(end)s") % {
                "start": format_time(minutes(local_start)),
                "end": format_time(minutes(local_end) or 1440),
            }
            days[weekday]["lines"].append(
                _("%(day)s %(ranges)s") % {"day": names[weekday], "ranges": text}
            )
    return {"days": days, "notes": notes, "mode": schedule.mode}


def upcoming_exceptions(
    target: Place | ServiceOffer, today: datetime.date | None = None
) -> QuerySet:
    """Closures, extra openings and events not over yet, soonest first."""
    place, offer = _split(target)
    today = today or timezone.localdate()
    lookup = {"schedule__offer": offer} if offer else {"schedule__place": place}
    return ScheduleException.objects.filter(end_date__gte=today, **lookup).order_by(
        "start_date", "start_time", "id"
    )


# -- a place's calendar over a span: the API's calendar and the place page's agenda ----------


def calendar_rows(place: Place, start: datetime.datetime, end: datetime.datetime) -> QuerySet:
    """The place's calendar rows (its own and its offers', every kind) overlapping
    [start, end), by (start, id): one range read on the `interval_place_start` index, as
    no row is longer than MAX_ROW_LENGTH. The API's calendar and scheduling.agenda read it."""
    return OpeningInterval.objects.filter(
        place_id=place.pk,
        start__gt=start - MAX_ROW_LENGTH,
        start__lt=end,
        end__gt=start,
    ).order_by("start", "pk")


@dataclass(frozen=True)
class OfferCalendar:
    offer: ServiceOffer
    intervals: list[OpeningInterval]


@dataclass(frozen=True)
class PlaceCalendar:
    """A place's calendar rows over a span: its own, then each offer's (by offer id)."""

    intervals: list[OpeningInterval]
    offers: list[OfferCalendar]


def place_calendar(place: Place, start: datetime.datetime, end: datetime.datetime) -> PlaceCalendar:
    """The place's rows and each of its offers' overlapping [start, end), grouped; one query.
    Only the materialised window has rows: callers check the span lies inside it."""
    general: list[OpeningInterval] = []
    offers: dict[int, OfferCalendar] = {}
    for row in calendar_rows(place, start, end).select_related("offer__kind", "offer__provider"):
        if row.offer_id is None:
            general.append(row)
        else:
            offers.setdefault(row.offer_id, OfferCalendar(row.offer, [])).intervals.append(row)
    return PlaceCalendar(general, [offers[pk] for pk in sorted(offers)])
