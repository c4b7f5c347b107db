"""Today's status of many places in words ("open until 17 h", "opens Tuesday at 9 h").

`statuses_for(places, at)` answers for a whole page of results in three queries whatever
its length: the calendar window, the place-level calendar rows around `at`, and which of
the places have opening hours at all. It reads only the materialised calendar, so it is
exact inside the window and says "unknown" outside it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from places.models import Place
from places.timezones import zone, zone_name_of
from scheduling.materialise import MAX_ROW_LENGTH, local_zone
from scheduling.models import OpeningInterval, Schedule
from scheduling.selectors import format_time, window_bounds

# How far ahead "opens Tuesday at 9 h" looks: a week and a day covers every weekly rule.
LOOK_AHEAD = datetime.timedelta(days=8)


def clock() -> datetime.datetime:
    """The current instant; the one place tests patch to freeze "now"."""
    return timezone.now()


def weekday_in_sentence(index: int) -> str:
    # Weekday names as they appear inside a sentence ("opens Tuesday at 9 h").
    return [
        pgettext("in a sentence", "Monday"),
        pgettext("in a sentence", "Tuesday"),
        pgettext("in a sentence", "Wednesday"),
        pgettext("in a sentence", "Thursday"),
        pgettext("in a sentence", "Friday"),
        pgettext("in a sentence", "Saturday"),
        pgettext("in a sentence", "Sunday"),
    ][index]


def _clock_time(moment: datetime.datetime, tz=None) -> str:
    local = timezone.localtime(moment, tz or local_zone())
    minutes = local.hour * 60 + local.minute
    return format_time(minutes)


@dataclass(frozen=True)
class PlaceStatus:
    """Where a place stands at `at`; `text` says it in the reader's language."""

    OPEN = "open"
    CLOSED = "closed"
    CLOSED_EXCEPTIONALLY = "closed_exceptionally"
    UNKNOWN = "unknown"

    state: str
    at: datetime.datetime
    until: datetime.datetime | None = None  # end of the current opening (when open)
    next_opening: datetime.datetime | None = None  # when closed, the next opening ahead
    reason: str = ""  # the closure's reason residents read
    zone: str = ""  # the place's IANA zone, which the wording's days and times are in

    @property
    def tz(self):
        return zone(self.zone) if self.zone else local_zone()

    @property
    def is_open(self) -> bool:
        return self.state == self.OPEN

    def _when(self, moment: datetime.datetime) -> tuple[str, dict]:
        tz = self.tz
        day = timezone.localtime(moment, tz).date()
        today = timezone.localtime(self.at, tz).date()
        values = {"time": _clock_time(moment, tz), "day": weekday_in_sentence(day.weekday())}
        if day == today:
            return "today", values
        if day == today + datetime.timedelta(days=1):
            return "tomorrow", values
        return "day", values

    @property
    def next_text(self) -> str:
        """ "opens Tuesday at 9 h", or "" when no opening is known in the coming week."""
        if self.next_opening is None:
            return ""
        which, values = self._when(self.next_opening)
        if which == "today":
            return _("opens today at %(time)s") % values
        if which == "tomorrow":
            return _("opens tomorrow at %(time)s") % values
        return _("opens %(day)s at %(time)s") % values

    @property
    def text(self) -> str:
        """The status in words, never a colour: "open until 17 h", "closed"..."""
        if self.state == self.OPEN:
            if self.until is None:
                return _("open")
            which, values = self._when(self.until)
            if which == "today":
                return _("open until %(time)s") % values
            if which == "tomorrow":
                return _("open until tomorrow %(time)s") % values
            return _("open until %(day)s %(time)s") % values
        if self.state == self.CLOSED_EXCEPTIONALLY:
            if self.reason:
                return _("closed exceptionally: %(reason)s") % {"reason": self.reason}
            return _("closed exceptionally")
        if self.state == self.UNKNOWN:
            return _("opening hours not known")
        return self.next_text or _("closed")

    @property
    def full_text(self) -> str:
        """`text`, followed by the next opening when the place is closed by exception."""
        if self.state == self.CLOSED_EXCEPTIONALLY and self.next_opening is not None:
            return _("%(status)s, %(next)s") % {"status": self.text, "next": self.next_text}
        return self.text


def _merge(periods: list[tuple[datetime.datetime, datetime.datetime]]):
    """Join rows cut at local midnight back into continuous openings."""
    out: list[list[datetime.datetime]] = []
    for start, end in periods:
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return out


def statuses_for(places: Iterable, at: datetime.datetime | None = None) -> dict:
    """{place id: PlaceStatus} at the aware instant `at` (default: now), in three queries.

    `places` may be Place objects or ids. Only the place's general hours count (not the
    hours of its services). Outside the materialised window every status is "unknown".
    """
    at = at or clock()
    ids = [getattr(p, "pk", p) for p in places]
    if not ids:
        return {}
    lo, hi = window_bounds()  # query 1: the window row
    if not lo <= at < hi:
        return {pk: PlaceStatus(PlaceStatus.UNKNOWN, at) for pk in ids}
    # query 2: the rows of these places around `at`. Only (place, start) is asked of the
    # database so that it ranges over the `interval_place_start` index for each place;
    # with "offer IS NULL" in the query SQLite prefers the (offer, start) index, which
    # spans every place of the registry. Offer rows are dropped here.
    rows = (
        OpeningInterval.objects.filter(
            place_id__in=ids, start__gt=at - MAX_ROW_LENGTH, start__lt=at + LOOK_AHEAD
        )
        .order_by("place_id", "start")
        .values_list("place_id", "offer_id", "start", "end", "kind", "comment")
    )
    opens: dict[int, list] = {}
    closures: dict[int, str] = {}
    for place_id, offer_id, start, end, kind, comment in rows:
        if offer_id is not None or kind == OpeningInterval.Kind.EVENT:
            continue
        if kind == OpeningInterval.Kind.OPEN:
            opens.setdefault(place_id, []).append((start, end))
        elif start <= at < end:
            closures[place_id] = comment
    # query 3: which places have hours at all ("closed" and "not known" differ), and the
    # zone their hours are said in (the place's own, else its department's), which the
    # hours of their services are said in too
    zones, scheduled = {}, set()
    for place_id, time_zone, insee_code, postcode, has_hours in (
        Place.objects.filter(pk__in=ids)
        .annotate(has_hours=Exists(Schedule.objects.filter(place_id=OuterRef("pk"))))
        .values_list("pk", "time_zone", "insee_code", "postcode", "has_hours")
    ):
        zones[place_id] = zone_name_of(time_zone, insee_code, postcode)
        if has_hours:
            scheduled.add(place_id)
    out = {}
    for pk in ids:
        tz_name = zones.get(pk, "")
        periods = _merge(opens.get(pk, []))
        current = next((p for p in periods if p[0] <= at < p[1]), None)
        upcoming = next((p[0] for p in periods if p[0] > at), None)
        if pk not in scheduled:
            out[pk] = PlaceStatus(PlaceStatus.UNKNOWN, at, zone=tz_name)
        elif pk in closures:
            out[pk] = PlaceStatus(
                PlaceStatus.CLOSED_EXCEPTIONALLY,
                at,
                next_opening=upcoming,
                reason=closures[pk],
                zone=tz_name,
            )
        elif current is not None:
            # An opening running past the look-ahead has no end we can state.
            ends = current[1] if current[1] < at + LOOK_AHEAD - MAX_ROW_LENGTH else None
            out[pk] = PlaceStatus(PlaceStatus.OPEN, at, until=ends, zone=tz_name)
        else:
            out[pk] = PlaceStatus(PlaceStatus.CLOSED, at, next_opening=upcoming, zone=tz_name)
    return out


def status_of(place, at: datetime.datetime | None = None) -> PlaceStatus:
    """The status of one place (see statuses_for)."""
    return statuses_for([place], at)[place.pk]


def offer_statuses_for(
    offers: Iterable, at: datetime.datetime | None = None, *, place_statuses: dict | None = None
) -> dict:
    """{offer id: PlaceStatus} at `at` for service offers (loaded, with `place_id`).

    What a resident reads next to the service they asked for ("CAF: opens Tuesday at
    9 h"): an offer with its own schedule is read from its own calendar rows, and closed
    while its place is closed by exception; an offer without one follows its place.
    Suspended offers read "suspended until ..." and ended ones "no longer offered".
    For a whole page: which offers have a schedule and, if some do, the window and their
    rows around `at`; plus the three queries of `statuses_for` unless the caller passes
    `place_statuses`.
    """
    at = at or clock()
    offers = list(offers)
    if not offers:
        return {}
    places = place_statuses or {}
    missing = {o.place_id for o in offers} - set(places)
    if missing:
        places = {**places, **statuses_for(missing, at)}
    ids = [o.pk for o in offers]
    own = set(Schedule.objects.filter(offer_id__in=ids).values_list("offer_id", flat=True))
    opens: dict[int, list] = {}
    # The window and the rows only when some offer keeps hours of its own.
    lo, hi = window_bounds() if own else (at, at)
    if own and lo <= at < hi:
        rows = (
            OpeningInterval.objects.filter(
                offer_id__in=own,
                kind=OpeningInterval.Kind.OPEN,
                start__gt=at - MAX_ROW_LENGTH,
                start__lt=at + LOOK_AHEAD,
            )
            .order_by("offer_id", "start")
            .values_list("offer_id", "start", "end")
        )
        for offer_id, start, end in rows:
            opens.setdefault(offer_id, []).append((start, end))
    out = {}
    for offer in offers:
        place = places[offer.place_id]
        day = timezone.localtime(at, place.tz).date()  # the place's date at `at`
        if offer.status == "ended":
            out[offer.pk] = PlaceStatus(
                PlaceStatus.CLOSED_EXCEPTIONALLY, at, reason=_("no longer offered")
            )
            continue
        if offer.status == "suspended" and offer.suspended_until and offer.suspended_until >= day:
            from django.utils.formats import date_format

            reason = _("suspended until %(date)s") % {
                "date": date_format(offer.suspended_until, "DATE_FORMAT")
            }
            out[offer.pk] = PlaceStatus(PlaceStatus.CLOSED_EXCEPTIONALLY, at, reason=reason)
            continue
        if offer.pk not in own:
            out[offer.pk] = place
            continue
        if not lo <= at < hi:
            out[offer.pk] = PlaceStatus(PlaceStatus.UNKNOWN, at)
            continue
        periods = _merge(opens.get(offer.pk, []))
        current = next((p for p in periods if p[0] <= at < p[1]), None)
        upcoming = next((p[0] for p in periods if p[0] > at), None)
        if place.state == PlaceStatus.CLOSED_EXCEPTIONALLY:
            out[offer.pk] = PlaceStatus(
                PlaceStatus.CLOSED_EXCEPTIONALLY,
                at,
                next_opening=upcoming,
                reason=place.reason,
                zone=place.zone,
            )
        elif current is not None:
            ends = current[1] if current[1] < at + LOOK_AHEAD - MAX_ROW_LENGTH else None
            out[offer.pk] = PlaceStatus(PlaceStatus.OPEN, at, until=ends, zone=place.zone)
        else:
            out[offer.pk] = PlaceStatus(
                PlaceStatus.CLOSED, at, next_opening=upcoming, zone=place.zone
            )
    return out
