"""Staff pages for place–provider agreements (/manage/partners/agreements/).

Registry admins of a place's organisation list, create, change and end its agreements;
everyone else is refused. The list per organisation gathers those of every place.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api import actions
from api.models import PlaceProviderAgreement
from places.access import require_organisation_admin, staff_required
from places.models import Organisation, Place
from places.versioning import StaleRecord, VersionField, describe_change
from services.models import ServiceKind
from services.selectors import providers


class AgreementForm(forms.Form):
    provider = forms.ModelChoiceField(label=gettext_lazy("Provider"), queryset=None)
    kinds = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Service kinds"),
        queryset=None,
        required=False,
        to_field_name="slug",
        help_text=gettext_lazy("Leave empty to cover every service kind."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    starts_on = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        help_text=gettext_lazy("First day the agreement holds (default: today)."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Until"),
        required=False,
        help_text=gettext_lazy("Last day it holds; leave empty for no end."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    terms = forms.CharField(
        label=gettext_lazy("Terms"), required=False, max_length=5000, widget=forms.Textarea
    )
    version = VersionField()

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers()
        self.fields["kinds"].queryset = ServiceKind.objects.order_by("slug")
        if editing:
            del self.fields["provider"]
        else:
            del self.fields["version"]  # a new agreement has no version yet

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The last day cannot come before the first day."))
        return cleaned


class EndForm(forms.Form):
    ends_on = forms.DateField(
        label=gettext_lazy("Last day"),
        required=False,
        help_text=gettext_lazy("Default: today."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    version = VersionField()


def _admin_of(request, organisation: Organisation) -> None:
    require_organisation_admin(
        request.user,
        organisation,
        message=_("Only registry admins of the place's organisation manage its agreements."),
    )


def _place(request, public_id) -> Place:
    place = get_object_or_404(Place.objects.select_related("organisation"), public_id=public_id)
    _admin_of(request, place.organisation)
    return place


def _agreement(request, pk: int) -> PlaceProviderAgreement:
    agreement = get_object_or_404(
        PlaceProviderAgreement.objects.select_related("place__organisation", "provider"), pk=pk
    )
    _admin_of(request, agreement.place.organisation)
    return agreement


def _errors_to_form(form: forms.Form, exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


def _with_version(post, version: int):
    data = post.copy()
    data["version"] = str(version)
    return data


def _conflict(exc: StaleRecord) -> dict:
    return {
        "message": exc.messages[0],
        "changes": [describe_change(r, PlaceProviderAgreement) for r in exc.since],
    }


def _listing(queryset):
    return queryset.select_related("place", "provider").prefetch_related("kinds")


@staff_required
def agreement_place(request, public_id):
    place = _place(request, public_id)
    agreements = _listing(PlaceProviderAgreement.objects.filter(place=place))
    return render(
        request,
        "manage/partners/agreement_list.html",
        {"place": place, "agreements": agreements},
    )


@staff_required
def agreement_organisation(request, org_slug):
    organisation = get_object_or_404(Organisation, slug=org_slug)
    _admin_of(request, organisation)
    agreements = _listing(PlaceProviderAgreement.objects.filter(place__organisation=organisation))
    return render(
        request,
        "manage/partners/agreement_list.html",
        {"organisation": organisation, "agreements": agreements},
    )


@staff_required
def agreement_create(request, public_id):
    place = _place(request, public_id)
    form = AgreementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.agreement_create(
                user=request.user,
                place=place,
                provider=data["provider"],
                kinds=list(data["kinds"]),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                terms=data["terms"],
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            return redirect("partners:agreement_place", public_id=place.public_id)
    return render(
        request,
        "manage/partners/agreement_form.html",
        {"form": form, "place": place},
        status=400 if request.method == "POST" else 200,
    )


@staff_required
def agreement_edit(request, pk: int):
    agreement = _agreement(request, pk)
    initial = {
        "kinds": list(agreement.kinds.all()),
        "starts_on": agreement.starts_on,
        "ends_on": agreement.ends_on,
        "terms": agreement.terms,
        "version": agreement.version,
    }
    form = AgreementForm(request.POST or None, initial=initial, editing=True)
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.agreement_update(
                agreement=agreement,
                user=request.user,
                expected_version=data["version"],
                kinds=list(data["kinds"]),
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                terms=data["terms"],
            )
        except StaleRecord as exc:
            # Keep the person's input and move the version on: saving again applies it.
            conflict = _conflict(exc)
            form = AgreementForm(_with_version(request.POST, exc.version), editing=True)
            form.is_valid()
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            return redirect("partners:agreement_place", public_id=agreement.place.public_id)
    return render(
        request,
        "manage/partners/agreement_form.html",
        {"form": form, "place": agreement.place, "agreement": agreement, "conflict": conflict},
        status=409 if conflict else 400 if request.method == "POST" else 200,
    )


@staff_required
def agreement_end(request, pk: int):
    agreement = _agreement(request, pk)
    form = EndForm(
        request.POST if request.method == "POST" else None, initial={"version": agreement.version}
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.agreement_end(
                agreement=agreement,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                on=form.cleaned_data["ends_on"],
            )
        except StaleRecord as exc:
            conflict = _conflict(exc)
            form = EndForm(_with_version(request.POST, exc.version))
            form.is_valid()
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            return redirect("partners:agreement_place", public_id=agreement.place.public_id)
    return render(
        request,
        "manage/partners/agreement_end.html",
        {"form": form, "agreement": agreement, "place": agreement.place, "conflict": conflict},
        status=409 if conflict else 400 if request.method == "POST" else 200,
    )
