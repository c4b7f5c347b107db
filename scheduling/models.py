"""Opening hours: schedules (rules or OSM text), dated exceptions, the materialised calendar."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from places.models import Place


class Schedule(models.Model):
    """The opening hours of a place, or the availability of one service offer at its place."""

    class Mode(models.TextChoices):
        RULES = "rules", _("Structured rules")
        OSM = "osm", _("OSM opening_hours text")

    class HolidayZone(models.TextChoices):
        DERIVED = "", _("From the place's department")
        A = "A", _("Zone A")
        B = "B", _("Zone B")
        C = "C", _("Zone C")

    class PublicHolidays(models.TextChoices):
        CLOSED = "closed", _("Closed on public holidays")
        OPEN = "open", _("Usual hours on public holidays")
        SPECIAL = "special", _("Special hours on public holidays")

    place = models.OneToOneField(
        Place,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedule",
        verbose_name=_("place"),
    )
    offer = models.OneToOneField(
        "services.ServiceOffer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedule",
        verbose_name=_("service offer"),
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.RULES)
    # Validated by scheduling.rules; see docs/scheduling.md for the shape.
    rules = models.JSONField(_("rules"), default=list, blank=True)
    public_holidays = models.CharField(
        _("on public holidays"),
        max_length=10,
        choices=PublicHolidays.choices,
        default=PublicHolidays.CLOSED,
    )
    holiday_times = models.JSONField(_("hours on public holidays"), default=list, blank=True)
    osm_source = models.TextField(
        _("OSM opening_hours"),
        blank=True,
        help_text=_("The original string, kept as imported."),
    )
    holiday_zone = models.CharField(
        _("school-holiday zone"),
        max_length=1,
        choices=HolidayZone.choices,
        blank=True,
        default=HolidayZone.DERIVED,
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(place__isnull=False, offer__isnull=True)
                    | models.Q(place__isnull=True, offer__isnull=False)
                ),
                name="schedule_place_xor_offer",
                violation_error_message=_("A schedule belongs to a place or to an offer."),
            ),
        ]

    def __str__(self) -> str:
        return f"schedule of {self.offer if self.offer_id else self.place}"

    @property
    def target(self) -> str:
        """The history target, e.g. "schedule:place" or "schedule:offer:12"."""
        return f"schedule:offer:{self.offer_id}" if self.offer_id else "schedule:place"

    @property
    def owner_place(self) -> Place:
        return self.offer.place if self.offer_id else self.place

    def clean(self) -> None:
        super().clean()
        if (self.place_id is None) == (self.offer_id is None):
            raise ValidationError(_("A schedule belongs either to a place or to an offer."))
        if self.mode == self.Mode.OSM and not self.osm_source.strip():
            raise ValidationError({"osm_source": _("Give the OSM opening_hours text.")})


class ScheduleException(models.Model):
    """A dated change to a schedule: a closure, an extra opening, or a one-off event."""

    class Kind(models.TextChoices):
        CLOSURE = "closure", _("Closure")
        EXTRA_OPENING = "extra_opening", _("Extra opening")
        EVENT = "event", _("Event")

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("schedule")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    title = models.CharField(
        _("title or reason"),
        max_length=200,
        blank=True,
        help_text=_("Shown to residents, e.g. “Closed for inventory”."),
    )
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["start_date", "start_time", "id"]
        verbose_name = _("schedule exception")
        verbose_name_plural = _("schedule exceptions")
        indexes = [models.Index(fields=["schedule", "end_date"], name="exception_sched_end")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list] = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors.setdefault("end_date", []).append(_("The end date is before the start date."))
        if (self.start_time is None) != (self.end_time is None):
            errors.setdefault("end_time", []).append(_("Give both times, or neither."))
        elif self.start_time is not None:
            single_day = self.start_date == self.end_date
            if (single_day or self.kind != self.Kind.CLOSURE) and self.end_time <= self.start_time:
                errors.setdefault("end_time", []).append(_("The end time is before the start."))
        if self.kind == self.Kind.CLOSURE and not self.title.strip():
            errors.setdefault("title", []).append(
                _("Say why the place is closed: residents will read it.")
            )
        if self.kind == self.Kind.EVENT and not self.title.strip():
            errors.setdefault("title", []).append(_("Give the event a title."))
        if errors:
            raise ValidationError(errors)


class OpeningIntervalQuerySet(models.QuerySet):
    def general_hours(self) -> OpeningIntervalQuerySet:
        """Rows of the places' own hours (no offer).

        Written `offer_id + 0 IS NULL`, which no index can serve, on purpose: most rows
        have no offer, and with statistics sampled by ANALYZE SQLite takes `offer_id IS
        NULL` for a selective lookup on the offer index and reads every such row (884,000
        at 10,000 places, 90 ms for one place's rows) instead of the place's few hundred.
        """
        return self.alias(
            own_hours=models.ExpressionWrapper(
                models.F("offer_id") + 0, output_field=models.BigIntegerField()
            )
        ).filter(own_hours__isnull=True)


class OpeningInterval(models.Model):
    """One materialised piece of the calendar, in UTC, never longer than one local day.

    Rows are derived data: the actions rebuild them from the schedules, in the same
    transaction as every schedule change, over the window kept in CalendarWindow.
    """

    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        EVENT = "event", _("Event")
        CLOSED = "closed", _("Closed by exception")

    # No single-column indexes: (place, start) and (offer, start) below serve those lookups,
    # and every index costs on the millions of rows a full rebuild writes. No foreign-key
    # constraint in the database either: checking two keys for each of ~2 million rows was
    # a third of a full rebuild on PostgreSQL. Deleting a place or an offer still deletes
    # its rows (Django's CASCADE); rows written meanwhile by a rebuild go with the place's
    # next rebuild, or, for a deleted place, with `rebuild_calendar`'s sweep.
    place = models.ForeignKey(
        Place,
        on_delete=models.CASCADE,
        related_name="opening_intervals",
        db_index=False,
        db_constraint=False,
    )
    offer = models.ForeignKey(
        "services.ServiceOffer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="opening_intervals",
        db_index=False,
        db_constraint=False,
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OPEN)
    comment = models.CharField(max_length=200, blank=True)

    objects = OpeningIntervalQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [
            # "open at T": start in (T - one day, T], then end > T — a bounded range scan.
            models.Index(fields=["start", "end"], name="interval_start_end"),
            models.Index(fields=["place", "start"], name="interval_place_start"),
            models.Index(fields=["offer", "start"], name="interval_offer_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="interval_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.start.isoformat()} – {self.end.isoformat()}"


class CalendarWindow(models.Model):
    """The single row saying which local dates the materialised calendar covers.

    `start`..`end` (end exclusive) is guaranteed for every place; `build_end` is what
    rebuilds materialise up to. They differ only while `rebuild_calendar` rolls the window.
    """

    start = models.DateField()
    end = models.DateField()
    build_end = models.DateField()
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.start} – {self.end}"
