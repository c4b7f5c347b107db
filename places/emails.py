"""Outgoing email of the registry: links, invitations, suggestion notices and digests.

Everything goes through Django's email framework (the EMAIL_* settings). `send` is the one
door: it skips addresses the mail server refused before and records a new refusal in
BouncedAddress, so that nothing is retried endlessly; late refusals (delivery status
notifications) are recorded by `manage.py record_bounces` (places/bounces.py). Mail is
sent after the writing transaction commits; a mail server failure never undoes a saved
decision.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import EmailMessage
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from places.models import BouncedAddress, Membership, Place, Role, Suggestion

logger = logging.getLogger(__name__)

SENT, BOUNCED, FAILED, SKIPPED = "sent", "bounced", "failed", "skipped"


def absolute_url(path: str) -> str:
    """A link for an email: SITE_URL plus the path (emails may be sent by cron)."""
    return settings.SITE_URL.rstrip("/") + path


def transient_limit() -> int:
    return max(1, int(getattr(settings, "BOUNCE_TRANSIENT_LIMIT", 3)))


def blocking_bounces() -> QuerySet[BouncedAddress]:
    """The refused addresses nothing is sent to: a permanent failure, or temporary ones
    BOUNCE_TRANSIENT_LIMIT times or more."""
    return BouncedAddress.objects.filter(
        Q(permanent=True) | Q(transient_count__gte=transient_limit())
    )


def is_bouncing(email: str) -> bool:
    return blocking_bounces().filter(email=email.strip().lower()).exists()


def bounces_for(addresses: Iterable[str]) -> dict[str, BouncedAddress]:
    """{address: its refusal record} for those of `addresses` that bounced (blocking or
    not), in one query; keys in lower case."""
    wanted = {a.strip().lower() for a in addresses if a}
    if not wanted:
        return {}
    return {b.email: b for b in BouncedAddress.objects.filter(email__in=wanted)}


def place_bounces(place: Place) -> list[dict]:
    """The refused addresses among those the place's mail goes to: its managers' and its own."""
    people = [(m.get_username(), m.email) for m in place.managers.all() if m.email]
    if place.email:
        people.append((_("the place's address"), place.email))
    return _bounce_rows(people)


def member_bounces(memberships) -> dict[int, dict]:
    """{membership id: refusal row} for the members whose address was refused."""
    rows = _bounce_rows([(m.pk, m.user.email) for m in memberships if m.user.email])
    return {row["who"]: row for row in rows}


def _bounce_rows(people: list[tuple]) -> list[dict]:
    found = bounces_for(email for _who, email in people)
    blocking_from = transient_limit()
    rows = []
    for who, email in people:
        bounce = found.get(email.strip().lower())
        if bounce is not None:
            rows.append(
                {
                    "who": who,
                    "email": email,
                    "bounce": bounce,
                    "blocking": bounce.permanent or bounce.transient_count >= blocking_from,
                    "limit": blocking_from,
                }
            )
    return rows


def record_bounce(email: str, error: str, *, permanent: bool = True, status: str = "") -> None:
    """Count one refusal of `email`: permanent (blocks it) or temporary (counted)."""
    email = email.strip().lower()
    changes = {
        "count": F("count") + 1,
        "error": error,
        "status": status[:16],
        "last_bounced_at": timezone.now(),
    }
    if permanent:
        changes["permanent"] = True
    else:
        changes["transient_count"] = F("transient_count") + 1
    updated = BouncedAddress.objects.filter(email=email).update(**changes)
    if not updated:
        BouncedAddress.objects.create(
            email=email,
            error=error,
            status=status[:16],
            permanent=permanent,
            transient_count=0 if permanent else 1,
        )


def _smtp_refusal(exc: smtplib.SMTPRecipientsRefused) -> tuple[str, bool, str]:
    """(error text, permanent?, code) of an immediate refusal: 5xx is permanent."""
    codes, parts = [], []
    for code, text in exc.recipients.values():
        codes.append(int(code))
        parts.append(f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}")
    permanent = not codes or any(c >= 500 for c in codes)
    return "; ".join(parts), permanent, str(max(codes)) if codes else ""


def _footer() -> str:
    return "\n\n-- \n" + _("Lieux partagés: the registry of the city's shared places.") + "\n"


def send(*, to: str, subject: str, body: str) -> tuple[str, str]:
    """Send one message to one address; returns (outcome, error message).

    Outcomes: SENT; SKIPPED (the address was refused before); BOUNCED (the server refused
    the address now: recorded); FAILED (the server could not be reached or erred).
    """
    if not to:
        return SKIPPED, _("No email address.")
    if is_bouncing(to):
        return SKIPPED, _("The mail server refused this address before.")
    message = EmailMessage(subject, body + _footer(), None, [to])
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        error, permanent, code = _smtp_refusal(exc)
        record_bounce(to, error, permanent=permanent, status=code)
        return BOUNCED, error
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("Could not send %r to %s: %s", subject, to, exc)
        return FAILED, str(exc) or exc.__class__.__name__
    return SENT, ""


# ------------------------------------------------------------------------- invitations


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens with their own salt: they expire after PASSWORD_RESET_TIMEOUT
    and die once used, since setting the password changes the hash they are made from."""

    key_salt = "places.emails.InvitationTokenGenerator"


invitation_token = InvitationTokenGenerator()


def invitation_link(user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = invitation_token.make_token(user)
    return absolute_url(reverse("manage:invitation_accept", args=[uid, token]))


def invitation_days() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)


def send_invitation(membership: Membership, *, inviter=None) -> tuple[str, str]:
    """Email a person the link to choose their password and join the organisation."""
    user = membership.user
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("You are invited to the registry of %(org)s") % {
            "org": membership.organisation.name
        }
        body = _(
            "Hello %(name)s,\n\n%(inviter)s added you to %(org)s on Lieux partagés as "
            "%(role)s.\n\nChoose your password with this link (it works once, for "
            "%(days)s days):\n%(link)s\n\nYour username is: %(name)s\n\nIf the link has "
            "expired, ask for a new one here:\n%(renew)s"
        ) % {
            "name": user.get_username(),
            "inviter": str(inviter) if inviter else _("An administrator"),
            "org": membership.organisation.name,
            "role": membership.get_role_display().lower(),
            "days": invitation_days(),
            "link": invitation_link(user),
            "renew": absolute_url(reverse("manage:invitation_request")),
        }
    return send(to=user.email, subject=subject, body=body)


# --------------------------------------------------------------- suggestions for staff


def suggestion_recipients(suggestion: Suggestion) -> QuerySet[Membership]:
    """The memberships that decide on a suggestion and have an address.

    A correction: the registry admins of the place's organisation and the place's
    managers. A new place belongs to no organisation yet: every registry admin.
    """
    memberships = (
        Membership.objects.select_related("user", "organisation")
        .filter(user__is_active=True)
        .exclude(user__email="")
    )
    if suggestion.place_id:
        return memberships.filter(organisation_id=suggestion.place.organisation_id).filter(
            Q(role=Role.REGISTRY_ADMIN)
            | Q(role=Role.PLACE_MANAGER, user__managed_places=suggestion.place_id)
        )
    return memberships.filter(role=Role.REGISTRY_ADMIN)


def _suggestion_line(suggestion: Suggestion) -> str:
    name = (suggestion.place.name if suggestion.place else suggestion.data.get("name")) or ""
    link = absolute_url(reverse("manage:suggestion_detail", args=[suggestion.pk]))
    return f"- {suggestion.get_kind_display()}: {name}\n  {link}"


def notify_new_suggestion(suggestion: Suggestion) -> int:
    """Email the staff who asked for one email per suggestion; returns how many were sent."""
    sent = 0
    seen: set[str] = set()
    with translation.override(settings.LANGUAGE_CODE):
        recipients = suggestion_recipients(suggestion).filter(
            suggestion_emails=Membership.SuggestionEmails.IMMEDIATE
        )
        for membership in recipients:
            email = membership.user.email.lower()
            if email in seen:  # an admin of two organisations hears of a new place once
                continue
            seen.add(email)
            subject = _("New suggestion from a resident: %(what)s") % {
                "what": _suggestion_line(suggestion).split("\n")[0][2:]
            }
            body = _(
                "A resident sent a suggestion. Review it here:\n\n%(line)s\n\n"
                "You receive one email per suggestion; choose a daily digest or no email "
                "on your preferences page:\n%(prefs)s"
            ) % {
                "line": _suggestion_line(suggestion),
                "prefs": absolute_url(reverse("manage:email_preferences")),
            }
            outcome, _error = send(to=membership.user.email, subject=subject, body=body)
            sent += outcome == SENT
    return sent


def _digest_suggestions(membership: Membership, since: datetime.datetime):
    pending = Suggestion.objects.select_related("place").filter(
        status=Suggestion.Status.PENDING, created_at__gt=since
    )
    new_places = Q(kind=Suggestion.Kind.NEW_PLACE, place__isnull=True)
    ours = Q(place__organisation_id=membership.organisation_id)
    if membership.role == Role.REGISTRY_ADMIN:
        return pending.filter(new_places | ours).order_by("created_at", "id")
    if membership.role == Role.PLACE_MANAGER:
        return pending.filter(ours, place__managers=membership.user_id).order_by("created_at", "id")
    return pending.none()


def send_suggestion_digests(*, now: datetime.datetime | None = None) -> int:
    """One email per daily-digest membership listing the pending suggestions that arrived
    since its last digest. A second run within 20 hours sends nothing; returns the count."""
    now = now or timezone.now()
    sent = 0
    memberships: Iterable[Membership] = (
        Membership.objects.select_related("user", "organisation")
        .filter(suggestion_emails=Membership.SuggestionEmails.DAILY, user__is_active=True)
        .exclude(user__email="")
        .exclude(digest_sent_at__gt=now - datetime.timedelta(hours=20))
    )
    with translation.override(settings.LANGUAGE_CODE):
        for membership in memberships:
            since = membership.digest_sent_at or now - datetime.timedelta(days=1)
            suggestions = list(_digest_suggestions(membership, since))
            if suggestions:
                subject = _("%(count)s new suggestions for %(org)s") % {
                    "count": len(suggestions),
                    "org": membership.organisation.name,
                }
                body = _("Residents sent these suggestions since the last digest:") + "\n\n"
                body += "\n".join(_suggestion_line(s) for s in suggestions)
                outcome, _error = send(to=membership.user.email, subject=subject, body=body)
                if outcome != SENT:
                    continue  # tried again at the next run, with the same suggestions
                sent += 1
            Membership.objects.filter(pk=membership.pk).update(digest_sent_at=now)
    return sent
