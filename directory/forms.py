"""The residents' search form: every filter in plain words, read from the query string."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from places.communes import resolve_location, zone_name_at
from places.models import Typology
from places.timezones import zone
from services.needs import need_choices

PROFILE_CHOICES = [
    ("mediation", _("Help with procedures and services")),
    ("work", _("A place to work")),
    ("creation", _("Making, learning and projects")),
]
RADIUS_CHOICES = [
    ("1", _("1 km")),
    ("2", _("2 km")),
    ("5", _("5 km")),
    ("10", _("10 km")),
    ("20", _("20 km")),
    ("50", _("50 km")),
]
DEFAULT_RADIUS = "5"
OPEN_CHOICES = [
    ("", _("Any time")),
    ("now", _("Open now")),
    ("at", _("Open on a given day and time")),
]
VIEW_CHOICES = [("list", _("List")), ("map", _("Map"))]


class WhereMixin:
    """A typed commune, postcode or address read into the search point."""

    def _clean_where(self, data):
        """A typed commune, postcode or address becomes the search point (lat/lon).

        The typed text wins over coordinates also present: it is what the person sees in
        the form ("near me" and the map empty it when they set a point).
        """
        where = data.get("where")
        if not where or "where" in self.errors:
            return
        self.location = resolve_location(where)
        if self.location.found:
            data["lat"], data["lon"] = self.location.point
            self.errors.pop("lon", None)
            return
        message = self.location.message
        if self.location.suggestions:
            message = _("%(message)s Did you mean: %(names)s?") % {
                "message": message,
                "names": ", ".join(self.location.suggestions),
            }
        self.add_error("where", message)

    @property
    def point(self) -> tuple[float, float] | None:
        data = self.cleaned_data
        if data.get("lat") is None or data.get("lon") is None:
            return None
        return data["lat"], data["lon"]

    @property
    def radius_km(self) -> float:
        return float(self.cleaned_data.get("radius") or DEFAULT_RADIUS)

    def point_zone(self):
        """The clock of the place searched around: a typed time is a time there."""
        point = self.point
        return zone(zone_name_at(*point) if point is not None else settings.TIME_ZONE)

    def wanted_instant(self, now: datetime.datetime, named=None) -> datetime.datetime | None:
        """A time named in the words (`named`, a `services.vocabulary.When`: "ouvert
        samedi"), read on the clock where the person searches; None when none is named."""
        if named is None:
            return None
        return named.at(timezone.localtime(now, self.point_zone()))


class SearchForm(WhereMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    need = forms.MultipleChoiceField(
        label=_("What I need"), required=False, widget=forms.CheckboxSelectMultiple
    )
    profile = forms.MultipleChoiceField(
        label=_("Kind of place"),
        required=False,
        choices=PROFILE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    typology = forms.MultipleChoiceField(
        label=_("Type of place"),
        required=False,
        choices=Typology.Code.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    network = forms.MultipleChoiceField(
        label=_("Network"), required=False, widget=forms.CheckboxSelectMultiple
    )
    where = forms.CharField(
        label=_("Where? Commune, postcode or address"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    commune = forms.ChoiceField(label=_("Commune"), required=False)
    open = forms.ChoiceField(
        label=_("When"), required=False, choices=OPEN_CHOICES, widget=forms.RadioSelect
    )
    date = forms.DateField(
        label=_("Day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter a date such as 2026-12-24.")},
    )
    time = forms.TimeField(
        label=_("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Enter a time such as 14:30.")},
    )
    free = forms.BooleanField(label=_("Free services only"), required=False)
    wheelchair = forms.BooleanField(label=_("Wheelchair accessible"), required=False)
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    radius = forms.ChoiceField(
        label=_("Distance"),
        required=False,
        choices=RADIUS_CHOICES,
        initial=DEFAULT_RADIUS,
        error_messages={"invalid_choice": _("Choose a distance among 1, 2, 5, 10, 20 and 50 km.")},
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"invalid": _("The page number must be a whole number.")},
    )

    def __init__(self, data=None, *, networks=(), communes=(), **kwargs):
        super().__init__(data, **kwargs)
        # What `where` resolved to (places.communes.Resolution), once the form is cleaned.
        self.location = None
        self.fields["need"].choices = need_choices()
        self.fields["network"].choices = [(n.slug, n.name) for n in networks]
        self.fields["commune"].choices = [("", _("All communes")), *communes]

    def clean(self):
        data = super().clean()
        if (data.get("lat") is None) != (data.get("lon") is None):
            self.add_error("lon", _("Give both latitude and longitude, or neither."))
        if data.get("open") == "at":
            if data.get("date") is None and "date" not in self.errors:
                self.add_error("date", _("Choose the day you want to go."))
            if data.get("time") is None and "time" not in self.errors:
                self.add_error("time", _("Choose the time you want to go."))
        self._clean_where(data)
        return data

    def wanted_instant(self, now: datetime.datetime, named=None) -> datetime.datetime | None:
        """The instant the person wants places open at, or None (aware).

        A chosen day and time are read on the clock where the person searches (the site's
        when no point is given): "Saturday 10:00" near Saint-Denis de La Réunion is 10:00
        there. With "any time" chosen, a time named in the words (`named`, a
        `services.vocabulary.When`: "CAF samedi matin") is read on that clock too.
        """
        data = self.cleaned_data
        if data.get("open") == "now":
            return now
        if data.get("open") == "at" and data.get("date") and data.get("time"):
            naive = datetime.datetime.combine(data["date"], data["time"])
            return timezone.make_aware(naive, self.point_zone())
        if not data.get("open"):
            return super().wanted_instant(now, named)
        return None


class EmbedForm(WhereMixin, forms.Form):
    """The filters an embedded directory is fixed to, and what its visitors type."""

    network = forms.ChoiceField(label=_("Network"), required=False)
    commune = forms.ChoiceField(label=_("Commune"), required=False)
    profile = forms.ChoiceField(
        label=_("Kind of place"), required=False, choices=[("", _("All")), *PROFILE_CHOICES]
    )
    need = forms.ChoiceField(label=_("What I need"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    where = forms.CharField(
        label=_("Where? Commune, postcode or address"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, data=None, *, networks=(), communes=(), **kwargs):
        super().__init__(data, **kwargs)
        self.fields["network"].choices = [("", _("All networks"))] + [
            (n.slug, n.name) for n in networks
        ]
        self.fields["commune"].choices = [("", _("All communes")), *communes]
        self.fields["need"].choices = [("", _("Any need")), *need_choices()]
        self.location = None

    def clean(self):
        data = super().clean()
        self._clean_where(data)
        return data
