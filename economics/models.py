"""Spaces and their sharing offers, budgets, attendance and occupancy of a place."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from places.fields import MultipleChoiceField
from places.models import Organisation, Place
from services.models import Audience, Provider

MIN_YEAR = 2000
MAX_YEAR = 2100


class Visibility(models.TextChoices):
    """Who may read a figure or a line: staff by default, partners (tokens), or everyone."""

    PUBLIC = "public", _("Public")
    PARTNERS = "partners", _("Partners")
    STAFF = "staff", _("Staff only")


# Audience -> the visibilities it may read.
VISIBLE_TO = {
    "public": (Visibility.PUBLIC,),
    "partners": (Visibility.PUBLIC, Visibility.PARTNERS),
    "staff": (Visibility.PUBLIC, Visibility.PARTNERS, Visibility.STAFF),
}


class Space(models.Model):
    """A room, a desk, a machine... of a place, with its capacity."""

    class Kind(models.TextChoices):
        ROOM = "room", _("Room")
        OPEN_SPACE = "open_space", _("Open space")
        DESK = "desk", _("Desk")
        MEETING_ROOM = "meeting_room", _("Meeting room")
        MACHINE = "machine", _("Machine")
        WORKSHOP = "workshop", _("Workshop")
        GARDEN_PLOT = "garden_plot", _("Garden plot")
        KITCHEN = "kitchen", _("Kitchen")
        OTHER = "other", _("Other")

    class Unit(models.TextChoices):
        PEOPLE = "people", _("people")
        UNITS = "units", _("units")

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="spaces", verbose_name=_("place")
    )
    name = models.CharField(_("name"), max_length=160)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    capacity = models.PositiveIntegerField(
        _("capacity"), validators=[MinValueValidator(1)], help_text=_("People or units at once.")
    )
    capacity_unit = models.CharField(
        _("capacity in"), max_length=10, choices=Unit.choices, default=Unit.PEOPLE
    )
    area_m2 = models.DecimalField(
        _("area (m²)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    bookable = models.BooleanField(_("bookable"), default=False)
    description = models.TextField(_("description"), blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.STAFF
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["place_id", "name", "id"]
        verbose_name = _("space")
        verbose_name_plural = _("spaces")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class SharingOffer(models.Model):
    """A space opened to other actors: when (rules), on what terms, for whom.

    The times are rule dicts in the format of scheduling.rules, kept here rather than in a
    scheduling.Schedule so that sharing a room never makes the place look open to the
    public (see docs/decisions/0007-space-sharing-times.md).
    """

    class Terms(models.TextChoices):
        FREE = "free", _("Free")
        PER_HOUR = "per_hour", _("Price per hour")
        PER_DAY = "per_day", _("Price per day")
        PER_MONTH = "per_month", _("Price per month")

    space = models.OneToOneField(
        Space, on_delete=models.CASCADE, related_name="sharing", verbose_name=_("space")
    )
    rules = models.JSONField(_("times"), default=list)
    public_holidays_closed = models.BooleanField(_("not shared on public holidays"), default=True)
    terms = models.CharField(_("terms"), max_length=10, choices=Terms.choices, default=Terms.FREE)
    price = models.DecimalField(
        _("price (EUR)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    conditions = models.TextField(_("conditions"), blank=True)
    audiences = MultipleChoiceField(_("for whom"), choices=Audience.choices)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.STAFF
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    show_spare = models.BooleanField(
        _("show the free times publicly"),
        default=False,
        help_text=_(
            "Publish when the space is still free this month (sharing times minus accepted "
            "uses) on its page and in the API."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sharing offer")
        verbose_name_plural = _("sharing offers")

    def __str__(self) -> str:
        return f"sharing of {self.space}"

    @property
    def audience_labels(self) -> list[str]:
        return self._meta.get_field("audiences").labels(self.audiences)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        if self.terms == self.Terms.FREE and self.price not in (None, Decimal("0")):
            errors.setdefault("price", []).append(_("A free offer has no price."))
        if self.terms != self.Terms.FREE and self.price is None:
            errors.setdefault("price", []).append(_("Give the price in euros."))
        if errors:
            raise ValidationError(errors)


class SpaceRequest(models.Model):
    """A request to use a shared space: one time range, or the same range every week.

    Times are stored in UTC; a weekly series repeats the first occurrence's local
    wall-clock times until `repeat_until` (economics/bookings.py). The requester needs no
    account: they follow the request with a signed link built from `public_id`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the place's answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        PROPOSED = "proposed", _("Another time proposed")
        CANCELLED = "cancelled", _("Cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    space = models.ForeignKey(
        Space, on_delete=models.CASCADE, related_name="requests", verbose_name=_("space")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    repeat_until = models.DateField(_("every week until"), null=True, blank=True)
    people = models.PositiveIntegerField(_("number of people"), validators=[MinValueValidator(1)])
    purpose = models.TextField(_("purpose"), max_length=2000)
    name = models.CharField(_("name"), max_length=160)
    email = models.EmailField(_("email"))
    association = models.CharField(_("association or group"), max_length=160, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    proposed_start = models.DateTimeField(_("proposed start"), null=True, blank=True)
    proposed_end = models.DateTimeField(_("proposed end"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=60, default="web")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("space request")
        verbose_name_plural = _("space requests")
        indexes = [models.Index(fields=["status", "start"], name="space_request_status_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="space_request_ends_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.space_id} {self.start:%Y-%m-%d %H:%M} {self.status}"


class SpaceUse(models.Model):
    """An accepted use of a space: one calendar row per occurrence, in UTC.

    Written only by the acceptance of a SpaceRequest; blocks the space in "free at"
    searches and counts in occupancy (booked hours).
    """

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="uses")
    request = models.ForeignKey(SpaceRequest, on_delete=models.CASCADE, related_name="uses")
    start = models.DateTimeField()
    end = models.DateTimeField()
    people = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["space", "start"], name="space_use_space_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="space_use_ends_after"
            ),
            # Two uses of a space never start together (the overlap check is in the action,
            # under a lock of the space; this is the database's last word on the commonest
            # conflict: the same slot accepted twice).
            models.UniqueConstraint(fields=["space", "start"], name="space_use_once_per_start"),
        ]

    def __str__(self) -> str:
        return f"{self.space_id} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


class CostCategory(models.TextChoices):
    PREMISES = "premises", _("Premises and rent")
    STAFF = "staff", _("Staff")
    EQUIPMENT = "equipment", _("Equipment and maintenance")
    ENERGY = "energy", _("Energy and fluids")
    INSURANCE = "insurance", _("Insurance")
    IT = "it", _("IT and telecom")
    EVENTS = "events", _("Animation and events")
    OTHER = "other", _("Other costs")


class RevenueCategory(models.TextChoices):
    SUBSIDY_COMMUNE = "subsidy_commune", _("Public subsidy: commune")
    SUBSIDY_INTERCOMMUNALITY = "subsidy_intercommunality", _("Public subsidy: intercommunality")
    SUBSIDY_DEPARTMENT = "subsidy_department", _("Public subsidy: department")
    SUBSIDY_REGION = "subsidy_region", _("Public subsidy: region")
    SUBSIDY_STATE = "subsidy_state", _("Public subsidy: State")
    SUBSIDY_EU = "subsidy_eu", _("Public subsidy: European Union")
    SUBSIDY_OTHER_PUBLIC = "subsidy_other_public", _("Public subsidy: other public body")
    SPONSORING = "sponsoring", _("Private sponsoring and foundations")
    PROVIDER_CONTRIBUTIONS = "provider_contributions", _("Contributions of hosted providers")
    SPACE_RENTAL = "space_rental", _("Space rental")
    EQUIPMENT_RENTAL = "equipment_rental", _("Equipment rental")
    MEMBERSHIPS = "memberships", _("Memberships and subscriptions")
    TRAINING = "training", _("Training")
    EVENT_HOSTING = "event_hosting", _("Event hosting")
    SALES = "sales", _("Sales of production")
    CROWDFUNDING = "crowdfunding", _("Crowdfunding")
    IN_KIND = "in_kind", _("In-kind contributions (valued)")


PUBLIC_REVENUES = frozenset(c for c in RevenueCategory.values if c.startswith("subsidy_"))
# Revenues the place earns by its own activity (docs/economics.md).
OWN_REVENUES = frozenset(
    {
        "provider_contributions",
        "space_rental",
        "equipment_rental",
        "memberships",
        "training",
        "event_hosting",
        "sales",
    }
)


class BudgetLine(models.Model):
    """One cost or revenue line of a place's budget for a year, actual or forecast."""

    class Scenario(models.TextChoices):
        ACTUAL = "actual", _("Actual")
        FORECAST = "forecast", _("Forecast")

    class Direction(models.TextChoices):
        COST = "cost", _("Cost")
        REVENUE = "revenue", _("Revenue")

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="budget_lines", verbose_name=_("place")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    scenario = models.CharField(
        _("scenario"), max_length=10, choices=Scenario.choices, default=Scenario.ACTUAL
    )
    direction = models.CharField(_("cost or revenue"), max_length=10, choices=Direction.choices)
    category = models.CharField(
        _("category"), max_length=30, choices=CostCategory.choices + RevenueCategory.choices
    )
    funder_provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="budget_lines",
        verbose_name=_("funder or partner (provider)"),
    )
    funder_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funded_budget_lines",
        verbose_name=_("funder or partner (organisation)"),
    )
    label = models.CharField(_("label"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("amount (EUR)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.STAFF
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["place_id", "year", "scenario", "direction", "category", "id"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        indexes = [models.Index(fields=["year", "scenario"], name="budget_year_scenario")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="budget_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(year__gte=MIN_YEAR, year__lte=MAX_YEAR),
                name="budget_year_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(funder_provider__isnull=True)
                | models.Q(funder_organisation__isnull=True),
                name="budget_one_funder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.direction} {self.category} {self.amount}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        allowed = CostCategory.values if self.direction == "cost" else RevenueCategory.values
        if self.direction and self.category and self.category not in allowed:
            errors.setdefault("category", []).append(
                _("“%(c)s” is not a %(d)s category.")
                % {"c": self.category, "d": self.get_direction_display().lower()}
            )
        if self.funder_provider_id and self.funder_organisation_id:
            errors.setdefault("funder_organisation", []).append(
                _("Name the funder as a provider or as an organisation, not both.")
            )
        if errors:
            raise ValidationError(errors)

    @property
    def funder(self):
        return self.funder_provider or self.funder_organisation

    @property
    def funder_key(self) -> str | None:
        if self.funder_provider_id:
            return f"provider:{self.funder_provider_id}"
        if self.funder_organisation_id:
            return f"organisation:{self.funder_organisation_id}"
        return None


class Attendance(models.Model):
    """Visits and uses of a place (or of one of its spaces) on a day or in a slot."""

    place = models.ForeignKey(
        Place, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("place")
    )
    space = models.ForeignKey(
        Space,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attendance",
        verbose_name=_("space"),
    )
    date = models.DateField(_("date"))
    slot_start = models.TimeField(_("slot start"), null=True, blank=True)
    slot_end = models.TimeField(_("slot end"), null=True, blank=True)
    visits = models.PositiveIntegerField(_("visits"), default=0)
    uses = models.PositiveIntegerField(_("uses"), default=0)
    # Capacity-hours used: people (or units) × hours, e.g. 3 people for 2 h = 6.
    hours_used = models.DecimalField(
        _("capacity-hours used"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=Visibility.choices, default=Visibility.STAFF
    )
    source = models.CharField(_("source"), max_length=60, default="staff")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["date", "slot_start", "id"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        indexes = [models.Index(fields=["place", "date"], name="attendance_place_date")]

    def __str__(self) -> str:
        return f"{self.place_id} {self.date} {self.visits}/{self.uses}"

    def clean(self) -> None:
        super().clean()
        if (self.slot_start is None) != (self.slot_end is None):
            raise ValidationError({"slot_end": _("Give both ends of the slot, or neither.")})
        if self.slot_start is not None and self.slot_end <= self.slot_start:
            raise ValidationError({"slot_end": _("The slot ends before it starts.")})
        if self.space_id and self.place_id and self.space.place_id != self.place_id:
            raise ValidationError({"space": _("This space belongs to another place.")})


class OccupancyMonth(models.Model):
    """Derived: a place's offered and used capacity-hours in one month, with the heat map.

    Refreshed by the actions whenever attendance or spaces of the month change, so that
    the territory dashboard reads a fixed number of rows per place instead of evaluating
    every calendar (the materialised calendar only covers the coming months).
    """

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="occupancy_months")
    month = models.DateField()  # first day of the month
    offered_hours = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    used_hours = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    open_hours = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    visits = models.PositiveIntegerField(default=0)
    uses = models.PositiveIntegerField(default=0)
    # Hours the place's spaces are shared, and booked by accepted requests (SpaceUse).
    shared_hours = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    booked_hours = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    # {"offered": 7×24 capacity-hours, "used": 7×24 capacity-hours}, Monday first, local hours.
    heat = models.JSONField(default=dict)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["place_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["place", "month"], name="occupancy_once_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.place_id} {self.month:%Y-%m}"
