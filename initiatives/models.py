"""Calls for initiatives, the projects residents submit to them, and the guides.

A city publishes a `Call`; residents and associations send `Submission`s; staff review
them and may turn a retained one into a draft place (initiatives.actions). `Guide`s are
staff-edited pages in Markdown, in French and English. Every write is recorded in
`InitiativeRecord` (who, when, what changed), as the registry's ChangeRecord does.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from places.models import Organisation, Place


class Profile(models.TextChoices):
    """The three profiles of a shared place (places.models' profile records)."""

    MEDIATION = "mediation", _("Mediation and access")
    WORK = "work", _("Work and entrepreneurship")
    CREATION = "creation", _("Creation and projects")


class Call(models.Model):
    """A call for initiatives published by an organisation (usually the city)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="calls",
        verbose_name=_("organisation"),
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(
        _("text"), help_text=_("What the call is for, who may answer, how projects are chosen.")
    )
    profile = models.CharField(_("profile"), max_length=20, choices=Profile.choices, blank=True)
    area = models.CharField(
        _("area"),
        max_length=200,
        blank=True,
        help_text=_("In words, e.g. “the northern districts” or “the whole city”."),
    )
    # [{"code": "69123", "name": "Lyon"}]: the names are resolved when staff save the call,
    # so that public pages never read the communes dataset.
    area_communes = models.JSONField(_("communes"), default=list, blank=True)
    budget = models.DecimalField(
        _("budget (EUR)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-deadline", "-id"]
        verbose_name = _("call for initiatives")
        verbose_name_plural = _("calls for initiatives")

    def __str__(self) -> str:
        return self.title

    def accepts_submissions(self, now: datetime.datetime | None = None) -> bool:
        """Open, and its deadline not passed."""
        now = now or timezone.now()
        return self.status == self.Status.OPEN and now < self.deadline

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT


class Submission(models.Model):
    """A project sent to a call by a resident or an association."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        UNDER_REVIEW = "under_review", _("Under review")
        RETAINED = "retained", _("Retained")
        DECLINED = "declined", pgettext_lazy("project", "Declined")

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("call")
    )
    title = models.CharField(_("project title"), max_length=200)
    description = models.TextField(_("description of the project"), max_length=8000)
    needs = models.TextField(
        _("needs"),
        max_length=4000,
        blank=True,
        help_text=_("Premises, equipment, money, people, advice…"),
    )
    contact_name = models.CharField(_("your name"), max_length=200)
    contact_email = models.EmailField(_("your email address"))
    contact_phone = models.CharField(_("your phone (optional)"), max_length=30, blank=True)
    organisation_name = models.CharField(
        _("association or organisation (optional)"), max_length=200, blank=True
    )
    crowdfunding_url = models.URLField(
        _("crowdfunding page (optional)"),
        blank=True,
        help_text=_("A link to your campaign, if you run one."),
        validators=[URLValidator(schemes=["http", "https"])],
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    notes = models.TextField(_("staff notes"), blank=True)
    place = models.ForeignKey(
        Place,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="initiative_submissions",
        verbose_name=_("draft place"),
    )
    submitter_hash = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("submitted project")
        verbose_name_plural = _("submitted projects")

    def __str__(self) -> str:
        return self.title


class Guide(models.Model):
    """A how-to page for project holders, in Markdown, in French and English."""

    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    profile = models.CharField(
        _("profile"),
        max_length=20,
        choices=Profile.choices,
        blank=True,
        help_text=_("Leave empty for a guide that concerns every kind of place."),
    )
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary_fr = models.CharField(_("summary (French)"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    body_fr = models.TextField(_("text in Markdown (French)"))
    body_en = models.TextField(_("text in Markdown (English)"), blank=True)
    published = models.BooleanField(_("published"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["position", "title_fr"]
        verbose_name = _("guide")
        verbose_name_plural = _("guides")

    def __str__(self) -> str:
        return self.title_fr

    def in_language(self, language: str | None = None) -> tuple[str, str, str, str]:
        """(title, summary, Markdown body, language code) in `language`, French when the
        English version is missing."""
        language = (language or get_language() or "fr")[:2]
        if language == "en" and self.title_en and self.body_en:
            return self.title_en, self.summary_en, self.body_en, "en"
        return self.title_fr, self.summary_fr, self.body_fr, "fr"


class InitiativeRecord(models.Model):
    """One recorded write to a call, a submission or a guide: who, when, what changed."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        STATUS = "status", _("status changed")
        PLACE = "place", _("draft place created")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, null=True, related_name="records")
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, related_name="records"
    )
    guide = models.ForeignKey(Guide, on_delete=models.CASCADE, null=True, related_name="records")
    action = models.CharField(max_length=10, choices=Action.choices)
    changes = models.JSONField(default=dict)
    note = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    source = models.CharField(max_length=120, default="staff")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d})"
