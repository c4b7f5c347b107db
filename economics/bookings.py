"""The sharing loop: requests to use a shared space, the managers' decisions, accepted uses.

A person (no account) or an association asks for a space at a time, once or every week
until a date. The request is checked against the space's sharing offer (its times,
capacity and conditions) and the uses already accepted; a refusal says why and proposes
the next free slots of the same length. The place's managers accept, decline with a
reason, or propose another time; accepting writes one `SpaceUse` row per occurrence,
under a lock of the space, so two conflicting acceptances never both succeed. Every step
is recorded in the place's history (target `space-request:<id>`) and emailed after the
transaction commits. See docs/sharing.md and docs/decisions/0029-space-requests.md.

Permission checks belong to the callers (places.access.can_edit_place for decisions,
the signed link for the requester).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import icalendar
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from economics.availability import sharing_ruleset
from economics.models import SharingOffer, Space, SpaceRequest, SpaceUse, Visibility
from places import emails
from places.history import record
from places.models import ChangeRecord, Membership, Place, Role
from places.timezones import place_zone
from scheduling.materialise import to_utc
from scheduling.rules import DAY, merge
from scheduling.school_holidays import SchoolCalendarNotCovered

UTC = datetime.UTC
Interval = tuple[datetime.datetime, datetime.datetime]

MAX_OCCURRENCES = 53  # a weekly series covers at most a year
MAX_SERIES_DAYS = 366
MAX_AHEAD_DAYS = 366  # no request more than a year ahead
ALTERNATIVES = 3
ALTERNATIVE_DAYS = 21  # how far after the requested time free slots are looked for
LINK_SALT = "economics.bookings.request-link"
REQUEST_FIELDS = (
    "start",
    "end",
    "repeat_until",
    "people",
    "purpose",
    "name",
    "email",
    "association",
    "accept_conditions",
)
ACTIVE = (SpaceRequest.Status.PENDING, SpaceRequest.Status.PROPOSED)


class RequestRefused(ValidationError):
    """A request that cannot be made, with free slots of the same length nearby in time."""

    def __init__(self, errors: dict, alternatives: list[Interval]):
        super().__init__(errors)
        self.alternatives = alternatives


@dataclass
class Slot:
    start: datetime.datetime
    end: datetime.datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


# -- signed links -----------------------------------------------------------------------


def request_token(request: SpaceRequest) -> str:
    """The requester's key to their request: signed, no account, no expiry (it names one
    request and only lets its holder read, cancel or take a proposed time)."""
    return signing.Signer(salt=LINK_SALT).sign(str(request.public_id))


def request_from_token(token: str) -> SpaceRequest | None:
    try:
        public_id = uuid.UUID(signing.Signer(salt=LINK_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return (
        SpaceRequest.objects.select_related("space", "space__place", "space__sharing")
        .filter(public_id=public_id)
        .first()
    )


def follow_url(request: SpaceRequest) -> str:
    return emails.absolute_url(reverse("directory:space_request", args=[request_token(request)]))


# -- time ------------------------------------------------------------------------------


def shared_intervals(offer: SharingOffer, lo: datetime.datetime, hi: datetime.datetime):
    """UTC intervals when the offer shares its space, overlapping [lo, hi)."""
    place = offer.space.place
    tz = place_zone(place)
    first = lo.astimezone(tz).date() - DAY
    stop = hi.astimezone(tz).date() + 2 * DAY
    try:
        ruleset = sharing_ruleset(offer.rules, place, holidays_closed=offer.public_holidays_closed)
        local = ruleset.open_local(first, stop)
    except SchoolCalendarNotCovered:
        return []
    return [
        (s, e)
        for s, e in merge([(to_utc(a, tz), to_utc(b, tz)) for a, b in local])
        if e > lo and s < hi
    ]


def uses_between(space_id: int, lo: datetime.datetime, hi: datetime.datetime) -> list[Interval]:
    return list(
        SpaceUse.objects.filter(space_id=space_id, start__lt=hi, end__gt=lo)
        .order_by("start")
        .values_list("start", "end")
    )


def occurrences(
    start: datetime.datetime, end: datetime.datetime, repeat_until: datetime.date | None, tz
) -> list[Interval]:
    """The request's occurrences in UTC: the same local times every week until the date."""
    local_start = start.astimezone(tz).replace(tzinfo=None)
    local_end = end.astimezone(tz).replace(tzinfo=None)
    out = [(start, end)]
    if repeat_until is None:
        return out
    week = 1
    while True:
        s = local_start + datetime.timedelta(weeks=week)
        if s.date() > repeat_until or week > MAX_OCCURRENCES:
            break
        out.append((to_utc(s, tz), to_utc(local_end + datetime.timedelta(weeks=week), tz)))
        week += 1
    return out


def _inside(occurrence: Interval, intervals: Iterable[Interval]) -> bool:
    s, e = occurrence
    return any(a <= s and e <= b for a, b in intervals)


def _overlaps(occurrence: Interval, intervals: Iterable[Interval]) -> bool:
    s, e = occurrence
    return any(a < e and s < b for a, b in intervals)


def _subtract(intervals: list[Interval], holes: list[Interval]) -> list[Interval]:
    out = []
    for a, b in intervals:
        cursor = a
        for h, k in sorted(holes):
            if k <= cursor or h >= b:
                continue
            if h > cursor:
                out.append((cursor, h))
            cursor = max(cursor, k)
        if cursor < b:
            out.append((cursor, b))
    return out


def free_intervals(
    offer: SharingOffer,
    lo: datetime.datetime,
    hi: datetime.datetime,
    uses: list[Interval] | None = None,
):
    """When the space is shared and not taken by an accepted use, within [lo, hi).

    `uses`: the space's accepted uses, when the caller read those of many spaces at once
    (only those overlapping [lo, hi) matter); read here otherwise.
    """
    shared = [(max(a, lo), min(b, hi)) for a, b in shared_intervals(offer, lo, hi)]
    if uses is None:
        uses = uses_between(offer.space_id, lo, hi)
    return _subtract(shared, [(a, b) for a, b in uses if a < hi and b > lo])


def uses_of_spaces(space_ids, lo: datetime.datetime, hi: datetime.datetime) -> dict:
    """The accepted uses overlapping [lo, hi) of several spaces, by space id (one query)."""
    found: dict[int, list[Interval]] = {space_id: [] for space_id in space_ids}
    for space_id, start, end in (
        SpaceUse.objects.filter(space_id__in=list(found), start__lt=hi, end__gt=lo)
        .order_by("start")
        .values_list("space_id", "start", "end")
    ):
        found[space_id].append((start, end))
    return found


def alternatives(
    offer: SharingOffer,
    wanted: Interval,
    *,
    now: datetime.datetime | None = None,
    count: int = ALTERNATIVES,
) -> list[Interval]:
    """The free slots of the wanted length nearest to the wanted time (after now).

    Candidates start at the wanted clock time when the free period allows it, else at the
    start of each free period; the nearest `count` are returned in time order.
    """
    now = now or timezone.now()
    start, end = wanted
    length = end - start
    lo = max(now, start - 7 * DAY)
    hi = start + ALTERNATIVE_DAYS * DAY
    tz = place_zone(offer.space.place)
    wanted_clock = start.astimezone(tz).time()
    candidates = set()
    for a, b in free_intervals(offer, lo, hi):
        if b - a < length:
            continue
        candidates.add(a)
        day = a.astimezone(tz).date()
        same_clock = to_utc(datetime.datetime.combine(day, wanted_clock), tz)
        if a <= same_clock and same_clock + length <= b:
            candidates.add(same_clock)
    nearest = sorted(
        (c for c in candidates if c != start and c >= now), key=lambda c: abs(c - start)
    )[:count]
    return [(c, c + length) for c in sorted(nearest)]


def describe(interval: Interval, tz) -> str:
    s, e = (t.astimezone(tz) for t in interval)
    if s.date() == e.date() or (e - s <= DAY and e.time() == datetime.time()):
        return _("%(day)s, %(start)s–%(end)s") % {
            "day": date_format(s, "l j F Y"),
            "start": time_format(s, "H:i"),
            "end": time_format(e, "H:i"),
        }
    return f"{date_format(s, 'l j F Y H:i')} – {date_format(e, 'l j F Y H:i')}"


# -- checks ----------------------------------------------------------------------------


def offer_for_requests(space, audience: str = "public") -> SharingOffer | None:
    """The space's sharing offer if `audience` may ask for it (active, published place)."""
    offer = SharingOffer.objects.select_related("space__place").filter(space_id=space.pk).first()
    if offer is None or not offer.active or offer.space.place.status != Place.Status.PUBLISHED:
        return None
    allowed = {
        "public": (Visibility.PUBLIC,),
        "partners": (Visibility.PUBLIC, Visibility.PARTNERS),
        "staff": tuple(Visibility.values),
    }[audience]
    if offer.visibility not in allowed:
        return None
    return offer


def _check_times(
    offer: SharingOffer,
    start: datetime.datetime,
    end: datetime.datetime,
    repeat_until: datetime.date | None,
    now: datetime.datetime,
) -> tuple[dict, list[Interval]]:
    """Errors (keyed by field) of a time range or series; the occurrences when none."""
    errors: dict[str, list] = {}
    tz = place_zone(offer.space.place)
    if end <= start:
        errors["end"] = [_("The end must come after the start.")]
        return errors, []
    if start <= now:
        errors["start"] = [_("This time has passed: choose a time in the future.")]
        return errors, []
    if start > now + MAX_AHEAD_DAYS * DAY:
        errors["start"] = [_("Requests are taken at most a year ahead.")]
        return errors, []
    if end - start > DAY:
        errors["end"] = [_("A request covers at most one day; ask for a weekly series instead.")]
        return errors, []
    local_start = start.astimezone(tz)
    if repeat_until is not None:
        if repeat_until <= local_start.date():
            errors["repeat_until"] = [_("The last week must come after the first date.")]
            return errors, []
        if repeat_until > local_start.date() + MAX_SERIES_DAYS * DAY:
            errors["repeat_until"] = [_("A weekly series lasts at most a year.")]
            return errors, []
    found = occurrences(start, end, repeat_until, tz)
    lo, hi = found[0][0], found[-1][1]
    shared = shared_intervals(offer, lo, hi)
    outside = [o for o in found if not _inside(o, shared)]
    if outside:
        longest = max(((b - a) for a, b in shared if a < end and start < b), default=None)
        if longest is not None and _overlaps(found[0], shared) and not _inside(found[0], shared):
            message = _(
                "The space is shared for at most %(hours)s at that time: this request is "
                "longer than the sharing slot or runs past it."
            ) % {"hours": _hours_text(longest)}
        else:
            message = _("The space is not shared at that time (%(when)s).") % {
                "when": describe(outside[0], tz)
            }
        if len(outside) > 1 or (outside and outside[0] != found[0]):
            message += " " + _("%(n)s of the %(total)s dates are outside the sharing times.") % {
                "n": len(outside),
                "total": len(found),
            }
        errors["start"] = [message]
        return errors, found
    uses = uses_between(offer.space_id, lo, hi)
    taken = [o for o in found if _overlaps(o, uses)]
    if taken:
        errors["start"] = [
            _("The space is already booked then (%(when)s).") % {"when": describe(taken[0], tz)}
            + (
                " "
                + _("%(n)s of the %(total)s dates are taken.")
                % {"n": len(taken), "total": len(found)}
                if len(found) > 1
                else ""
            )
        ]
    return errors, found


def _hours_text(length: datetime.timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    h, m = divmod(minutes, 60)
    return f"{h} h {m:02d}" if m else f"{h} h"


# -- actions ---------------------------------------------------------------------------


def _request_changes(request: SpaceRequest) -> dict:
    return {
        "status": [None, request.status],
        "start": [None, request.start.isoformat()],
        "end": [None, request.end.isoformat()],
        "repeat_until": [None, request.repeat_until and request.repeat_until.isoformat()],
        "people": [None, request.people],
        "name": [None, request.name],
        "association": [None, request.association],
    }


def _record(request: SpaceRequest, action: str, changes: dict, *, user, source: str) -> None:
    record(
        place=request.space.place,
        target=f"space-request:{request.pk}",
        action=action,
        changes=changes,
        user=user,
        source=source,
    )


@transaction.atomic
def request_create(
    *,
    space,
    data: Mapping[str, Any],
    audience: str = "public",
    source: str = "web",
    language: str = "",
    now: datetime.datetime | None = None,
) -> SpaceRequest:
    """Ask to use `space` (data: start, end aware datetimes, repeat_until date or None,
    people, purpose, name, email, association, accept_conditions).

    Raises ValidationError keyed by field, or RequestRefused (a ValidationError) with free
    alternatives when the time is not shared or already taken. Nothing is stored then.
    """
    now = now or timezone.now()
    unknown = sorted(set(data) - set(REQUEST_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(unknown)})
    offer = offer_for_requests(space, audience)
    if offer is None:
        raise ValidationError({"space": [_("This space is not open to requests.")]})
    request = SpaceRequest(
        space=space,
        start=data.get("start"),
        end=data.get("end"),
        repeat_until=data.get("repeat_until"),
        people=data.get("people"),
        purpose=(data.get("purpose") or "").strip(),
        name=(data.get("name") or "").strip(),
        email=(data.get("email") or "").strip(),
        association=(data.get("association") or "").strip(),
        language=(language or "")[:10],
        source=source[:60],
    )
    errors: dict[str, list] = {}
    try:
        request.full_clean(exclude=["space", "start", "end"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if isinstance(request.people, int) and request.people > space.capacity:
        errors.setdefault("people", []).append(
            _("This space takes at most %(n)s %(unit)s.")
            % {"n": space.capacity, "unit": space.get_capacity_unit_display()}
        )
    if offer.conditions and not data.get("accept_conditions"):
        errors.setdefault("accept_conditions", []).append(
            _("Read and accept the conditions of the place.")
        )
    found: list[Interval] = []
    start, end = request.start, request.end
    if not isinstance(start, datetime.datetime) or not isinstance(end, datetime.datetime):
        errors.setdefault("start", []).append(_("Give the date, start and end times."))
    else:
        time_errors, found = _check_times(offer, start, end, request.repeat_until, now)
        if time_errors:
            for key, messages in time_errors.items():
                errors.setdefault(key, []).extend(messages)
            if "start" in time_errors and found:
                wanted = next(iter(found))
                raise RequestRefused(errors, alternatives(offer, wanted, now=now))
    if errors:
        raise ValidationError(errors)
    request.save()
    _record(
        request, ChangeRecord.Action.CREATE, _request_changes(request), user=None, source=source
    )
    transaction.on_commit(lambda: (send_received(request), notify_managers(request)))
    return request


def _lock(request: SpaceRequest) -> SpaceRequest:
    """Lock the request's space, then read the request again (the decision's lock order:
    space first, so two decisions on the same space wait for each other)."""
    Space.objects.select_for_update().filter(pk=request.space_id).first()
    return SpaceRequest.objects.select_related("space", "space__place", "space__sharing").get(
        pk=request.pk
    )


def _not_open(request: SpaceRequest, *allowed: str) -> None:
    if request.status not in allowed:
        raise ValidationError(
            {
                "status": [
                    _("This request is already %(status)s.")
                    % {"status": request.get_status_display().lower()}
                ]
            }
        )


def _decide(request: SpaceRequest, status: str, user, source: str, **fields) -> dict:
    before = {"status": request.status, **{k: getattr(request, k) for k in fields}}
    request.status = status
    for key, value in fields.items():
        setattr(request, key, value)
    request.decided_by = user if getattr(user, "is_authenticated", False) else None
    request.decided_at = timezone.now()
    request.save()
    changes = {"status": [before["status"], status]}
    for key, value in fields.items():
        old = before[key]
        plain = value.isoformat() if isinstance(value, datetime.datetime) else value
        old = old.isoformat() if isinstance(old, datetime.datetime) else old
        if old != plain:
            changes[key] = [old, plain]
    _record(request, ChangeRecord.Action.STATUS, changes, user=user, source=source)
    return changes


def _write_uses(request: SpaceRequest, found: list[Interval]) -> None:
    try:
        with transaction.atomic():
            SpaceUse.objects.bulk_create(
                [
                    SpaceUse(
                        space=request.space, request=request, start=s, end=e, people=request.people
                    )
                    for s, e in found
                ]
            )
    except IntegrityError:
        raise ValidationError(
            {"status": [_("The space was booked at that time in the meantime.")]}
        ) from None
    _refresh_occupancy(request, found)


@transaction.atomic
def request_accept(
    *, user, request: SpaceRequest, source: str = "staff", now: datetime.datetime | None = None
) -> SpaceRequest:
    """Accept a pending request: its occurrences become uses of the space.

    Refused (ValidationError, nothing written) when the request was decided meanwhile or
    a use accepted meanwhile overlaps it: the space row is locked first, so of two
    managers accepting conflicting requests at once exactly one succeeds.
    """
    now = now or timezone.now()
    request = _lock(request)
    _not_open(request, SpaceRequest.Status.PENDING)
    offer = request.space.sharing
    errors, found = _check_times(offer, request.start, request.end, request.repeat_until, now)
    if errors:
        raise ValidationError(errors)
    _write_uses(request, found)
    _decide(request, SpaceRequest.Status.ACCEPTED, user, source, reason="")
    _after_decision(request)
    return request


@transaction.atomic
def request_decline(
    *, user, request: SpaceRequest, reason: str, source: str = "staff"
) -> SpaceRequest:
    """Decline a pending (or proposed) request; the reason is sent to the requester."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why, for the person who asked.")]})
    if len(reason) > 2000:
        raise ValidationError({"reason": [_("Keep the reason under 2,000 characters.")]})
    request = _lock(request)
    _not_open(request, *ACTIVE)
    _decide(request, SpaceRequest.Status.DECLINED, user, source, reason=reason)
    _after_decision(request)
    return request


@transaction.atomic
def request_propose(
    *,
    user,
    request: SpaceRequest,
    start: datetime.datetime,
    end: datetime.datetime,
    reason: str = "",
    source: str = "staff",
    now: datetime.datetime | None = None,
) -> SpaceRequest:
    """Offer another time for the request's first occurrence (and the same weekly times).

    The proposed time must be shared and free now; the requester takes it with their link
    (request_take_proposal), which checks again.
    """
    now = now or timezone.now()
    request = _lock(request)
    _not_open(request, *ACTIVE)
    if not isinstance(start, datetime.datetime) or not isinstance(end, datetime.datetime):
        raise ValidationError({"start": [_("Give the date, start and end times.")]})
    offer = request.space.sharing
    errors, _found = _check_times(offer, start, end, request.repeat_until, now)
    if errors:
        raise ValidationError(
            {f"proposed_{k}" if k in ("start", "end") else k: v for k, v in errors.items()}
        )
    _decide(
        request,
        SpaceRequest.Status.PROPOSED,
        user,
        source,
        proposed_start=start,
        proposed_end=end,
        reason=(reason or "").strip()[:2000],
    )
    _after_decision(request)
    return request


@transaction.atomic
def request_take_proposal(
    *, request: SpaceRequest, now: datetime.datetime | None = None
) -> SpaceRequest:
    """The requester takes the time the manager proposed: the request is accepted at it."""
    now = now or timezone.now()
    request = _lock(request)
    _not_open(request, SpaceRequest.Status.PROPOSED)
    offer = request.space.sharing
    start, end = request.proposed_start, request.proposed_end
    errors, found = _check_times(offer, start, end, request.repeat_until, now)
    if errors:
        raise ValidationError(errors)
    old_start, old_end = request.start, request.end
    request.start, request.end = start, end
    _write_uses(request, found)
    request.status = SpaceRequest.Status.ACCEPTED
    request.save()
    _record(
        request,
        ChangeRecord.Action.STATUS,
        {
            "status": [SpaceRequest.Status.PROPOSED, SpaceRequest.Status.ACCEPTED],
            "start": [old_start.isoformat(), start.isoformat()],
            "end": [old_end.isoformat(), end.isoformat()],
        },
        user=None,
        source="requester",
    )
    _after_decision(request, to_managers=True)
    return request


@transaction.atomic
def request_cancel(*, request: SpaceRequest, user=None, source: str = "requester") -> SpaceRequest:
    """Cancel a request (the requester's link, or a manager): accepted uses are freed."""
    request = _lock(request)
    _not_open(request, *ACTIVE, SpaceRequest.Status.ACCEPTED)
    intervals = list(SpaceUse.objects.filter(request=request).values_list("start", "end"))
    freed = SpaceUse.objects.filter(request=request).delete()[0]
    _refresh_occupancy(request, intervals)
    old = request.status
    request.status = SpaceRequest.Status.CANCELLED
    request.save()
    _record(
        request,
        ChangeRecord.Action.STATUS,
        {"status": [old, request.status], "uses": [freed, 0]},
        user=user,
        source=source,
    )
    _after_decision(request, to_managers=source == "requester")
    return request


def _refresh_occupancy(request: SpaceRequest, intervals: Iterable[Interval]) -> None:
    """The stored occupancy of the months the uses fall in (booked hours)."""
    from economics.actions import occupancy_refresh

    tz = place_zone(request.space.place)
    months = {s.astimezone(tz).date().replace(day=1) for s, _e in intervals}
    months |= {
        (e - datetime.timedelta(microseconds=1)).astimezone(tz).date().replace(day=1)
        for _s, e in intervals
    }
    if months:
        occupancy_refresh(place=request.space.place, months=months)


def _after_decision(request: SpaceRequest, *, to_managers: bool = False) -> None:
    transaction.on_commit(lambda: send_decision(request))
    if to_managers:
        transaction.on_commit(lambda: notify_managers(request, update=True))


# -- reads -----------------------------------------------------------------------------


def pending_requests(places) -> Any:
    """Requests waiting for a decision on these places (a queryset of places), oldest
    first, with what the list shows in one query."""
    return (
        SpaceRequest.objects.filter(status__in=ACTIVE, space__place__in=places)
        .select_related("space", "space__place")
        .order_by("created_at", "id")
    )


def uses_for_ics(*, space_ids=None, request: SpaceRequest | None = None, since=None):
    qs = SpaceUse.objects.select_related("space", "space__place", "request")
    if request is not None:
        qs = qs.filter(request=request)
    if space_ids is not None:
        qs = qs.filter(space_id__in=space_ids)
    if since is not None:
        qs = qs.filter(end__gt=since)
    return qs.order_by("start", "id")


def booked_hours(space_ids, lo: datetime.datetime, hi: datetime.datetime) -> dict[int, float]:
    """{space id: hours of accepted uses inside [lo, hi)}."""
    out: dict[int, float] = {}
    for space_id, s, e in SpaceUse.objects.filter(
        space_id__in=space_ids, start__lt=hi, end__gt=lo
    ).values_list("space_id", "start", "end"):
        out[space_id] = out.get(space_id, 0.0) + (min(e, hi) - max(s, lo)).total_seconds() / 3600
    return out


def taken_space_ids(space_ids, at: datetime.datetime) -> set[int]:
    """The spaces among `space_ids` with an accepted use covering the moment `at` (UTC)."""
    return set(
        SpaceUse.objects.filter(space_id__in=space_ids, start__lte=at, end__gt=at).values_list(
            "space_id", flat=True
        )
    )


def ics(uses, *, name: str) -> bytes:
    """An iCalendar file of accepted uses (one event each, in UTC)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Lieux partages//space uses//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for use in uses:
        event = icalendar.Event()
        event.add("uid", f"space-use-{use.pk}@lieux-partages")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", use.start.astimezone(UTC))
        event.add("dtend", use.end.astimezone(UTC))
        event.add("summary", f"{use.space.name}: {use.request.association or use.request.name}")
        event.add("location", f"{use.space.place.name}, {use.space.place.address}".strip(", "))
        event.add("description", use.request.purpose)
        cal.add_component(event)
    return cal.to_ical()


# -- email -----------------------------------------------------------------------------


def _when(request: SpaceRequest) -> str:
    tz = place_zone(request.space.place)
    text = describe((request.start, request.end), tz)
    if request.repeat_until:
        text += " " + _("and every week until %(date)s") % {
            "date": date_format(request.repeat_until, "j F Y")
        }
    return text


def send_received(request: SpaceRequest) -> tuple[str, str]:
    with translation.override(request.language or settings.LANGUAGE_CODE):
        subject = _("Your request for %(space)s") % {"space": request.space.name}
        body = _(
            "Hello %(name)s,\n\nYour request to use %(space)s at %(place)s on %(when)s for "
            "%(people)s people was sent to the place. You will get an email when it is "
            "answered.\n\nFollow or cancel your request with this link (keep it: it is "
            "your only key to the request):\n%(link)s"
        ) % {
            "name": request.name,
            "space": request.space.name,
            "place": request.space.place.name,
            "when": _when(request),
            "people": request.people,
            "link": follow_url(request),
        }
    return emails.send(to=request.email, subject=subject, body=body)


def decision_text(request: SpaceRequest) -> str:
    tz = place_zone(request.space.place)
    if request.status == SpaceRequest.Status.ACCEPTED:
        return _("Your request is accepted: %(space)s is yours on %(when)s.") % {
            "space": request.space.name,
            "when": _when(request),
        }
    if request.status == SpaceRequest.Status.DECLINED:
        return _("Your request was declined. The place's reason: %(reason)s") % {
            "reason": request.reason
        }
    if request.status == SpaceRequest.Status.PROPOSED:
        text = _("The place proposes another time: %(when)s.") % {
            "when": describe((request.proposed_start, request.proposed_end), tz)
        }
        if request.reason:
            text += " " + request.reason
        return text + " " + _("Take it or cancel with your link.")
    if request.status == SpaceRequest.Status.CANCELLED:
        return _("The request was cancelled.")
    return _("Your request is waiting for the place's answer.")


def send_decision(request: SpaceRequest) -> tuple[str, str]:
    with translation.override(request.language or settings.LANGUAGE_CODE):
        subject = _("%(space)s: %(status)s") % {
            "space": request.space.name,
            "status": request.get_status_display(),
        }
        body = (
            _("Hello %(name)s,") % {"name": request.name}
            + "\n\n"
            + decision_text(request)
            + "\n\n"
            + _("Your request: %(link)s") % {"link": follow_url(request)}
        )
    return emails.send(to=request.email, subject=subject, body=body)


def request_recipients(request: SpaceRequest):
    """Who decides: the place's managers, and its organisation's registry admins."""
    place = request.space.place
    return (
        Membership.objects.select_related("user")
        .filter(organisation_id=place.organisation_id, user__is_active=True)
        .exclude(user__email="")
        .filter(
            Q(role=Role.REGISTRY_ADMIN) | Q(role=Role.PLACE_MANAGER, user__managed_places=place.pk)
        )
    )


def notify_managers(request: SpaceRequest, *, update: bool = False) -> int:
    """Email the people who decide (one email per address); returns how many were sent."""
    sent, seen = 0, set()
    offer = SharingOffer.objects.filter(space_id=request.space_id).first()
    offer_email = offer.contact_email if offer else ""
    addresses = [m.user.email for m in request_recipients(request)]
    if offer_email:
        addresses.append(offer_email)
    with translation.override(settings.LANGUAGE_CODE):
        link = emails.absolute_url(reverse("economics:space_requests"))
        if update:
            subject = _("Request for %(space)s: %(status)s") % {
                "space": request.space.name,
                "status": request.get_status_display(),
            }
        else:
            subject = _("New request for %(space)s") % {"space": request.space.name}
        body = _(
            "%(name)s%(association)s asks for %(space)s (%(place)s) on %(when)s, for "
            "%(people)s people.\nPurpose: %(purpose)s\nStatus: %(status)s\n\n"
            "Accept, decline or propose another time here:\n%(link)s"
        ) % {
            "name": request.name,
            "association": f" ({request.association})" if request.association else "",
            "space": request.space.name,
            "place": request.space.place.name,
            "when": _when(request),
            "people": request.people,
            "purpose": request.purpose,
            "status": request.get_status_display(),
            "link": link,
        }
        for address in addresses:
            if address.lower() in seen:
                continue
            seen.add(address.lower())
            outcome, _error = emails.send(to=address, subject=subject, body=body)
            sent += outcome == emails.SENT
    return sent
