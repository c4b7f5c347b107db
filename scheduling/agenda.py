"""A place's coming days with their dates: its hours and those of each of its services.

`place_agenda(place, offers, at)` answers the place page ("Tuesday 9 December: 9 h – 12 h",
"Thursday 25 December: closed, public holiday (Christmas Day)", "closed now — opens Tuesday
at 9 h") in three queries whatever the number of services: the calendar window, which of
the place and its offers have hours, and the place's calendar rows over the coming days
(its own and its offers', scheduling.selectors.calendar_rows, the read of the API's
calendar too). It reads only the materialised calendar, as the status of search results
does, so the two always agree.
Public holidays are not calendar rows (a day closed for one simply has no opening), so
they are named here from `scheduling.calendars`.
"""

from __future__ import annotations

import dataclasses
import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from places.timezones import place_zone
from scheduling.calendars import department_of, public_holiday_name
from scheduling.materialise import MAX_ROW_LENGTH, local_zone
from scheduling.models import OpeningInterval, Schedule
from scheduling.rules import DAY
from scheduling.selectors import OutsideWindow, calendar_rows, format_time, window_bounds
from scheduling.status import PlaceStatus, weekday_in_sentence

AGENDA_DAYS = 14


def agenda_zone(place) -> zoneinfo.ZoneInfo:
    """The time zone in which the place's days and hours are told: the place's own
    (places.timezones). Every date and hour of the agenda and of a visit's .ics goes
    through it.
    """
    return place_zone(place)


def _minutes(moment: datetime.datetime) -> int:
    return moment.hour * 60 + moment.minute


@dataclass(frozen=True)
class Slot:
    """One dated piece of the calendar, in the place's local time."""

    start: datetime.datetime
    end: datetime.datetime
    comment: str = ""

    @property
    def whole_day(self) -> bool:
        return _minutes(self.start) == 0 and self.end - self.start >= datetime.timedelta(hours=23)

    @property
    def text(self) -> str:
        """ "9 h – 12 h" ("24 h" when it runs to midnight)."""
        end = _minutes(self.end) or 1440
        return _("%(start)s – %(end)s") % {
            "start": format_time(_minutes(self.start)),
            "end": format_time(end),
        }

    @property
    def time_param(self) -> str:
        """The start as HH:MM, to ask for this slot's .ics."""
        return self.start.strftime("%H:%M")


@dataclass
class AgendaDay:
    date: datetime.date
    is_today: bool
    holiday: str = ""  # the public holiday's name, when the day is one
    opens: list[Slot] = field(default_factory=list)
    closures: list[Slot] = field(default_factory=list)
    events: list[Slot] = field(default_factory=list)

    @property
    def closed_all_day(self) -> Slot | None:
        return next((c for c in self.closures if c.whole_day), None)

    @property
    def closure_reason(self) -> str:
        """Why the day has no opening, in words ("" when it is simply not an opening day)."""
        if self.opens:
            return ""
        whole = self.closed_all_day
        if whole is not None and whole.comment:
            return whole.comment
        if self.holiday:
            return _("public holiday (%(name)s)") % {"name": self.holiday}
        return ""

    @property
    def partial_closures(self) -> list[Slot]:
        return [c for c in self.closures if not c.whole_day]


@dataclass
class Agenda:
    """The coming days of a place's own hours, or of one offer with its own schedule."""

    status: PlaceStatus
    days: list[AgendaDay]
    has_hours: bool
    zone: zoneinfo.ZoneInfo = field(default_factory=local_zone)

    @property
    def now_text(self) -> str:
        return now_text(self.status, self.zone)


@dataclass
class PlaceAgenda:
    place: Agenda
    offers: dict[int, Agenda]  # offers with a schedule of their own, by id

    def for_offer(self, offer) -> Agenda | None:
        """The offer's own agenda, or None when it follows the place's hours."""
        return self.offers.get(offer.pk)


def now_text(status: PlaceStatus, zone: zoneinfo.ZoneInfo | None = None) -> str:
    """ "open now until 12 h", "closed now — opens Tuesday at 9 h", "closed now: inventory
    — opens tomorrow at 9 h": where things stand at the status's instant, in words."""
    zone = zone or local_zone()
    if status.state == PlaceStatus.UNKNOWN:
        return status.text
    if status.state == PlaceStatus.OPEN:
        if status.until is None:
            return _("open now")
        until = status.until.astimezone(zone)
        values = {
            "time": format_time(_minutes(until) or 1440),
            "day": weekday_in_sentence(until.date().weekday()),
        }
        today = status.at.astimezone(zone).date()
        if until.date() == today or (_minutes(until) == 0 and until.date() == today + DAY):
            return _("open now until %(time)s") % values
        if until.date() == today + DAY:
            return _("open now until tomorrow at %(time)s") % values
        return _("open now until %(day)s at %(time)s") % values
    if status.state == PlaceStatus.CLOSED_EXCEPTIONALLY and status.reason:
        head = _("closed now: %(reason)s") % {"reason": status.reason}
    else:
        head = _("closed now")
    if status.next_text:
        return _("%(now)s — %(next)s") % {"now": head, "next": status.next_text}
    return head


def _merge(periods):
    out: list[list[datetime.datetime]] = []
    for start, end in sorted(periods):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out


def _status(rows, at, horizon_end, has_hours) -> PlaceStatus:
    """As scheduling.status.statuses_for, from rows already read (kind, start, end, comment)."""
    if not has_hours:
        return PlaceStatus(PlaceStatus.UNKNOWN, at)
    periods = _merge((s, e) for kind, s, e, _c in rows if kind == OpeningInterval.Kind.OPEN)
    closure = next(
        (c for kind, s, e, c in rows if kind == OpeningInterval.Kind.CLOSED and s <= at < e),
        None,
    )
    current = next((p for p in periods if p[0] <= at < p[1]), None)
    upcoming = next((p[0] for p in periods if p[0] > at), None)
    if closure is not None:
        return PlaceStatus(
            PlaceStatus.CLOSED_EXCEPTIONALLY, at, next_opening=upcoming, reason=closure
        )
    if current is not None:
        # An opening running to the end of what was read has no end we can state.
        ends = current[1] if current[1] < horizon_end - MAX_ROW_LENGTH else None
        return PlaceStatus(PlaceStatus.OPEN, at, until=ends)
    return PlaceStatus(PlaceStatus.CLOSED, at, next_opening=upcoming)


def _days(rows, first: datetime.date, count: int, today, department, zone) -> list[AgendaDay]:
    days = [
        AgendaDay(
            date=first + k * DAY,
            is_today=first + k * DAY == today,
            holiday=public_holiday_name(first + k * DAY, department),
        )
        for k in range(count)
    ]
    for kind, start, end, comment in rows:
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        index = (local_start.date() - first).days
        if not 0 <= index < count:
            continue
        slot = Slot(local_start, local_end, comment)
        day = days[index]
        if kind == OpeningInterval.Kind.OPEN:
            day.opens.append(slot)
        elif kind == OpeningInterval.Kind.CLOSED:
            day.closures.append(slot)
        else:
            day.events.append(slot)
    return days


def place_agenda(
    place, offers: Iterable, at: datetime.datetime, days: int = AGENDA_DAYS
) -> PlaceAgenda:
    """The next `days` local days from `at` (today included) for the place and each of
    `offers` that has a schedule of its own, with the status of each at `at`; three queries.

    Offers without a schedule follow the place's hours (`for_offer` answers None). Days
    outside the materialised window have no slot; the statuses then say "not known".
    """
    zone = agenda_zone(place)
    offer_ids = [o.pk for o in offers]
    lo, hi = window_bounds()  # query 1
    scheduled = set(  # query 2: which of the place and its offers have hours
        Schedule.objects.filter(Q(place_id=place.pk) | Q(offer_id__in=offer_ids)).values_list(
            "place_id", "offer_id"
        )
    )
    has_place_hours = any(place_id == place.pk for place_id, _offer in scheduled)
    own = {offer_id for _place, offer_id in scheduled if offer_id is not None}
    today = at.astimezone(zone).date()
    horizon_end = datetime.datetime.combine(today + days * DAY, datetime.time(), zone)
    # query 3: the place's rows (its own and its offers') over its local days from today to
    # the last one, the opening running at `at` among them: the API's calendar's read.
    day_start = datetime.datetime.combine(today, datetime.time(), zone)
    rows = calendar_rows(place, day_start, horizon_end).values_list(
        "offer_id", "kind", "start", "end", "comment"
    )
    by_target: dict[int | None, list] = {None: []}
    for offer_id, kind, start, end, comment in rows:
        if offer_id is None or offer_id in own:
            by_target.setdefault(offer_id, []).append((kind, start, end, comment))
    department = department_of(place)
    inside = lo <= at < hi

    def agenda(target_rows, has_hours) -> Agenda:
        status = (
            _status(target_rows, at, horizon_end, has_hours)
            if inside
            else PlaceStatus(PlaceStatus.UNKNOWN, at)
        )
        status = dataclasses.replace(status, zone=zone.key)  # its words in the place's clock
        return Agenda(
            status=status,
            days=_days(target_rows, today, days, today, department, zone),
            has_hours=has_hours,
            zone=zone,
        )

    return PlaceAgenda(
        place=agenda(by_target[None], has_place_hours),
        offers={pk: agenda(by_target.get(pk, []), True) for pk in offer_ids if pk in own},
    )


def visit_openings(
    place, offer, day: datetime.date, start: datetime.time | None = None
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The openings on one local day of an offer (its own slots, or the place's hours when
    it has none) or of the place (`offer` None), as aware local (start, end); only the one
    starting at `start` when given. Raises OutsideWindow for a day outside the calendar."""
    zone = agenda_zone(place)
    lo, hi = window_bounds()
    first = datetime.datetime.combine(day, datetime.time(), zone)
    if not (lo <= first <= hi - DAY):  # not `first + DAY`: it overflows on 9999-12-31
        raise OutsideWindow(
            _("Dated hours are known from %(lo)s to %(hi)s.")
            % {
                "lo": lo.astimezone(zone).date().isoformat(),
                "hi": (hi.astimezone(zone).date() - DAY).isoformat(),
            }
        )
    rows = OpeningInterval.objects.filter(
        place_id=place.pk,
        kind=OpeningInterval.Kind.OPEN,
        start__gte=first,
        start__lt=first + DAY,
    )
    if offer is not None and Schedule.objects.filter(offer_id=offer.pk).exists():
        rows = rows.filter(offer_id=offer.pk)
    else:
        rows = rows.general_hours()
    found = [
        (s.astimezone(zone), e.astimezone(zone))
        for s, e in rows.order_by("start").values_list("start", "end")
    ]
    if start is not None:
        found = [(s, e) for s, e in found if s.time() == start]
    return found
