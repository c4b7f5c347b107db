"""Forms of the economics staff pages: they parse input; the actions validate and write."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from economics.models import (
    BudgetLine,
    CostCategory,
    RevenueCategory,
    SharingOffer,
    Space,
    Visibility,
)
from economics.numbers import format_amount, parse_decimal
from places.models import Organisation
from places.versioning import VersionField
from services.models import Audience, Provider, ServiceKind

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class AmountField(forms.DecimalField):
    """A decimal typed the French or the English way (see economics.numbers.parse_decimal).

    A text input, not type=number: browsers' number inputs drop or refuse a decimal comma
    depending on their own language, which is how `1500,50` became 150050.
    """

    widget = forms.TextInput

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str):
            value = parse_decimal(value)
        return super().to_python(value)

    def prepare_value(self, value):
        # Shown the reader's way; an unparsed string (the person's input) is kept as typed.
        if value is None or isinstance(value, str):
            return value
        return format_amount(value, places=self.decimal_places or 0)


class AriaMixin:
    def add_aria(self) -> None:
        for name, field in self.fields.items():
            if self.errors.get(name):
                field.widget.attrs["aria-invalid"] = "true"
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}_errors"

    def apply_errors(self, errors: dict) -> None:
        for key, messages in errors.items():
            field_name = key if key in self.fields else None
            for message in messages:
                self.add_error(field_name, message)


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)


class BudgetLineForm(AriaMixin, forms.Form):
    direction = forms.ChoiceField(label=_("Cost or revenue"), choices=BudgetLine.Direction.choices)
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[
            (_("Costs"), CostCategory.choices),
            (_("Revenues"), RevenueCategory.choices),
        ],
    )
    amount = AmountField(label=_("Amount (EUR)"), max_digits=12, decimal_places=2, min_value=0)
    funder = forms.ChoiceField(label=_("Funder or partner"), required=False)
    label = forms.CharField(label=_("Label"), max_length=200, required=False)
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Visibility.choices, initial=Visibility.STAFF
    )
    note = forms.CharField(label=_("Note"), required=False)

    # What a person types into a row; the selects always send a value, so a row is blank
    # when none of these holds anything.
    TYPED = ("amount", "funder", "label", "note")

    def __init__(self, *args, funders=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["funder"].choices = [("", "—")] + list(funders)

    def is_blank(self) -> bool:
        if not self.is_bound:
            return False
        return not any((self.data.get(self.add_prefix(name)) or "").strip() for name in self.TYPED)

    def has_changed(self) -> bool:
        # A blank row (a spare one, or a line emptied on purpose) is ignored, never
        # "this field is required".
        return False if self.is_blank() else super().has_changed()

    def line(self) -> dict:
        data = dict(self.cleaned_data)
        funder = data.pop("funder", "") or ""
        kind, _sep, slug = funder.partition(":")
        data["funder_provider"] = (
            Provider.objects.filter(slug=slug).first() if kind == "provider" else None
        )
        data["funder_organisation"] = (
            Organisation.objects.filter(slug=slug).first() if kind == "organisation" else None
        )
        data.pop("DELETE", None)
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, funders=(), **kwargs):
        self.funders = funders
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        # Every row may be left blank: an emptied existing line is dropped like a spare row.
        return {"funders": self.funders, "empty_permitted": True}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            funders=self.funders,
            renderer=self.renderer,
        )
        self.add_fields(form, None)  # the "Delete" column too
        return form


BudgetFormSet = forms.formset_factory(
    BudgetLineForm, formset=BaseLineFormSet, extra=5, can_delete=True
)


class VersionForm(forms.Form):
    """The version of the budget table the editor started from."""

    version = VersionField()


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))


class SpaceForm(AriaMixin, forms.ModelForm):
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["version"]  # a new space has no version yet
        elif not self.is_bound:
            self.initial["version"] = self.instance.version

    class Meta:
        model = Space
        fields = [
            "name",
            "kind",
            "capacity",
            "capacity_unit",
            "area_m2",
            "bookable",
            "description",
            "visibility",
        ]
        field_classes = {"area_m2": AmountField}


class SharingForm(AriaMixin, forms.ModelForm):
    """A sharing offer: weekly days and time ranges, or rule dicts for anything finer."""

    days = forms.TypedMultipleChoiceField(
        label=_("Days"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    times = forms.CharField(
        label=_("Times"),
        required=False,
        help_text=_("Comma-separated ranges, e.g. 09:00-12:00, 18:00-22:00."),
    )
    rules_json = forms.CharField(
        label=_("Rules (advanced)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Instead of days and times: rules in the opening-hours format, as JSON "
            '(e.g. [{"kind": "nth_weekday", "days": [5], "nth": [1], "times": ["10:00-12:00"]}]).'
        ),
    )
    audiences = forms.MultipleChoiceField(
        label=_("For whom"),
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = VersionField()  # the offer's version, 0 when the space has none yet

    class Meta:
        model = SharingOffer
        fields = [
            "terms",
            "price",
            "conditions",
            "audiences",
            "contact_email",
            "contact_phone",
            "public_holidays_closed",
            "active",
            "visibility",
            "show_spare",
        ]
        field_classes = {"price": AmountField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version if self.instance.pk else 0
        rules = self.instance.rules if self.instance and self.instance.pk else []
        if (
            len(rules) == 1
            and rules[0].get("kind") == "weekly"
            and set(rules[0])
            <= {
                "kind",
                "days",
                "times",
            }
        ):
            self.initial.setdefault("days", rules[0]["days"])
            self.initial.setdefault("times", ", ".join(rules[0]["times"]))
        elif rules:
            self.initial.setdefault("rules_json", json.dumps(rules))

    def clean(self):
        cleaned = super().clean()
        raw = (cleaned.get("rules_json") or "").strip()
        if raw:
            try:
                rules = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                self.add_error("rules_json", _("Not valid JSON: %(e)s") % {"e": exc})
                rules = []
        else:
            times = [t.strip() for t in (cleaned.get("times") or "").split(",") if t.strip()]
            rules = [{"kind": "weekly", "days": cleaned.get("days") or [], "times": times}]
        cleaned["rules"] = rules
        return cleaned

    def _post_clean(self):
        # The action validates the model (with the rules); skip ModelForm's own pass.
        pass

    def offer_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AttendanceForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    space = forms.ModelChoiceField(label=_("Space"), queryset=Space.objects.none(), required=False)
    slot_start = forms.TimeField(
        label=_("Slot start"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    slot_end = forms.TimeField(
        label=_("Slot end"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    visits = forms.IntegerField(label=_("Visits"), min_value=0, initial=0)
    uses = forms.IntegerField(label=_("Uses"), min_value=0, initial=0)
    hours_used = AmountField(
        label=_("Capacity-hours used"),
        min_value=0,
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text=_("People (or units) × hours; left empty: uses × slot length."),
    )
    replace = forms.BooleanField(
        label=_("Replace the recorded count"),
        required=False,
        help_text=_("Only when a count is already recorded for this day and slot."),
    )

    def __init__(self, *args, place=None, **kwargs):
        super().__init__(*args, **kwargs)
        if place is not None:
            self.fields["space"].queryset = Space.objects.filter(place=place)


class CoverageForm(forms.Form):
    kind = forms.ModelChoiceField(
        label=_("Service"),
        queryset=ServiceKind.objects.filter(active=True),
        to_field_name="slug",
        required=False,
    )
    profile = forms.ChoiceField(
        label=_("Or profile"),
        required=False,
        choices=[("", "—"), *ServiceKind.Profile.choices],
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("kind") and not cleaned.get("profile"):
            raise forms.ValidationError(_("Choose a service or a profile."))
        return cleaned
