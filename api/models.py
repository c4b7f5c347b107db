"""Records owned by the partner interface: the queue of possible duplicates from imports."""

from __future__ import annotations

from django.conf import settings
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

