"""Forms of the staff pages of the catalogue and of service offers.

They only parse input: every write goes through services.actions, whose validation errors
are attached back to the form with `apply_errors`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from places.formtools import AriaMixin
from places.models import Organisation, Typology
from places.versioning import VersionField
from services import selectors
from services.models import NeedWord, Provider, ServiceCategory, ServiceKind, ServiceOffer
from services.thematiques import DATA_INCLUSION_THEMATIQUES


class ActionFormMixin(AriaMixin):
    """Adds aria attributes, and attaches an action's errors to fields or to the form."""

    def apply_errors(self, exc: ValidationError) -> None:
        items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
        for field, messages in items:
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        self.add_aria()


def _formfield(field, **kwargs):
    # URLs typed without a scheme are read as https (the default of Django 6).
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


def _fields_for(model, fields):
    return forms.fields_for_model(model, fields=fields, formfield_callback=_formfield)


class GroupedKindField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ServiceKind) -> str:
        return obj.display_name


OFFER_FORM_FIELDS = [
    "level",
    "mediator_kind",
    "audiences",
    "fees",
    "fees_details",
    "access_modes",
    "appointment_url",
    "description",
]


class OfferForm(ActionFormMixin, forms.Form):
    kind = GroupedKindField(label=_("Service"), queryset=ServiceKind.objects.none())
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Provider.objects.none())
    version = VersionField()

    def __init__(self, *args, offer: ServiceOffer | None = None, **kwargs):
        if offer is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": offer.kind_id,
                "provider": offer.provider_id,
                "version": offer.version,
                **{name: getattr(offer, name) for name in OFFER_FORM_FIELDS},
            }
        super().__init__(*args, **kwargs)
        model_fields = _fields_for(ServiceOffer, OFFER_FORM_FIELDS)
        for name in OFFER_FORM_FIELDS:
            self.fields[name] = model_fields[name]
        self.order_fields(["kind", "provider", *OFFER_FORM_FIELDS])
        current = offer.kind if offer is not None else None
        grouped = selectors.service_kinds_grouped(include=current)
        kind_field = self.fields["kind"]
        kind_field.queryset = ServiceKind.objects.filter(
            pk__in=[k.pk for _c, kinds in grouped for k in kinds]
        )
        kind_field.choices = [
            ("", "---------"),
            *[
                (category.display_name, [(k.pk, k.display_name) for k in kinds])
                for category, kinds in grouped
            ],
        ]
        self.fields["provider"].queryset = selectors.providers()
        if offer is None:
            del self.fields["version"]  # a new offer has no version yet
        self.add_aria()

    def action_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in ["kind", "provider", *OFFER_FORM_FIELDS]}


class SuspendForm(ActionFormMixin, forms.Form):
    until = forms.DateField(
        label=_("Suspended until (included)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The offer is shown again to residents the day after."),
    )
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_aria()


class ConfirmForm(forms.Form):
    """A POST with nothing but the version the person saw."""

    version = VersionField()


class CatalogueVersionMixin:
    """The version an edit of a catalogue record started from; a new record has none."""

    def setup_version(self, instance) -> None:
        if instance is None:
            return
        self.fields["version"] = VersionField()
        self.initial.setdefault("version", instance.version)

    def action_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class ProviderForm(CatalogueVersionMixin, ActionFormMixin, forms.Form):
    def __init__(self, *args, provider: Provider | None = None, **kwargs):
        fields = ["slug", "name", "sector", "website", "organisation"]
        if provider is not None and "initial" not in kwargs:
            kwargs["initial"] = forms.model_to_dict(provider, fields=fields)
        super().__init__(*args, **kwargs)
        self.fields.update(_fields_for(Provider, fields))
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.setup_version(provider)
        self.add_aria()


class ServiceKindForm(CatalogueVersionMixin, ActionFormMixin, forms.Form):
    data_inclusion_thematiques = forms.MultipleChoiceField(
        label=_("data·inclusion thematiques"),
        choices=sorted(DATA_INCLUSION_THEMATIQUES.items()),
        widget=forms.SelectMultiple(attrs={"size": 12}),
        required=False,
        help_text=_("Used when the registry is published to data·inclusion."),
    )

    def __init__(self, *args, kind: ServiceKind | None = None, **kwargs):
        fields = ["slug", "name", "name_en", "category", "profile", "position", "active"]
        if kind is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **forms.model_to_dict(kind, fields=fields),
                "data_inclusion_thematiques": kind.data_inclusion_thematiques,
            }
        super().__init__(*args, **kwargs)
        self.fields.update(_fields_for(ServiceKind, fields))
        self.fields["category"].queryset = ServiceCategory.objects.order_by("position")
        self.order_fields([*fields[:4], "data_inclusion_thematiques"])
        self.setup_version(kind)
        self.add_aria()


class NeedWordForm(CatalogueVersionMixin, ActionFormMixin, forms.Form):
    """A word of the search vocabulary: the phrase, its language, what it points to."""

    phrase = forms.CharField(
        label=_("Word or phrase"),
        max_length=80,
        help_text=_("As residents type it; case and accents do not matter."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=NeedWord.Language.choices)
    kinds = forms.MultipleChoiceField(
        label=_("Service kinds"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("A place matches when it offers one of them."),
    )
    typologies = forms.MultipleChoiceField(
        label=_("Place typologies"),
        required=False,
        choices=Typology.Code.choices,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("A place matches when it is of one of them."),
    )

    def __init__(self, *args, word: NeedWord | None = None, **kwargs):
        if word is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "phrase": word.phrase,
                "language": word.language,
                "kinds": word.kinds,
                "typologies": word.typologies,
            }
        super().__init__(*args, **kwargs)
        self.fields["kinds"].choices = [
            (category.display_name, [(k.slug, k.display_name) for k in kinds])
            for category, kinds in selectors.service_kinds_grouped(active_only=False)
        ]
        self.setup_version(word)
        self.add_aria()
