"""Freshness campaigns: who last confirmed a place's information, and reminders to do so.

Actions (writes) and selectors (reads) of one idea, kept apart from places/actions.py.
A verification does not change the place's facts, so it does not move the place's
version (an editor's form stays valid); it is recorded in the history as "verification".
A reminder link is signed (django.core.signing) and expires after REMINDER_LINK_DAYS; it
is single-use through Reminder.used_at.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from places import actions, emails
from places.history import record
from places.models import ChangeRecord, Place, Reminder

SIGNING_SALT = "places.freshness.reminder"
# The facts a manager may correct from a reminder link, without signing in.
REMINDER_FIELDS = ("phone", "email", "website")
FREQUENCY_CHOICES = (30, 90, 180, 365)


def _check_frequency(days: int) -> None:
    field = Place._meta.get_field("update_every_days")
    try:
        field.clean(days, None)
    except ValidationError as exc:
        raise ValidationError({"update_every_days": exc.messages}) from None


@transaction.atomic
def place_verify(
    *,
    place: Place,
    user,
    method: str,
    update_every_days: int | None = None,
    source: str = "staff",
) -> Place:
    """Record that somebody confirmed the place's information today, and how.

    Optionally changes how often it should be confirmed. The place's version does not
    move: its facts did not change.
    """
    if method not in Place.VerificationMethod.values:
        raise ValidationError({"method": _("Choose how the information was checked.")})
    if update_every_days is not None:
        _check_frequency(update_every_days)
    current = Place.objects.select_for_update().get(pk=place.pk)
    before = {
        "verified_at": current.verified_at.isoformat() if current.verified_at else None,
        "verification_method": current.verification_method,
        "update_every_days": current.update_every_days,
    }
    current.verified_at = timezone.now()
    current.verified_by = user if getattr(user, "is_authenticated", False) else None
    current.verification_method = method
    if update_every_days is not None:
        current.update_every_days = update_every_days
    current.save(
        update_fields=[
            "verified_at",
            "verified_by",
            "verification_method",
            "update_every_days",
            "search_text",
            "updated_at",  # partners syncing by updated_since see the new date
        ]
    )
    after = {
        "verified_at": current.verified_at.isoformat(),
        "verification_method": method,
        "update_every_days": current.update_every_days,
    }
    record(
        place=current,
        target="verification",
        action=ChangeRecord.Action.UPDATE,
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
        user=user,
        source=source,
        version=current.version,
    )
    place.__dict__.update(current.__dict__)
    return current


# --------------------------------------------------------------------------- selectors


def due_places(queryset: QuerySet[Place], *, today: datetime.date) -> QuerySet[Place]:
    """Places whose information is due for a check on `today` (archived ones never are).

    A place without a due date (written by a bulk insert that skipped save()) counts as due.
    """
    return queryset.exclude(status=Place.Status.ARCHIVED).filter(
        Q(verification_due_on__lte=today) | Q(verification_due_on__isnull=True)
    )


STALE_SORTS = {
    "due": ("verification_due_on", "name"),
    "-due": ("-verification_due_on", "name"),
    "name": ("name",),
    "verified": ("verified_at", "name"),
}


def stale_places(
    queryset: QuerySet[Place],
    *,
    today: datetime.date,
    within_days: int = 0,
    statuses: Iterable[str] = (),
    sort: str = "due",
) -> QuerySet[Place]:
    """The freshness dashboard: places due by today + `within_days`, with their last
    reminder date (`last_reminded_at`) and who verified them, in one query."""
    queryset = due_places(queryset, today=today + datetime.timedelta(days=within_days))
    if statuses:
        queryset = queryset.filter(status__in=list(statuses))
    return (
        queryset.select_related("organisation", "verified_by")
        .annotate(last_reminded_at=Max("reminders__sent_at"))
        .order_by(*STALE_SORTS.get(sort, STALE_SORTS["due"]))
    )


# --------------------------------------------------------------------------- reminders


@dataclasses.dataclass
class ReminderResult:
    """One line of a sending report: which place, which address, what happened."""

    place: Place
    email: str
    outcome: str  # emails.SENT, BOUNCED, FAILED, SKIPPED, or "already" / "no_recipient"
    detail: str = ""
    reminder: Reminder | None = None


def reminder_recipients(place: Place) -> list[tuple[Any, str]]:
    """(user or None, address): the place's managers with an address, else the place's own."""
    found = [(u, u.email) for u in place.managers.all() if u.email and u.is_active]
    if not found and place.email:
        found = [(None, place.email)]
    return found


def reminder_link(reminder: Reminder) -> str:
    token = signing.dumps(reminder.pk, salt=SIGNING_SALT)
    return emails.absolute_url(reverse("directory:verify", args=[token]))


def _reminder_message(reminder: Reminder) -> tuple[str, str]:
    place = reminder.place
    with translation.override(settings.LANGUAGE_CODE):
        checked = (
            formats.date_format(timezone.localdate(place.verified_at), "DATE_FORMAT")
            if place.verified_at
            else _("never")
        )
        subject = _("Is the information about “%(name)s” still true?") % {"name": place.name}
        body = _(
            "Hello,\n\nResidents find “%(name)s” in the registry of shared places. Its "
            "information was last checked: %(checked)s.\n\nPlease confirm it is still true, "
            "or correct it (hours, phone, services), with this link; no account is needed. "
            "It works once, for %(days)s days:\n%(link)s\n\nThank you."
        ) % {
            "name": place.name,
            "checked": checked,
            "days": settings.REMINDER_LINK_DAYS,
            "link": reminder_link(reminder),
        }
    return subject, body


def _deliver(reminder: Reminder) -> tuple[str, str]:
    subject, body = _reminder_message(reminder)
    outcome, error = emails.send(to=reminder.email, subject=subject, body=body)
    if outcome != emails.SENT:
        status = Reminder.Status.BOUNCED if outcome != emails.FAILED else Reminder.Status.FAILED
        Reminder.objects.filter(pk=reminder.pk).update(status=status, error=error)
        reminder.status, reminder.error = status, error
    return outcome, error


def reminders_send(*, places: Iterable[Place], user=None) -> list[ReminderResult]:
    """Send each place's reminder to its managers, at most once per address and period.

    The period is the place's current due date: once the place is confirmed, the next
    period starts. An address the mail server refused before is skipped; one it refuses
    now is recorded and skipped afterwards. Returns one result per place and address.
    """
    results: list[ReminderResult] = []
    for place in places:
        recipients = reminder_recipients(place)
        if not recipients:
            results.append(ReminderResult(place, "", "no_recipient"))
            continue
        for person, email in recipients:
            results.append(_send_one(place, person, email, user))
    return results


def _send_one(place: Place, person, email: str, user) -> ReminderResult:
    due_on = place.verification_due_on or place.compute_verification_due_on()
    earlier = Reminder.objects.filter(
        place=place, email__iexact=email, due_on=due_on, renewal_of__isnull=True
    ).first()
    if earlier is not None:
        return ReminderResult(place, email, "already", _date(earlier.sent_at), earlier)
    if emails.is_bouncing(email):
        return ReminderResult(
            place, email, emails.SKIPPED, _("The mail server refused this address before.")
        )
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                place=place,
                recipient=person,
                email=email,
                due_on=due_on,
                status=Reminder.Status.SENT,
                sent_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError:  # a concurrent run sent it a moment ago
        return ReminderResult(place, email, "already", _date(timezone.now()))
    outcome, error = _deliver(reminder)
    return ReminderResult(place, email, outcome, error, reminder)


def _date(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localdate(moment), "DATE_FORMAT")


# ----------------------------------------------------------------- the emailed link


@dataclasses.dataclass
class LinkState:
    """What a reminder link leads to: the reminder (if known) and whether it still works."""

    reminder: Reminder | None
    state: str  # "valid", "expired", "used", "invalid"


def reminder_from_token(token: str) -> LinkState:
    """Read a reminder link: valid, expired (too old), used (already confirmed) or invalid."""
    max_age = datetime.timedelta(days=settings.REMINDER_LINK_DAYS)
    state = "valid"
    try:
        pk = signing.loads(token, salt=SIGNING_SALT, max_age=max_age)
    except signing.SignatureExpired:
        state = "expired"
        pk = signing.loads(token, salt=SIGNING_SALT)  # genuine, only too old
    except signing.BadSignature:
        return LinkState(None, "invalid")
    reminder = (
        Reminder.objects.select_related("place", "recipient", "renewal")
        .filter(pk=pk, place__status__in=[Place.Status.DRAFT, Place.Status.PUBLISHED])
        .first()
    )
    if reminder is None:
        return LinkState(None, "invalid")
    if reminder.used_at is not None:
        state = "used"
    return LinkState(reminder, state)


@transaction.atomic
def reminder_confirm(
    *,
    reminder: Reminder,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Place:
    """Confirm (and, with `data`, correct) a place from a reminder link; the link dies.

    Corrections go through places.actions.place_update in the name of the person the
    reminder was sent to, with the source "reminder:<id>". Raises ValidationError (field
    errors, StaleVersion, or "already used") and changes nothing then.
    """
    current = Reminder.objects.select_for_update().get(pk=reminder.pk)
    if current.used_at is not None:
        raise ValidationError(_("This link was already used."), code="used")
    data = dict(data or {})
    unknown = set(data) - set(REMINDER_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    place = current.place
    source = f"reminder:{current.pk}"
    changed = {k: v for k, v in data.items() if getattr(place, k) != v}
    if changed:
        place = actions.place_update(
            place=place,
            user=current.recipient,
            expected_version=expected_version,
            data=changed,
            source=source,
        )
    place = place_verify(
        place=place,
        user=current.recipient,
        method=Place.VerificationMethod.SELF_SERVICE,
        source=source,
    )
    current.used_at = timezone.now()
    current.save(update_fields=["used_at"])
    reminder.__dict__.update(current.__dict__)
    return place


def reminder_renew(*, reminder: Reminder) -> ReminderResult:
    """Send a new link for an expired or used reminder, to the same address: once only."""
    with transaction.atomic():
        current = Reminder.objects.select_for_update().get(pk=reminder.pk)
        if Reminder.objects.filter(renewal_of=current).exists():
            raise ValidationError(
                _("A new link was already sent to this address: look for the latest email."),
                code="already_renewed",
            )
        if emails.is_bouncing(current.email):
            raise ValidationError(
                _("The mail server refused this address: ask the city's staff to update it."),
                code="bouncing",
            )
        renewal = Reminder.objects.create(
            place=current.place,
            recipient=current.recipient,
            email=current.email,
            due_on=current.due_on,
            status=Reminder.Status.SENT,
            renewal_of=current,
        )
    # Sent once the renewal is saved, outside the transaction (a slow server holds no lock).
    outcome, error = _deliver(renewal)
    return ReminderResult(current.place, current.email, outcome, error, renewal)
