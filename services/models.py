"""The catalogue: service categories and kinds, providers, and the offers made at a place."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from places.fields import MultipleChoiceField
from places.models import MediationProfile, Organisation, Place, ServiceLevel, Typology
from services.thematiques import DATA_INCLUSION_THEMATIQUES


class LocalizedNameMixin:
    """Names are stored in French; `name_en` is shown when the interface speaks English."""

    @property
    def display_name(self) -> str:
        language = (get_language() or "fr").split("-")[0]
        if language == "en" and self.name_en:
            return self.name_en
        return self.name


class ServiceCategory(LocalizedNameMixin, models.Model):
    """First level of the catalogue: access to rights, digital help, work, creation..."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name (French)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")

    def __str__(self) -> str:
        return self.display_name


class ServiceKind(LocalizedNameMixin, models.Model):
    """Second level of the catalogue: what a resident comes for (a CAF file, a 3D printer)."""

    class Profile(models.TextChoices):
        MEDIATION = "mediation", _("Mediation and access")
        WORK = "work", _("Work and entrepreneurship")
        CREATION = "creation", _("Creation and projects")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name (French)"), max_length=160)
    name_en = models.CharField(_("name (English)"), max_length=160, blank=True)
    category = models.ForeignKey(
        ServiceCategory,
        on_delete=models.PROTECT,
        related_name="kinds",
        verbose_name=_("category"),
    )
    # data·inclusion schema v1 `thematiques` values this kind maps to (may be empty).
    data_inclusion_thematiques = models.JSONField(
        _("data·inclusion thematiques"), default=list, blank=True
    )
    profile = models.CharField(_("profile"), max_length=20, choices=Profile.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive kinds are kept but not offered anymore.")
    )
    # Bumped by each change through services.actions; editors send the one they started from.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["category__position", "position", "name"]
        verbose_name = _("service kind")
        verbose_name_plural = _("service kinds")

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        super().clean()
        values = self.data_inclusion_thematiques
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValidationError(
                {"data_inclusion_thematiques": _("Expected a list of thematique codes.")}
            )
        unknown = [v for v in values if v not in DATA_INCLUSION_THEMATIQUES]
        if unknown:
            raise ValidationError(
                {
                    "data_inclusion_thematiques": _("Unknown data·inclusion thematique: %(v)s.")
                    % {"v": ", ".join(unknown)}
                }
            )


class Provider(models.Model):
    """Who delivers a service: CAF, France Travail, La Poste, a bank, an association..."""

    Sector = MediationProfile.Sector

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    website = models.URLField(_("website"), blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="providers",
        verbose_name=_("managing organisation"),
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    ALL = "all", _("Everyone")
    YOUNG = "young", _("Young people")
    SENIORS = "seniors", _("Seniors")
    JOB_SEEKERS = "job_seekers", _("Job seekers")
    FAMILIES = "families", _("Families")
    DISABLED = "disabled", _("People with disabilities")
    NEWCOMERS = "newcomers", _("Foreigners and newcomers")
    ENTREPRENEURS = "entrepreneurs", _("Entrepreneurs")
    ASSOCIATIONS = "associations", _("Associations")


class AccessMode(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    APPOINTMENT = "appointment", _("By appointment")
    PHONE = "phone", _("By phone")
    ONLINE = "online", _("Online")


# A name ending with its abbreviation in brackets: "Prestations familiales (CAF)".
_TRAILING_ABBREVIATION = re.compile(r"\s*\(([^()]+)\)\s*$")


def offer_label(kind_name: str, provider_name: str) -> str:
    """The name of an offer for residents, the provider said once.

    "Prestations familiales et sociales (CAF)" by "Caisse d'allocations familiales (CAF)"
    reads "Prestations familiales et sociales — Caisse d'allocations familiales (CAF)", not
    with the abbreviation twice; a kind that already names its provider is shown alone.
    """
    kind_name, provider_name = kind_name.strip(), provider_name.strip()
    if not provider_name or provider_name.casefold() in kind_name.casefold():
        return kind_name
    match = _TRAILING_ABBREVIATION.search(kind_name)
    if match:
        abbreviation = match.group(1).strip()
        if re.search(rf"(?<!\w){re.escape(abbreviation)}(?!\w)", provider_name):
            kind_name = kind_name[: match.start()]
    return f"{kind_name} — {provider_name}"


class ServiceOffer(models.Model):
    """A kind of service offered at a place by a provider, with its terms."""

    class Fees(models.TextChoices):
        FREE = "free", _("Free")
        PAID = "paid", _("Paid")
        CONDITIONS = "conditions", _("Free under conditions")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        ENDED = "ended", _("Ended")

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="offers", verbose_name=_("place")
    )
    kind = models.ForeignKey(
        ServiceKind, on_delete=models.PROTECT, related_name="offers", verbose_name=_("service")
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="offers", verbose_name=_("provider")
    )
    level = models.CharField(
        _("level of service"), max_length=20, choices=ServiceLevel.choices, blank=True
    )
    mediator_kind = models.CharField(
        _("mediator"), max_length=20, choices=MediationProfile.MediatorKind.choices, blank=True
    )
    audiences = MultipleChoiceField(_("audiences"), choices=Audience.choices)
    fees = models.CharField(_("fees"), max_length=20, choices=Fees.choices, default=Fees.FREE)
    fees_details = models.CharField(_("fee details"), max_length=255, blank=True)
    access_modes = MultipleChoiceField(_("access"), choices=AccessMode.choices)
    appointment_url = models.URLField(_("appointment link"), blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    suspended_until = models.DateField(_("suspended until"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["kind__category__position", "kind__position", "provider__name", "id"]
        verbose_name = _("service offer")
        verbose_name_plural = _("service offers")
        indexes = [
            models.Index(fields=["place", "status"], name="offer_place_status"),
            # "Does this place offer one of these kinds?": probed once per place searched.
            models.Index(fields=["place", "kind"], name="offer_place_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="suspended") | models.Q(suspended_until__isnull=False),
                name="offer_suspended_has_date",
            ),
            # Ended offers are kept for the history, so only live ones must be unique.
            models.UniqueConstraint(
                fields=["place", "kind", "provider"],
                condition=~models.Q(status="ended"),
                name="offer_once_per_place_kind_provider",
                violation_error_message=_(
                    "This provider already offers this service at this place."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} @ {self.place}"

    @property
    def label(self) -> str:
        """The service and its provider, named once (see offer_label)."""
        return offer_label(str(self.kind), self.provider.name)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        if self.status == self.Status.SUSPENDED:
            if self.suspended_until is None:
                errors.setdefault("suspended_until", []).append(
                    _("Give the date until which the offer is suspended.")
                )
        elif self.suspended_until is not None:
            # A date left over from an earlier suspension would mislead readers.
            self.suspended_until = None
        if self.kind_id and not self.kind.active and self._state.adding:
            errors.setdefault("kind", []).append(_("This service kind is no longer offered."))
        if self.fees == self.Fees.CONDITIONS and not self.fees_details.strip():
            errors.setdefault("fees_details", []).append(
                _("Say under which conditions the service is free.")
            )
        if self.appointment_url and AccessMode.APPOINTMENT not in (self.access_modes or []):
            errors.setdefault("appointment_url", []).append(
                _("An appointment link needs the 'by appointment' access mode.")
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def access_mode_labels(self) -> list[str]:
        return self._meta.get_field("access_modes").labels(self.access_modes)

    @property
    def audience_labels(self) -> list[str]:
        return self._meta.get_field("audiences").labels(self.audiences)


class NeedWord(models.Model):
    """A word or phrase residents type ("CAF", "imprimer", "meeting room") and what it means.

    The vocabulary is data, edited by registry admins: `services.vocabulary.interpret` reads
    it to turn a free-text query into service kinds and place typologies. `kinds` holds
    service kind slugs and `typologies` typology codes; either may be empty, not both.
    """

    class Language(models.TextChoices):
        FRENCH = "fr", _("French")
        ENGLISH = "en", _("English")

    phrase = models.CharField(
        _("word or phrase"),
        max_length=80,
        help_text=_("As residents type it; case and accents do not matter."),
    )
    # Lower-case, accent-free, punctuation as spaces: what `interpret` compares with.
    normalized = models.CharField(max_length=80, editable=False, unique=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.FRENCH
    )
    kinds = models.JSONField(_("service kinds"), default=list, blank=True)
    typologies = models.JSONField(_("place typologies"), default=list, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["normalized"]
        verbose_name = _("search word")
        verbose_name_plural = _("search words")

    def __str__(self) -> str:
        return self.phrase

    def clean(self) -> None:
        from services.vocabulary import phrase_key

        errors: dict[str, list] = {}
        self.normalized = phrase_key(self.phrase)
        if not self.normalized:
            errors.setdefault("phrase", []).append(_("Type a word with letters or digits."))
        self.kinds = sorted({str(k) for k in (self.kinds or [])})
        self.typologies = sorted({str(t) for t in (self.typologies or [])})
        known_kinds = set(
            ServiceKind.objects.filter(slug__in=self.kinds).values_list("slug", flat=True)
        )
        unknown = [k for k in self.kinds if k not in known_kinds]
        if unknown:
            errors.setdefault("kinds", []).append(
                _("Unknown service kinds: %(values)s.") % {"values": ", ".join(unknown)}
            )
        unknown = [t for t in self.typologies if t not in Typology.Code.values]
        if unknown:
            errors.setdefault("typologies", []).append(
                _("Unknown typologies: %(values)s.") % {"values": ", ".join(unknown)}
            )
        if not self.kinds and not self.typologies:
            errors.setdefault("kinds", []).append(
                _("Choose at least one service kind or one typology.")
            )
        if (
            self.normalized
            and NeedWord.objects.filter(normalized=self.normalized).exclude(pk=self.pk).exists()
        ):
            errors.setdefault("phrase", []).append(_("This word is already in the vocabulary."))
        if errors:
            raise ValidationError(errors)
