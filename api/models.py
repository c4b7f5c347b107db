"""Records owned by the partner interface: the queue of possible duplicates from imports."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from places.models import Organisation, Place


class PossibleDuplicate(models.Model):
    """An imported row that may describe an existing place, held for a person to decide.

    The row is not written to the registry until staff merge it into `place` or dismiss
    the match (which creates it as a place of its own).
    """

    class Reason(models.TextChoices):
        NAME_NEARBY = "name_nearby", _("Same name, 100 m to 1 km away")
        SIRET_NAME_DIFFERS = "siret_name_differs", _("Same SIRET, different name")
        SAME_SOURCE = "same_source", _("The source lists both as distinct records")

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Dismissed (distinct places)")

    place = models.ForeignKey(
        Place,
        on_delete=models.CASCADE,
        related_name="possible_duplicates",
        verbose_name=_("existing place"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="possible_duplicates",
        verbose_name=_("importing organisation"),
    )
    # The normalised row (Record.as_candidate()), plus the status it would be created with.
    candidate = models.JSONField(_("imported data"))
    source = models.CharField(_("source"), max_length=60)
    external_id = models.CharField(_("identifier in the source"), max_length=120)
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_place = models.ForeignKey(
        Place,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resulting place"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=models.Q(status="open"),
                name="one_open_duplicate_per_row",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} ~ {self.place} ({self.get_reason_display()})"


class PartnerToken(models.Model):
    """A partner's key to the API: shown once, stored as a SHA-256 hash, revocable.

    The secret is 32 random bytes (`secrets.token_urlsafe`), so a fast hash is enough: there
    is nothing to brute-force that a slow password hash would protect, and checking a token
    on every request must stay cheap. Lookup is by `prefix` (the first characters, also
    shown to staff and recorded in the history as `api:<prefix>`), then the hash is compared
    in constant time.
    """

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        WRITE_OFFERS = "write:offers", _("Write the offers of one provider")
        WRITE_PLACES = "write:places", _("Write the places of one organisation")
        WRITE_AGREEMENTS = (
            "write:agreements",
            _("Write the provider agreements of one organisation's places"),
        )

    name = models.CharField(_("name"), max_length=120)
    # The registry organisation that issued the token: its registry admins manage it, and
    # `write:places` lets the token write this organisation's places.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="partner_tokens",
        verbose_name=_("organisation"),
    )
    provider = models.ForeignKey(
        "services.Provider",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="partner_tokens",
        verbose_name=_("provider"),
    )
    scopes = models.JSONField(_("scopes"), default=list)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("partner token")
        verbose_name_plural = _("partner tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @property
    def source(self) -> str:
        """How writes made with this token are recorded in a place's history."""
        return f"api:{self.prefix}"


class PlaceProviderAgreement(models.Model):
    """A place's consent to a provider publishing offers there through the API.

    The agreement names the service kinds it covers (none: every kind), the first day it
    holds and, once ended, its last day. A provider token may create offers at a place
    only within an agreement that holds today and covers the offer's kind; a pair with no
    agreement at all keeps the older rule (a live offer of the provider there already).
    See docs/decisions/0023-provider-agreements.md.
    """

    place = models.ForeignKey(
        Place,
        on_delete=models.CASCADE,
        related_name="provider_agreements",
        verbose_name=_("place"),
    )
    provider = models.ForeignKey(
        "services.Provider",
        on_delete=models.CASCADE,
        related_name="place_agreements",
        verbose_name=_("provider"),
    )
    kinds = models.ManyToManyField(
        "services.ServiceKind",
        blank=True,
        related_name="place_agreements",
        verbose_name=_("service kinds"),
        help_text=_("Leave empty to cover every service kind."),
    )
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    # Bumped by each change; editors send the one they started from (places.versioning).
    version = models.PositiveIntegerField(_("version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["place__name", "provider__name", "id"]
        verbose_name = _("place–provider agreement")
        verbose_name_plural = _("place–provider agreements")
        constraints = [
            models.UniqueConstraint(fields=["place", "provider"], name="one_agreement_per_pair")
        ]

    def __str__(self) -> str:
        return f"{self.provider_id} @ {self.place_id}"

    def clean(self):
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The last day cannot come before the first day.")})

    def holds_on(self, day) -> bool:
        """Does the agreement hold on this date (its kinds aside)?"""
        if self.starts_on and day < self.starts_on:
            return False
        return not (self.ends_on and day > self.ends_on)


class IdempotencyKey(models.Model):
    """The stored response to a POST made with an `Idempotency-Key` header, for replays."""

    # "token:<id>" or "ip:<address>": whose key space this key belongs to.
    owner = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"


class WebhookSubscription(models.Model):
    """A partner's request to be told (by an HTTP POST) when registry records change.

    `events` lists event names or patterns: "place.updated", "offer.*", "calendar.changed".
    Deliveries are signed with `secret` (HMAC-SHA256, see api/webhooks.py).
    """

    token = models.ForeignKey(
        PartnerToken,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        verbose_name=_("partner token"),
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=64, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    disabled_reason = models.CharField(_("why it was disabled"), max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.events)})"


class WebhookDelivery(models.Model):
    """One event to send to one subscription, with its attempts so far."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")
        DISABLED = "disabled", _("Not sent (subscription disabled)")

    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    event = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The worker's question: pending deliveries due now, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id} ({self.status})"


class ImportedHoursText(models.Model):
    """Opening hours an import received for a place but could not turn into a calendar.

    The string is kept verbatim, with the reason, so that nothing a partner sent is lost
    and staff can see what to fix (see docs/decisions/0005-import-reconciliation.md). A
    place has at most one: the text of the source that owns its values. It is deleted
    when that source later sends hours the scheduling app accepts.
    """

    place = models.OneToOneField(
        Place,
        on_delete=models.CASCADE,
        related_name="imported_hours_text",
        verbose_name=_("place"),
    )
    source = models.CharField(_("source"), max_length=60)
    text = models.TextField(_("opening hours as received"))
    problem = models.CharField(_("why no calendar was built"), max_length=500)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("imported opening hours kept as text")
        verbose_name_plural = _("imported opening hours kept as text")

    def __str__(self) -> str:
        return f"{self.source}: {self.text}"


class ImportedValue(models.Model):
    """A value of an imported row that the registry has no field or code for.

    Kept verbatim with its source column, so that nothing a file said is lost and staff can
    see what the vocabulary tables (api/imports/vocabulary.py) do not cover yet; counted in
    the import report (warning `value_unmapped`).
    """

    place = models.ForeignKey(
        Place,
        on_delete=models.CASCADE,
        related_name="imported_values",
        verbose_name=_("place"),
    )
    source = models.CharField(_("source"), max_length=60)
    field = models.CharField(_("field in the source"), max_length=60)
    value = models.CharField(_("value as received"), max_length=500)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["place", "source", "field", "value"]
        verbose_name = _("imported value kept as provenance")
        verbose_name_plural = _("imported values kept as provenance")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "source", "field", "value"], name="imported_value_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}.{self.field}: {self.value}"


class SourceConflict(models.Model):
    """Two imported files disagree on a place's opening hours.

    The hours the place has are kept (those of the file that gave them first; see
    docs/imports.md, "Merging two files") and the other file's are listed here, for staff
    to check which are right and mark the conflict as checked. Re-importing the same
    file does not list the same disagreement again.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        CHECKED = "checked", _("Checked")

    place = models.ForeignKey(
        Place,
        on_delete=models.CASCADE,
        related_name="source_conflicts",
        verbose_name=_("place"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="source_conflicts",
        verbose_name=_("importing organisation"),
    )
    field = models.CharField(_("field"), max_length=60)
    kept_value = models.TextField(_("value kept"))
    kept_source = models.CharField(_("source of the value kept"), max_length=120)
    other_value = models.TextField(_("value not used"))
    other_source = models.CharField(_("source of the value not used"), max_length=60)
    other_external_id = models.CharField(_("identifier in that source"), max_length=120)
    other_column = models.CharField(_("column in that source"), max_length=60, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("conflict between imported files")
        verbose_name_plural = _("conflicts between imported files")

    def __str__(self) -> str:
        return f"{self.place_id} {self.field}: {self.kept_value!r} / {self.other_value!r}"


class ImportRun(models.Model):
    """One import of a file into an organisation's registry, as its report said.

    Written by api/imports/runs.py after every run that is not a dry run, including an
    all-or-nothing run that a rejected row rolled back, so staff can see later which
    rows a file lost and why (line and reason), not only on the page shown after upload.
    """

    class Via(models.TextChoices):
        COMMAND = "command", _("import_places command")
        PAGE = "page", _("staff upload page")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="import_runs",
        verbose_name=_("importing organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    via = models.CharField(_("run from"), max_length=10, choices=Via.choices)
    format = models.CharField(_("format"), max_length=30)
    file_name = models.CharField(_("file"), max_length=255)
    atomic = models.BooleanField(_("all or nothing"), default=False)
    rolled_back = models.BooleanField(_("rolled back (nothing stored)"), default=False)
    rows = models.PositiveIntegerField(_("rows read"), default=0)
    rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    # The report's counts, and its rejections ({row, line, external_id, code, field,
    # message}), the first REJECTIONS_KEPT of them.
    counts = models.JSONField(_("counts"), default=dict)
    rejections = models.JSONField(_("rejected rows"), default=list)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    REJECTIONS_KEPT = 1000

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.format} {self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"
