"""Staff forms of the territory: a coverage question and a what-if scenario."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from places.models import Typology
from services.models import ServiceKind
from services.selectors import service_kinds
from territory import dataset, selectors
from territory.coverage import PROFILES, TIME_CONDITIONS, ConditionError, Subject
from territory.models import Commune


def department_choices() -> list:
    names = dataset.department_names()
    return [("", "---------")] + [
        (code, f"{code} – {names[code]}" if code in names else code)
        for code in selectors.departments()
    ]


def subject_choices() -> list:
    kinds = [(f"kind:{k.slug}", str(k)) for k in service_kinds(active_only=True)]
    profiles = [
        (f"profile:{p}", label) for p, label in ServiceKind.Profile.choices if p in PROFILES
    ]
    typologies = [(f"typology:{code}", label) for code, label in Typology.Code.choices]
    return [
        ("", "---------"),
        (_("Service kinds"), kinds),
        (_("Profiles"), profiles),
        (_("Typologies"), typologies),
    ]


class CoverageForm(forms.Form):
    department = forms.ChoiceField(label=_("Department"))
    subject = forms.ChoiceField(
        label=_("What residents need"),
        help_text=_("A service kind, a profile or a typology of place."),
    )
    time = forms.ChoiceField(label=_("When"), choices=list(TIME_CONDITIONS.items()), initial="any")
    radius_km = forms.IntegerField(label=_("Radius (km)"), min_value=1, max_value=100, initial=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = department_choices()
        self.fields["subject"].choices = subject_choices()

    def clean_subject(self):
        try:
            return Subject.parse(self.cleaned_data["subject"])
        except ConditionError as exc:
            raise forms.ValidationError(str(exc)) from None


class ScenarioForm(forms.Form):
    """A hypothetical place: at a commune's point or a point given, with kinds and hours."""

    name = forms.CharField(label=_("Name of the scenario"), max_length=200)
    department = forms.ChoiceField(label=_("Department studied"))
    commune = forms.CharField(
        label=_("At the town hall of the commune (INSEE code)"),
        required=False,
        max_length=5,
        help_text=_("Or give a latitude and a longitude below."),
    )
    place = forms.CharField(
        label=_("Or other hours for an existing place (its number or its web address name)"),
        required=False,
        max_length=200,
        help_text=_(
            "The place keeps its position; the hours below replace its hours for the "
            "service kinds chosen (all its services when none is chosen)."
        ),
    )
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180
    )
    kinds = forms.ModelMultipleChoiceField(
        label=_("Service kinds it would offer"),
        queryset=ServiceKind.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    opening_hours = forms.CharField(
        label=_("Weekly hours"),
        required=False,
        max_length=500,
        help_text=_(
            "OpenStreetMap opening_hours, for example “Mo-Fr 09:00-17:00; Sa 09:00-12:00”."
        ),
    )
    radius_km = forms.IntegerField(label=_("Radius (km)"), min_value=1, max_value=100, initial=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = department_choices()
        self.fields["kinds"].queryset = service_kinds(active_only=True)

    def clean_place(self):
        value = (self.cleaned_data.get("place") or "").strip()
        if not value:
            return None
        place = selectors.published_place(value)
        if place is None:
            raise forms.ValidationError(
                _("No published place with a position has the number or name “%(value)s”.")
                % {"value": value}
            )
        return place

    def clean(self):
        data = super().clean()
        place = data.get("base_place") or data.get("place")
        data["base_place"] = place
        if place is not None and not data.get("kinds"):
            data["kinds"] = selectors.kinds_offered(place)
        for field, message in selectors.check_hypothesis(
            kinds=data.get("kinds"), hours=data.get("opening_hours", "")
        ).items():
            if field not in self.errors:
                self.add_error(field, message)
        code = (data.get("commune") or "").strip()
        if place is not None:
            if code or data.get("latitude") is not None or data.get("longitude") is not None:
                self.add_error(
                    "place",
                    _(
                        "Choose one: an existing place, or a commune, or a latitude and a "
                        "longitude."
                    ),
                )
            data["commune"] = None
            data["latitude"], data["longitude"] = float(place.latitude), float(place.longitude)
        elif code:
            commune = Commune.objects.filter(insee_code=code).first()
            if commune is None:
                self.add_error(
                    "commune", _("No commune has the INSEE code %(code)s.") % {"code": code}
                )
            else:
                data["commune"] = commune
                data["latitude"], data["longitude"] = commune.latitude, commune.longitude
        else:
            data["commune"] = None
            missing = data.get("latitude") is None or data.get("longitude") is None
            if missing and "latitude" not in self.errors and "longitude" not in self.errors:
                self.add_error(
                    "commune",
                    _(
                        "Say where the new place would be: a commune, or a latitude and "
                        "a longitude."
                    ),
                )
        return data


class CompareForm(forms.Form):
    scenarios = forms.ModelMultipleChoiceField(
        label=_("Scenarios to compare"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenarios"].queryset = queryset
