"""The registry: organisations and roles, places, their three profiles, networks, history."""

from __future__ import annotations

import datetime
import unicodedata
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _

from places.fields import MultipleChoiceField
from places.timezones import place_zone_name, validate_time_zone
from places.validators import validate_insee_code, validate_legal_id, validate_postcode


def normalize_text(value: str) -> str:
    """Lower-case, accent-free text used for searching on every database alike."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().replace("œ", "oe").replace("æ", "ae").split())


class Organisation(models.Model):
    class Kind(models.TextChoices):
        CITY = "city", _("City")
        INTERCOMMUNALITY = "intercommunality", _("Intercommunality")
        OPERATOR = "operator", _("Operator association")
        NETWORK = "network", _("Network")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    REGISTRY_ADMIN = "registry_admin", _("Registry admin")
    PLACE_MANAGER = "place_manager", _("Place manager")
    VIEWER = "viewer", _("Viewer")


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )

    class SuggestionEmails(models.TextChoices):
        IMMEDIATE = "immediate", _("One email per suggestion")
        DAILY = "daily", _("A daily digest")
        NONE = "none", _("No email")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # How this person hears of residents' suggestions in this organisation.
    suggestion_emails = models.CharField(
        _("emails about suggestions"),
        max_length=10,
        choices=SuggestionEmails.choices,
        default=SuggestionEmails.IMMEDIATE,
    )
    # The last daily digest sent: the next one lists the suggestions that came after it.
    digest_sent_at = models.DateTimeField(_("last digest sent at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_role_per_org")
        ]
        ordering = ["organisation__name", "user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"


class Typology(models.Model):
    """A kind of shared place, from a controlled list (seeded by a data migration)."""

    class Code(models.TextChoices):
        FRANCE_SERVICES = "france_services", _("France Services")
        EPN = "epn", _("Public digital space (EPN)")
        MEDIATHEQUE = "mediatheque", _("Media library")
        MJC = "mjc", _("MJC / community centre")
        CONCIERGERIE = "conciergerie", _("Concierge service")
        POINT_RELAIS = "point_relais", _("Relay point / multi-service shop")
        COWORKING = "coworking", _("Coworking")
        CANTINE = "cantine", _("Cantine (digital community space)")
        TELECENTRE = "telecentre", _("Telecentre")
        CENTRE_AFFAIRES = "centre_affaires", _("Business centre")
        FABLAB = "fablab", _("Fab lab")
        TECHSHOP = "techshop", _("TechShop")
        REPAIR_CAFE = "repair_cafe", _("Repair café")
        ATELIER_QUARTIER = "atelier_quartier", _("Neighbourhood workshop")
        JARDIN_PARTAGE = "jardin_partage", _("Shared garden")
        FRICHE = "friche", _("Cultural wasteland (friche)")
        OTHER = "other", _("Other")

    # data·inclusion `typologie` values (schema v1) where one exists for the kind.
    DATA_INCLUSION = {
        "france_services": "MUNI",  # refined by the exporter: France Services is its own label
        "epn": "TIERS_LIEUX",
        "mediatheque": "BIB",
        "mjc": "MJC",
        "conciergerie": None,
        "point_relais": None,
        "coworking": "TIERS_LIEUX",
        "cantine": "TIERS_LIEUX",
        "telecentre": "TIERS_LIEUX",
        "centre_affaires": None,
        "fablab": "TIERS_LIEUX",
        "techshop": "TIERS_LIEUX",
        "repair_cafe": "ASSO",
        "atelier_quartier": "TIERS_LIEUX",
        "jardin_partage": "ASSO",
        "friche": "TIERS_LIEUX",
        "other": None,
    }

    code = models.CharField(_("code"), max_length=30, unique=True, choices=Code.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position"]
        verbose_name = _("typology")
        verbose_name_plural = _("typologies")

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        return self.Code(self.code).label

    @property
    def data_inclusion(self) -> str | None:
        return self.DATA_INCLUSION.get(self.code)


class Network(models.Model):
    """A network of places (France Services, charte Fab Lab, Réseau des Cantines...)."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.name


# How often a place's information should be checked, when nobody chose (days).
DEFAULT_UPDATE_EVERY_DAYS = 180


class Place(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Origin(models.TextChoices):
        EXISTING = "existing", _("Existing place that becomes shared")
        CREATED = "created", _("Place transformed or created for sharing")
        RECONQUERED = "reconquered", _("Place reconquered by residents")

    class VerificationMethod(models.TextChoices):
        PHONE = "phone", _("Phone call")
        VISIT = "visit", _("Visit")
        SELF_SERVICE = "self_service", _("Confirmed by the place (self-service)")

    class Wheelchair(models.TextChoices):
        UNKNOWN = "", _("Unknown")
        YES = "yes", _("Yes")
        PARTIAL = "partial", _("Partially")
        NO = "no", _("No")

    public_id = models.UUIDField(
        _("public identifier"), default=uuid.uuid4, unique=True, editable=False
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_description = models.CharField(_("short description"), max_length=280, blank=True)
    description = models.TextField(_("description"), blank=True)
    typologies = models.ManyToManyField(
        Typology, related_name="places", verbose_name=_("typologies")
    )
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )

    address = models.CharField(_("address"), max_length=255, blank=True)
    postcode = models.CharField(
        _("postcode"), max_length=5, blank=True, validators=[validate_postcode]
    )
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    insee_code = models.CharField(
        _("INSEE code"), max_length=5, blank=True, validators=[validate_insee_code], db_index=True
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
    itinerant = models.BooleanField(_("itinerant (bus, mobile desk)"), default=False)
    # Blank: the zone of the place's department (places.timezones); set only to override.
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "Leave empty to use the zone of the place's department (overseas departments "
            "have their own). An IANA name, e.g. America/Cayenne."
        ),
    )

    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)

    wheelchair = models.CharField(
        _("wheelchair access"), max_length=10, choices=Wheelchair.choices, blank=True
    )
    accessibility_notes = models.TextField(_("accessibility details"), blank=True)
    acceslibre_url = models.URLField(_("Acceslibre page"), blank=True)
    legal_id = models.CharField(
        _("SIRET or RNA"), max_length=14, blank=True, validators=[validate_legal_id]
    )

    networks = models.ManyToManyField(
        Network, related_name="places", blank=True, verbose_name=_("networks")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="places",
        verbose_name=_("cataloguing organisation"),
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="managed_places",
        blank=True,
        verbose_name=_("managers"),
    )

    # Freshness: when somebody last confirmed the information, who and how, and how often
    # it should be confirmed. Written by places.freshness, never by the edit form.
    verified_at = models.DateTimeField(_("last verified"), null=True, blank=True, editable=False)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("verified by"),
    )
    verification_method = models.CharField(
        _("verification method"),
        max_length=20,
        choices=VerificationMethod.choices,
        blank=True,
        editable=False,
    )
    update_every_days = models.PositiveSmallIntegerField(
        _("update frequency (days)"),
        default=DEFAULT_UPDATE_EVERY_DAYS,
        validators=[MinValueValidator(7), MaxValueValidator(730)],
        editable=False,
    )
    # The day the information is due for a check: last verification (or creation) plus
    # the frequency. Kept in step by save() so that lists filter and sort on one column.
    verification_due_on = models.DateField(
        _("verification due on"), null=True, blank=True, editable=False, db_index=True
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Accent- and case-free copy of the searchable text, kept in step by save().
    search_text = models.TextField(editable=False, default="")

    class Meta:
        ordering = ["name"]
        verbose_name = _("place")
        verbose_name_plural = _("places")
        indexes = [
            models.Index(fields=["latitude", "longitude"], name="place_lat_lon"),
            # Public searches ask for published places in a box: one index answers both
            # (and every status lookup, as its first column).
            models.Index(fields=["status", "latitude", "longitude"], name="place_status_lat_lon"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(latitude__isnull=True, longitude__isnull=True)
                    | models.Q(latitude__isnull=False, longitude__isnull=False)
                ),
                name="place_lat_lon_together",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.refresh_derived_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "verification_due_on" not in update_fields:
            kwargs["update_fields"] = [*update_fields, "verification_due_on"]
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("manage:place_detail", args=[self.public_id])

    def refresh_derived_fields(self) -> None:
        """The columns computed from others: the search copy and the verification due date
        (save() calls it; bulk inserts, which skip save(), call it themselves)."""
        self.refresh_search_text()
        self.verification_due_on = self.compute_verification_due_on()

    def refresh_search_text(self) -> None:
        """Keep the normalised copy searched by the directory in step (save() calls it;
        bulk inserts, which skip save(), call it themselves)."""
        self.search_text = normalize_text(
            " ".join(filter(None, [self.name, self.short_description, self.commune, self.address]))
        )

    def clean(self) -> None:
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(
                {
                    "longitude" if self.longitude is None else "latitude": _(
                        "Give both latitude and longitude, or neither."
                    )
                }
            )

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    def compute_verification_due_on(self) -> datetime.date:
        """The last check (or the creation, or today) plus the expected update frequency."""
        since = self.verified_at or self.created_at or django_timezone.now()
        return django_timezone.localdate(since) + datetime.timedelta(
            days=self.update_every_days or DEFAULT_UPDATE_EVERY_DAYS
        )

    @property
    def zone_name(self) -> str:
        """The IANA zone its opening hours are written in (set by staff, else derived)."""
        return place_zone_name(self)


class PlaceSlugAlias(models.Model):
    """An earlier slug of a renamed place, so that old links keep working."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="slug_aliases")
    slug = models.SlugField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class ExternalId(models.Model):
    """A place's identifier in another source (an import, a national registry)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="external_ids")
    source = models.CharField(_("source"), max_length=60)
    external_id = models.CharField(_("identifier"), max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="external_id_once")
        ]
        verbose_name = _("external identifier")
        verbose_name_plural = _("external identifiers")

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"


class ServiceLevel(models.TextChoices):
    INFORMATION = "information", _("Information and forms")
    PARTIAL = "partial", _("Part of the file processed")
    FULL = "full", _("Full service")


class MediationProfile(models.Model):
    """Mediation and access to services."""

    class MediatorKind(models.TextChoices):
        MULTI_DOMAIN = "multi_domain", _("Multi-domain mediator")
        SPECIALISED = "specialised", _("Specialised mediators")
        ASSOCIATIONS = "associations", _("Associations")
        PEER_HELP = "peer_help", _("Mutual help between users")

    class Sector(models.TextChoices):
        PUBLIC = "public", _("Public")
        PRIVATE = "private", _("Private")
        ASSOCIATIVE = "associative", _("Associative")

    class Access(models.TextChoices):
        WALK_IN = "walk_in", _("Walk-in")
        APPOINTMENT = "appointment", _("Appointment needed")
        BOTH = "both", _("Walk-in or appointment")

    place = models.OneToOneField(Place, on_delete=models.CASCADE, related_name="mediation")
    service_levels = MultipleChoiceField(_("levels of service"), choices=ServiceLevel.choices)
    mediator_kinds = MultipleChoiceField(_("mediators"), choices=MediatorKind.choices)
    service_sectors = MultipleChoiceField(_("combination of services"), choices=Sector.choices)
    access = models.CharField(_("access"), max_length=20, choices=Access.choices, blank=True)

    class Meta:
        verbose_name = _("mediation and access profile")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name}: {self.place}"


class WorkProfile(models.Model):
    """Work and entrepreneurship."""

    class Coloration(models.TextChoices):
        OPEN_TO_ALL = "open_to_all", _("Open to all workers")
        DIGITAL = "digital", _("Digital")
        INNOVATION = "innovation", _("Innovation")
        SOCIAL_ECONOMY = "social_economy", _("Social and solidarity economy")
        NOMADS = "nomads", _("Nomad workers")
        PUBLIC_AGENTS = "public_agents", _("Public agents")
        SALES = "sales", _("Sales staff")
        TECHNICIANS = "technicians", _("Technicians")

    class Occupancy(models.TextChoices):
        LONG_TERM = "long_term", _("Long-term (months, years)")
        SHORT_TERM = "short_term", _("Short-term")
        REGULAR = "regular", _("Regular")
        OCCASIONAL = "occasional", _("Occasional")

    class Animation(models.TextChoices):
        STRONG = "strong", _("Strong")
        COMMUNITY = "community", _("By the community")
        WEAK = "weak", _("Weak")

    place = models.OneToOneField(Place, on_delete=models.CASCADE, related_name="work")
    colorations = MultipleChoiceField(_("coloration"), choices=Coloration.choices)
    occupancy_terms = MultipleChoiceField(_("occupancy terms"), choices=Occupancy.choices)
    animation = models.CharField(
        _("animation"), max_length=20, choices=Animation.choices, blank=True
    )
    desks = models.PositiveIntegerField(_("desks"), null=True, blank=True)
    meeting_rooms = models.PositiveIntegerField(_("meeting rooms"), null=True, blank=True)
    equipment = models.TextField(_("equipment"), blank=True)

    class Meta:
        verbose_name = _("work and entrepreneurship profile")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name}: {self.place}"


class CreationProfile(models.Model):
    """Creation and projects."""

    class Activity(models.TextChoices):
        FREE_ACCESS = "free_access", _("Free access")
        WORKSHOPS = "workshops", _("Workshops and trainings")
        INDIVIDUAL_SERVICES = "individual_services", _("Services to individuals")
        COMPANY_SERVICES = "company_services", _("Services to companies")
        EQUIPMENT_RENTAL = "equipment_rental", _("Equipment rental")
        EVENTS = "events", _("Events or private workshops")
        PROJECT_SUPPORT = "project_support", _("Project support")

    class OpeningMode(models.TextChoices):
        OPEN = "open", _("Open and public")
        SEMI_OPEN = "semi_open", _("Semi-open")
        PRIVATE_SLOTS = "private_slots", _("Private but open on some slots")
        SUBSCRIPTION = "subscription", _("Private by subscription")

    class Frequency(models.TextChoices):
        PERMANENT = "permanent", _("Permanently")
        WEEKENDS = "weekends", _("Weekends")
        EVENINGS = "evenings", _("Evenings")
        HOLIDAYS = "holidays", _("Holidays")

    class AnimatedBy(models.TextChoices):
        MEDIATORS = "mediators", _("Mediators")
        ANIMATORS = "animators", _("Animators")
        USERS = "users", _("Users")

    place = models.OneToOneField(Place, on_delete=models.CASCADE, related_name="creation")
    activities = MultipleChoiceField(_("activities"), choices=Activity.choices)
    opening_mode = models.CharField(
        _("opening mode"), max_length=20, choices=OpeningMode.choices, blank=True
    )
    opening_frequencies = MultipleChoiceField(_("opening frequency"), choices=Frequency.choices)
    animated_by = MultipleChoiceField(_("animation by"), choices=AnimatedBy.choices)
    machines = models.TextField(_("machines and tools"), blank=True)

    class Meta:
        verbose_name = _("creation and projects profile")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name}: {self.place}"


PROFILE_MODELS = {
    "mediation": MediationProfile,
    "work": WorkProfile,
    "creation": CreationProfile,
}


class ChangeRecord(models.Model):
    """One recorded write: who changed what on which record of a place, and from what."""

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")
        STATUS = "status", _("Status changed")

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="changes", null=True, blank=True
    )
    # What was written: "place", "mediation", "offer:12"... free enough for every app.
    target = models.CharField(max_length=80)
    action = models.CharField(max_length=10, choices=Action.choices)
    # {field: [old, new]} in JSON-friendly form.
    changes = models.JSONField(default=dict)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # Where the write came from: "staff", "api:<token>", "import:<source>", "suggestion:<id>".
    source = models.CharField(max_length=120, default="staff")
    # The place's version this write produced, so a conflict can list what came after.
    version = models.PositiveIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["place", "version"], name="change_place_version")]

    def __str__(self) -> str:
        return f"{self.target} {self.action} by {self.user} at {self.created_at:%Y-%m-%d %H:%M}"


class Suggestion(models.Model):
    """A resident's proposal: a correction to a place, or a place missing from the registry.

    Residents need no account. Staff accept (possibly after editing) or reject it; an
    accepted suggestion is applied through the place actions with the source
    "suggestion:<id>", so the place history shows where the change came from.
    """

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        NEW_PLACE = "new_place", _("New place")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The corrected place; for a new place, the place created when it is accepted.
    place = models.ForeignKey(
        Place,
        on_delete=models.CASCADE,
        related_name="suggestions",
        null=True,
        blank=True,
        verbose_name=_("place"),
    )
    # Proposed values keyed by place field (places.actions.PLACE_FIELDS) and "typologies",
    # in JSON-friendly form (decimals as text, typologies as a list of codes).
    data = models.JSONField(_("proposed data"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewer"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # A keyed hash of the submitter's IP address: enough to spot abuse, not the address.
    submitter_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        indexes = [models.Index(fields=["status", "created_at"], name="suggestion_status")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="correction") | models.Q(place__isnull=False),
                name="suggestion_correction_has_place",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Reminder(models.Model):
    """A request sent to a place's manager to confirm or correct its information.

    One per place, address and period (the day the place fell due), so a daily cron run
    never sends the same reminder twice; a renewal (the person asked for a new link) is
    the only other reminder allowed in the period. The emailed link is signed and
    expires (places.freshness); `used_at` makes it single-use.
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        BOUNCED = "bounced", _("Refused by the mail server")
        FAILED = "failed", _("Not sent (mail server error)")

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    email = models.EmailField(_("email"))
    due_on = models.DateField(_("period"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error = models.TextField(_("error"), blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    renewal_of = models.OneToOneField(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="renewal"
    )

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "email", "due_on"],
                condition=models.Q(renewal_of__isnull=True),
                name="one_reminder_per_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.place} -> {self.email} ({self.due_on})"


class BouncedAddress(models.Model):
    """An address mail to which was refused, at once by our server or later by a delivery
    status notification (`manage.py record_bounces`).

    A permanent failure (SMTP 5xx, DSN status 5.x.x) blocks the address at once; transient
    ones (4xx, 4.x.x) are counted and block it from BOUNCE_TRANSIENT_LIMIT on. Nothing is
    sent to a blocked address until staff clear it (see docs/decisions/0025).
    """

    email = models.EmailField(_("email"), unique=True)
    error = models.TextField(_("error"), blank=True)
    status = models.CharField(_("status code"), max_length=16, blank=True)
    permanent = models.BooleanField(_("permanent failure"), default=True)
    transient_count = models.PositiveIntegerField(_("temporary failures"), default=0)
    first_bounced_at = models.DateTimeField(_("first refused at"), auto_now_add=True)
    last_bounced_at = models.DateTimeField(_("last refused at"), auto_now=True)
    count = models.PositiveIntegerField(_("times refused"), default=1)

    class Meta:
        ordering = ["email"]
        verbose_name = _("refused address")
        verbose_name_plural = _("refused addresses")

    def __str__(self) -> str:
        return self.email


class OrganisationEvent(models.Model):
    """Who did what to an organisation's people and partner access, and when.

    Written only by the domain actions (places.actions.organisation_event_record, called
    from the membership, token, webhook, import and bulk actions); read by the
    organisation's activity page. The record outlives what it names: `target` is a label
    kept as text, not a foreign key.
    """

    class Kind(models.TextChoices):
        MEMBERSHIP = "membership", _("Membership")
        TOKEN = "token", _("Partner token")
        WEBHOOK = "webhook", _("Webhook")
        IMPORT = "import", _("Import")
        BULK = "bulk", _("Bulk action")
        EMAIL = "email", _("Refused email address")

    class Action(models.TextChoices):
        ADDED = "added", _("Added")
        CHANGED = "changed", _("Changed")
        REMOVED = "removed", _("Removed")
        CREATED = "created", _("Created")
        REVOKED = "revoked", _("Revoked")
        DELETED = "deleted", _("Deleted")
        RUN = "run", _("Run")
        CLEARED = "cleared", _("Cleared")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    # What the event is about, as it was named then: "alice", "token Mairie (lp_ab12)"...
    target = models.CharField(_("about"), max_length=200)
    # Short details, data rather than prose: "editor → registry_admin", "3 done, 1 refused".
    summary = models.CharField(_("details"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("organisation event")
        verbose_name_plural = _("organisation events")
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="org_event_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.kind} {self.action} {self.target}"
