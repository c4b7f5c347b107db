"""Outgoing email of the registry: links, invitations, suggestion notices and digests.

Everything goes through Django's email framework (the EMAIL_* settings). `send` is the one
door: it skips addresses the mail server refused before and records a new refusal in
BouncedAddress, so that nothing is retried endlessly. Mail is sent after the writing
transaction commits; a mail server failure never undoes a saved decision.
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

from places.models import BouncedAddress, Membership, Role, Suggestion

logger = logging.getLogger(__name__)

SENT, BOUNCED, FAILED, SKIPPED = "sent", "bounced", "failed", "skipped"


def absolute_url(path: str) -> str:
    """A link for an email: SITE_URL plus the path (emails may be sent by cron)."""
    return settings.SITE_URL.rstrip("/") + path


def is_bouncing(email: str) -> bool:
    return BouncedAddress.objects.filter(email=email.strip().lower()).exists()


def record_bounce(email: str, error: str) -> None:
    email = email.strip().lower()
    updated = BouncedAddress.objects.filter(email=email).update(
        count=F("count") + 1, error=error, last_bounced_at=timezone.now()
    )
    if not updated:
        BouncedAddress.objects.create(email=email, error=error)


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
        error = "; ".join(
            f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for code, text in exc.recipients.values()
        )
        record_bounce(to, error)
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
