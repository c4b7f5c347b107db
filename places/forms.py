"""Staff forms of the registry. They parse input; the actions validate and write.

The model forms below never build or validate the model instance themselves (their
`_post_clean` is a no-op): the actions run `full_clean()` on everything they write, and the
views map the action's errors back to these forms, so one set of rules serves the staff
pages, the API and imports.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.utils import ErrorDict
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from places import ratelimits
from places.actions import PLACE_FIELDS
from places.freshness import FREQUENCY_CHOICES
from places.models import (
    CreationProfile,
    MediationProfile,
    Network,
    Organisation,
    Place,
    Role,
    Suggestion,
    Typology,
    WorkProfile,
)
from places.versioning import VersionField

User = get_user_model()


class AccessibleFormMixin:
    """Adds aria-describedby (help text and errors) and aria-invalid to every widget."""

    def add_aria(self) -> None:
        for name, field in self.fields.items():
            bound = self[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}_helptext")
            if self.is_bound and name in self.errors:
                ids.append(f"{bound.auto_id}_errors")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)
            else:
                field.widget.attrs.pop("aria-describedby", None)

    def apply_errors(self, errors: dict[str, list[str]]) -> None:
        """Attach an action's errors to our fields (unknown keys become form errors)."""
        for field, messages in errors.items():
            for message in messages:
                if field in self.fields and field not in ("enabled",):
                    self.add_error(field, message)
                else:
                    self.add_error(None, message)
        self.add_aria()


def _formfield(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class ParseOnlyModelForm(AccessibleFormMixin, forms.ModelForm):
    def _post_clean(self):
        # Validation of the record belongs to the action (see the module docstring).
        pass


class PlaceForm(ParseOnlyModelForm):
    organisation = forms.ModelChoiceField(
        label=_("Cataloguing organisation"), queryset=Organisation.objects.none()
    )
    typologies = forms.MultipleChoiceField(
        label=_("Typologies"),
        choices=Typology.Code.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose at least one."),
    )
    networks = forms.ModelMultipleChoiceField(
        label=_("Networks"),
        queryset=Network.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    managers = forms.ModelMultipleChoiceField(
        label=_("Place managers"),
        queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Members of the organisation who keep this place up to date."),
    )
    update_every_days = forms.TypedChoiceField(
        label=_("Check again every"),
        coerce=int,
        choices=(),
        required=False,
        empty_value=None,
        help_text=_(
            "How often the information should be confirmed: the place is listed as stale "
            "and its managers are reminded when the time is up."
        ),
    )
    version = VersionField()

    class Meta:
        model = Place
        fields = PLACE_FIELDS
        formfield_callback = _formfield
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "accessibility_notes": forms.Textarea(attrs={"rows": 3}),
            "latitude": forms.NumberInput(attrs={"step": "0.000001", "min": "-90", "max": "90"}),
            "longitude": forms.NumberInput(attrs={"step": "0.000001", "min": "-180", "max": "180"}),
        }
        help_texts = {
            "slug": _("Part of the place's web address; left empty, it is made from the name."),
            "latitude": _("Decimal degrees, e.g. 45.764043. Click the map to fill it in."),
            "longitude": _("Decimal degrees, e.g. 4.835659."),
            "legal_id": _("14-digit SIRET or RNA number (W followed by 9 digits)."),
        }

    def __init__(
        self,
        *args,
        organisations=None,
        can_assign_managers: bool = False,
        manager_organisations=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        place = self.instance
        self.fields["update_every_days"].choices = frequency_choices(place.update_every_days)
        if not self.is_bound:
            self.initial["update_every_days"] = place.update_every_days
        if place.pk:
            del self.fields["organisation"]
            if not self.is_bound:
                self.initial["typologies"] = [t.code for t in place.typologies.all()]
                self.initial["networks"] = list(place.networks.all())
                self.initial["managers"] = list(place.managers.all())
                self.initial["version"] = place.version
        else:
            del self.fields["version"]
            queryset = organisations if organisations is not None else Organisation.objects.none()
            self.fields["organisation"].queryset = queryset
            if not self.is_bound and len(queryset) == 1:
                self.initial["organisation"] = queryset[0]
        if can_assign_managers:
            self.fields["managers"].queryset = (
                User.objects.filter(memberships__organisation__in=manager_organisations)
                .distinct()
                .order_by("username")
            )
            self.fields["managers"].label_from_instance = _person_label
        else:
            del self.fields["managers"]

    def clean(self):
        cleaned = super().clean()
        managers = cleaned.get("managers")
        organisation = cleaned.get("organisation") or (
            self.instance.organisation if self.instance.pk else None
        )
        if managers and organisation is not None:
            members = set(
                organisation.memberships.filter(user__in=managers).values_list("user_id", flat=True)
            )
            outside = [m.username for m in managers if m.pk not in members]
            if outside:
                self.add_error(
                    "managers",
                    _("Not a member of %(org)s: %(names)s.")
                    % {"org": organisation, "names": ", ".join(outside)},
                )
        return cleaned

    def place_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in PLACE_FIELDS}
        # Empty optional text inputs arrive as "" already; keep the coordinates as None.
        return data


def frequency_choices(current: int | None = None) -> list[tuple[int, str]]:
    """The usual update frequencies, plus the place's own if it is another one."""
    days = sorted({*FREQUENCY_CHOICES, *([current] if current else [])})
    return [(d, format_lazy(_("{days} days"), days=d)) for d in days]


def _person_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


class ProfileForm(ParseOnlyModelForm):
    """One optional profile of a place; its fields count only when `enabled` is ticked."""

    profile_name: str = ""
    legend = ""
    enabled = forms.BooleanField(required=False)

    def __init__(self, *args, place: Place | None = None, **kwargs):
        instance = getattr(place, self.profile_name, None) if place and place.pk else None
        super().__init__(*args, instance=instance, prefix=self.profile_name, **kwargs)
        self.fields["enabled"].label = _("This place has this profile")
        self.order_fields(["enabled"])
        if not self.is_bound:
            self.initial["enabled"] = instance is not None

    def full_clean(self):
        super().full_clean()
        if self.is_bound and not self.cleaned_data.get("enabled"):
            # A disabled profile is not validated: its inputs are ignored.
            self._errors = ErrorDict()

    def profile_values(self) -> dict | None:
        if not self.cleaned_data.get("enabled"):
            return None
        return {k: v for k, v in self.cleaned_data.items() if k != "enabled"}

    def checkbox_group_names(self) -> list[str]:
        return [
            name
            for name, field in self.fields.items()
            if isinstance(field.widget, forms.CheckboxSelectMultiple)
        ]


class MediationForm(ProfileForm):
    profile_name = "mediation"
    legend = _("Mediation and access")

    class Meta:
        model = MediationProfile
        fields = ["service_levels", "mediator_kinds", "service_sectors", "access"]


class WorkForm(ProfileForm):
    profile_name = "work"
    legend = _("Work and entrepreneurship")

    class Meta:
        model = WorkProfile
        fields = [
            "colorations",
            "occupancy_terms",
            "animation",
            "desks",
            "meeting_rooms",
            "equipment",
        ]
        widgets = {"equipment": forms.Textarea(attrs={"rows": 3})}


class CreationForm(ProfileForm):
    profile_name = "creation"
    legend = _("Creation and projects")

    class Meta:
        model = CreationProfile
        fields = ["activities", "opening_mode", "opening_frequencies", "animated_by", "machines"]
        widgets = {"machines": forms.Textarea(attrs={"rows": 3})}


PROFILE_FORMS = (MediationForm, WorkForm, CreationForm)


class PlaceFilterForm(AccessibleFormMixin, forms.Form):
    PAGE_SIZES = (25, 50, 100)

    q = forms.CharField(label=_("Search"), required=False)
    status = forms.MultipleChoiceField(
        label=_("Status"),
        choices=Place.Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    typology = forms.MultipleChoiceField(
        label=_("Typology"), choices=Typology.Code.choices, required=False
    )
    profile = forms.MultipleChoiceField(
        label=_("Profile"),
        choices=[
            ("mediation", _("Mediation and access")),
            ("work", _("Work and entrepreneurship")),
            ("creation", _("Creation and projects")),
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    commune = forms.MultipleChoiceField(label=_("Commune"), choices=(), required=False)
    network = forms.MultipleChoiceField(label=_("Network"), choices=(), required=False)
    per_page = forms.TypedChoiceField(
        label=_("Places per page"),
        choices=[(n, n) for n in PAGE_SIZES],
        coerce=int,
        required=False,
        empty_value=PAGE_SIZES[0],
    )

    def __init__(self, *args, communes=(), networks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].choices = list(communes)
        self.fields["network"].choices = list(networks)


class ConfirmForm(forms.Form):
    """A POST with nothing but the version the person saw."""

    version = VersionField()


class ThrottledAuthenticationForm(AuthenticationForm):
    """Sign-in refused, even with the right password, once the account name or the address
    has had too many failures; the message is the same whether the account exists or not."""

    locked = False

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = ratelimits.client_ip(self.request) if self.request else ""
        if ratelimits.login_locked(username, ip):
            self.locked = True
            raise ValidationError(
                _(
                    "Too many failed attempts to log in. Wait %(minutes)s minutes, then try "
                    "again, or reset your password."
                )
                % {"minutes": ratelimits.minutes("login-account")},
                code="locked",
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            ratelimits.login_failed(username, ip)
            raise
        ratelimits.login_succeeded(username)
        return cleaned


class PersonInviteForm(AccessibleFormMixin, forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class MembershipRoleForm(AccessibleFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


def errors_by_form(
    exc: ValidationError, prefixes: tuple[str, ...]
) -> tuple[dict[str, list[str]], dict[str, dict[str, list[str]]]]:
    """Split an action's errors: {"mediation.access": [...]} goes to the mediation form."""
    main: dict[str, list[str]] = {}
    nested: dict[str, dict[str, list[str]]] = {p: {} for p in prefixes}
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]
    for key, messages in items:
        head, _dot, rest = key.partition(".")
        if rest and head in nested:
            nested[head].setdefault(rest, []).extend(messages)
        else:
            main.setdefault(key, []).extend(messages)
    return main, nested


# -------------------------------------------------------------------------- suggestions

# What residents may propose on the public forms, in display order.
SUGGESTION_FORM_FIELDS = (
    "name",
    "short_description",
    "address",
    "postcode",
    "commune",
    "phone",
    "email",
    "website",
    "wheelchair",
    "accessibility_notes",
    "typologies",
)


class SuggestionAcceptForm(AccessibleFormMixin, forms.Form):
    """Accept as proposed: the place version the moderator saw, and for a new place, where.

    A correction changes a place, so the form requires the place's version the moderator
    started from (`place`); a new place has none yet (two decisions on one suggestion are
    told apart by its status, which the action checks under a lock).
    """

    version = VersionField()
    organisation = forms.ModelChoiceField(
        label=_("Cataloguing organisation"), queryset=Organisation.objects.none()
    )

    def __init__(self, *args, place=None, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if place is None:
            del self.fields["version"]
        elif not self.is_bound:
            self.initial["version"] = place.version
        if organisations is None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"].queryset = organisations
            if not self.is_bound and len(organisations) == 1:
                self.initial["organisation"] = organisations[0]


class SuggestionEditForm(SuggestionAcceptForm):
    """Edit then accept: the proposed values, prefilled, for the moderator to adjust."""

    def __init__(self, *args, names=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in names:
            if name == "typologies":
                self.fields[name] = forms.MultipleChoiceField(
                    label=_("Typologies"),
                    choices=Typology.Code.choices,
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )
                continue
            field = _formfield(Place._meta.get_field(name))
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3
            self.fields[name] = field
        self.place_names = [n for n in names if n != "typologies"]
        self.has_typologies = "typologies" in names

    def proposed_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.place_names}
        if self.has_typologies:
            data["typologies"] = self.cleaned_data["typologies"]
        return data


class SuggestionRejectForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the person who wrote, if they left an email address."),
    )


class SuggestionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All"))] + list(Suggestion.Status.choices),
        required=False,
    )


class VerifyForm(AccessibleFormMixin, forms.Form):
    method = forms.ChoiceField(label=_("Checked by"), choices=Place.VerificationMethod.choices)
    update_every_days = forms.TypedChoiceField(
        label=_("Check again every"),
        coerce=int,
        choices=[(days, format_lazy(_("{days} days"), days=days)) for days in FREQUENCY_CHOICES],
        required=False,
        empty_value=None,
    )
