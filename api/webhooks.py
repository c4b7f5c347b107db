"""Webhooks: events from the registry's history, queued per subscription, signed, retried.

How an event travels:

1. Every write to the registry records a ChangeRecord (places.history.record). The api
   app listens to its post_save (connected in ApiConfig.ready), so the domain apps never
   import api. `event_for` names the event ("place.updated", "offer.created",
   "calendar.changed"...); events about places that are not published are not sent,
   except the status changes that publish or withdraw them.
2. The matching WebhookDelivery rows are inserted by transaction.on_commit: a write that
   is rolled back sends nothing.
3. The worker (`manage.py run_webhooks`) posts due deliveries with `deliver`, the one
   adapter that talks HTTP. The body is signed: header X-LP-Signature "t=<unix time>,
   v1=<hex HMAC-SHA256 of '<t>.<body>' keyed by the subscription's secret>".
4. A 2xx answer marks it delivered; 410 Gone disables the subscription (and drops its
   queue); anything else is retried with exponential backoff (1 min, 2, 4... capped at
   6 h) until a day after the event, then marked failed.

The bulk actions (`places_create_many`, `offers_create_many`...) write their history with
one bulk_create, which sends no post_save; `places.history.record_many` then sends
`places.signals.changes_recorded` with the records, and `on_changes_recorded` queues the
same announcements the single-row actions would have, in one insert after the commit.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import PartnerToken, WebhookDelivery, WebhookSubscription
from places import actions as places_actions
from places import outbound
from places.models import ChangeRecord, OrganisationEvent, Place

EVENTS = (
    "place.created",
    "place.updated",
    "place.published",
    "place.archived",
    "place.deleted",
    "offer.created",
    "offer.updated",
    "offer.deleted",
    "calendar.changed",
)
PROFILE_TARGETS = {"place", "mediation", "work", "creation", "external_id"}
TIMEOUT = outbound.TIMEOUT  # seconds for each connect, send and read of one POST
FIRST_RETRY = datetime.timedelta(minutes=1)
LONGEST_WAIT = datetime.timedelta(hours=6)
GIVE_UP_AFTER = datetime.timedelta(days=1)
LEASE = datetime.timedelta(minutes=5)  # a claimed delivery is not taken by another worker
USER_AGENT = "lieux-partages-webhooks/1"


# --- the HTTP adapter ------------------------------------------------------------------


class DeliveryError(Exception):
    """Nothing was sent (the address is not allowed), or no answer came back in time."""


@dataclass
class Answer:
    status: int


def deliver(url: str, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT) -> Answer:
    """POST `body` to `url` through places.outbound: the address is checked again after
    DNS resolution, redirects are not followed (a 3xx is a failed try), the answer is read
    up to a bound. The error says the same whatever failed on the wire (no port scanner)."""
    try:
        answer = outbound.post(url, body, headers, timeout=timeout)
    except ValidationError as exc:
        raise DeliveryError(
            _("Not sent to %(url)s: %(reason)s") % {"url": url, "reason": " ".join(exc.messages)}
        ) from None
    except outbound.OutboundError:
        raise DeliveryError(_("No valid answer from %(url)s.") % {"url": url}) from None
    return Answer(answer.status)


# --- signing -----------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: check the HMAC and that the timestamp is recent."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))


# --- subscriptions (actions) ------------------------------------------------------------


def _check_events(events: Iterable[str]) -> list[str]:
    events = sorted({e.strip() for e in events if e and e.strip()})
    families = {e.split(".")[0] for e in EVENTS}
    unknown = [
        e
        for e in events
        if e not in EVENTS and not (e.endswith(".*") and e[:-2] in families) and e != "*"
    ]
    if not events or unknown:
        raise ValidationError(
            {
                "events": _("Unknown events: %(e)s. Choose among %(known)s, or family.*.")
                % {"e": ", ".join(unknown) or "—", "known": ", ".join(EVENTS)}
            }
        )
    return events


@transaction.atomic
def subscription_create(
    *, token: PartnerToken, url: str, events: Iterable[str], user=None
) -> WebhookSubscription:
    """Subscribe a token to events; the signing secret is generated here and shown once."""
    errors: dict[str, list] = {}
    if not token.is_active:
        errors.setdefault("token", []).append(_("This token is revoked."))
    try:
        outbound.validate_url(url)
    except ValidationError as exc:
        errors.setdefault("url", []).extend(exc.messages)
    try:
        events = _check_events(events)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    subscription = WebhookSubscription(
        token=token, url=url, events=events, secret=secrets.token_hex(32)
    )
    subscription.full_clean()
    subscription.save()
    _event(
        subscription, user=user, action=OrganisationEvent.Action.CREATED, summary=", ".join(events)
    )
    return subscription


def _event(subscription: WebhookSubscription, *, user, action: str, summary: str = "") -> None:
    places_actions.organisation_event_record(
        organisation=subscription.token.organisation,
        user=user,
        kind=OrganisationEvent.Kind.WEBHOOK,
        action=action,
        target=f"{subscription.url} ({subscription.token.name})",
        summary=summary,
    )


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription, user=None) -> None:
    """Remove a subscription and its delivery log."""
    _event(subscription, user=user, action=OrganisationEvent.Action.DELETED)
    subscription.delete()


# --- events ------------------------------------------------------------------------------


def event_for(change: ChangeRecord) -> str | None:
    """The webhook event a history record stands for, or None (memberships...)."""
    target, action = change.target, change.action
    if target in PROFILE_TARGETS:
        if target == "place" and action == ChangeRecord.Action.CREATE:
            return "place.created"
        if target == "place" and action == ChangeRecord.Action.DELETE:
            return "place.deleted"
        if target == "place" and action == ChangeRecord.Action.STATUS:
            new = (change.changes.get("status") or [None, None])[1]
            return {"published": "place.published", "archived": "place.archived"}.get(
                new, "place.updated"
            )
        return "place.updated"
    if target.startswith("offer:"):
        return {
            ChangeRecord.Action.CREATE: "offer.created",
            ChangeRecord.Action.DELETE: "offer.deleted",
        }.get(action, "offer.updated")
    if target.startswith("schedule:"):
        return "calendar.changed"
    return None


def matches(patterns: Iterable[str], event: str) -> bool:
    family = event.split(".")[0]
    return any(p in (event, "*", f"{family}.*") for p in patterns)


def payload_for(change: ChangeRecord, event: str, place: Place) -> dict[str, Any]:
    """What partners receive: the event, the place, what changed (field names only)."""
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "event": event,
        "occurred_at": change.created_at.isoformat(),
        "place": {
            "id": str(place.public_id),
            "slug": place.slug,
            "name": place.name,
            "status": place.status,
            "version": change.version or place.version,
        },
        "target": change.target,
        "fields": sorted(change.changes or {}),
    }
    if change.target.startswith("offer:"):
        data["offer_id"] = int(change.target.split(":")[1])
    elif change.target.startswith("schedule:offer:"):
        data["offer_id"] = int(change.target.split(":")[2])
    return data


def _announcement(change: ChangeRecord) -> tuple[str, dict[str, Any]] | None:
    """(event, payload) partners are told about for this history record, if any."""
    if change.place_id is None:
        return None
    event = event_for(change)
    if event is None:
        return None
    place = change.place
    withdrawn = event in ("place.archived", "place.deleted")
    if place.status != Place.Status.PUBLISHED and not withdrawn:
        return None  # drafts are nobody's business outside the staff
    return event, payload_for(change, event, place)


def on_change_recorded(sender, instance: ChangeRecord, created: bool, **kwargs) -> None:
    """post_save receiver: queue the deliveries once the write's transaction commits."""
    if not created:
        return
    announcement = _announcement(instance)
    if announcement is not None:
        transaction.on_commit(lambda: enqueue_many([announcement]))


def on_changes_recorded(sender, changes: list[ChangeRecord], **kwargs) -> None:
    """places.signals.changes_recorded receiver: `on_change_recorded` for a bulk action."""
    changes_recorded(changes)


def changes_recorded(changes: Iterable[ChangeRecord]) -> None:
    """The same, for history written with bulk_create, which sends no post_save:
    every announcement of the batch queued at once, after the commit."""
    announcements = [a for a in map(_announcement, changes) if a is not None]
    if announcements:
        transaction.on_commit(lambda: enqueue_many(announcements))


def enqueue(event: str, payload: dict[str, Any], *, now: datetime.datetime | None = None) -> int:
    """One pending delivery per active subscription (of a live token) wanting `event`."""
    return enqueue_many([(event, payload)], now=now)


def enqueue_many(
    announcements: list[tuple[str, dict[str, Any]]], *, now: datetime.datetime | None = None
) -> int:
    """`enqueue` for several events: the subscriptions are read once."""
    now = now or timezone.now()
    subscriptions = list(
        WebhookSubscription.objects.filter(active=True, token__revoked_at__isnull=True).only(
            "id", "events"
        )
    )
    rows = [
        WebhookDelivery(subscription=s, event=event, payload=payload, next_attempt_at=now)
        for event, payload in announcements
        for s in subscriptions
        if matches(s.events, event)
    ]
    WebhookDelivery.objects.bulk_create(rows)
    return len(rows)


# --- the worker's side -----------------------------------------------------------------


def backoff(attempts: int) -> datetime.timedelta:
    """Wait after the `attempts`-th failed try: 1 min, 2, 4, 8... at most 6 hours."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)


def claim_due(*, now: datetime.datetime | None = None, limit: int = 50) -> list[WebhookDelivery]:
    """Take up to `limit` due deliveries, leasing them so that a second worker skips them."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in due]).update(
            next_attempt_at=now + LEASE
        )
    return due


def delivery_attempt(
    delivery: WebhookDelivery,
    *,
    now: datetime.datetime | None = None,
    send: Callable[..., Answer] = deliver,
) -> WebhookDelivery:
    """Post one delivery and record the outcome (delivered, retry later, failed, disabled)."""
    now = now or timezone.now()
    subscription = WebhookSubscription.objects.get(pk=delivery.subscription_id)
    if not subscription.active:
        delivery.status = WebhookDelivery.Status.DISABLED
        delivery.next_attempt_at = None
        delivery.save(update_fields=["status", "next_attempt_at"])
        return delivery
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-LP-Event": delivery.event,
        "X-LP-Delivery": str(delivery.pk),
        "X-LP-Signature": signature_header(subscription.secret, timestamp, body),
    }
    delivery.attempts += 1
    try:
        answer = send(subscription.url, body, headers, TIMEOUT)
        delivery.last_status_code = answer.status
        delivery.last_error = ""
    except DeliveryError as exc:
        answer = None
        delivery.last_status_code = None
        delivery.last_error = str(exc)
    if answer is not None and 200 <= answer.status < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif answer is not None and answer.status == 410:
        _disable(subscription, now=now)
        delivery.status = WebhookDelivery.Status.DISABLED
        delivery.next_attempt_at = None
    else:
        if answer is not None:
            delivery.last_error = _("The endpoint answered HTTP %(code)s.") % {
                "code": answer.status
            }
        retry_at = now + backoff(delivery.attempts)
        if retry_at > delivery.created_at + GIVE_UP_AFTER:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = retry_at
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
        ]
    )
    return delivery


@transaction.atomic
def _disable(subscription: WebhookSubscription, *, now: datetime.datetime) -> None:
    subscription.active = False
    subscription.disabled_reason = _(
        "The endpoint answered 410 Gone on %(when)s: it asked us to stop."
    ) % {"when": now.isoformat(timespec="seconds")}
    subscription.save(update_fields=["active", "disabled_reason"])
    _event(
        subscription,
        user=None,
        action=OrganisationEvent.Action.CHANGED,
        summary=subscription.disabled_reason,
    )
    subscription.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.DISABLED, next_attempt_at=None
    )


def process_due(
    *,
    now: datetime.datetime | None = None,
    limit: int = 50,
    send: Callable[..., Answer] = deliver,
) -> int:
    """One pass of the worker: attempt every due delivery; returns how many were tried."""
    now = now or timezone.now()
    due = claim_due(now=now, limit=limit)
    for delivery in due:
        delivery_attempt(delivery, now=now, send=send)
    return len(due)


# --- staff reads -----------------------------------------------------------------------


def subscriptions_for(tokens) -> Any:
    """Subscriptions of the given tokens with their token, newest first."""
    return WebhookSubscription.objects.filter(token__in=tokens).select_related(
        "token", "token__organisation"
    )


def delivery_log(subscription: WebhookSubscription, *, limit: int = 200):
    return subscription.deliveries.order_by("-created_at", "-id")[:limit]
