"""Residents' suggestions: "Report an error" on a place page and "Propose a place".

No account is needed. Spam is held back by a honeypot field (a bot that fills it is shown
the usual thanks and nothing is stored) and by a per-address limit (places.ratelimits,
the same counter as the API's POST /api/v1/suggestions/).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from places import actions, ratelimits, selectors
from places.formtools import AriaMixin
from places.models import Place, Suggestion, Typology

HONEYPOT = "homepage"
# The client's address as the rate limits read it (kept here for the directory's views).
client_ip = ratelimits.client_ip

CORRECTION_FIELDS = (
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
)
NEW_PLACE_FIELDS = (*CORRECTION_FIELDS, "typologies")


class SuggestionForm(AriaMixin, forms.Form):
    """The place fields a resident may propose, then a message and an optional address."""

    place_fields: tuple[str, ...] = ()

    message = forms.CharField(
        label=gettext_lazy("Message"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    reply_email = forms.EmailField(
        label=gettext_lazy("Your email address (optional)"),
        required=False,
        help_text=gettext_lazy(
            "Only to tell you whether your suggestion was accepted. It is not published."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        built = {}
        for name in self.place_fields:
            if name == "typologies":
                built[name] = forms.MultipleChoiceField(
                    label=_("Kind of place"),
                    choices=Typology.Code.choices,
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )
                continue
            db_field = Place._meta.get_field(name)
            options = {"assume_scheme": "https"} if isinstance(db_field, models.URLField) else {}
            field = db_field.formfield(**options)
            field.required = False
            # The model's own checks (postcode, SIRET...) too, so all errors show at once.
            kinds = {type(v) for v in field.validators}
            field.validators += [v for v in db_field.validators if type(v) not in kinds]
            field.label = capfirst(str(db_field.verbose_name))
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3
            built[name] = field
        if "email" in built:
            built["email"].label = _("Email of the place")
        # Place fields first, then the message and the reply address.
        self.fields = {**built, **self.fields}

    @property
    def honeypot_filled(self) -> bool:
        # Rendered by hand out of sight (see the templates); people leave it empty.
        return bool(self.data.get(HONEYPOT, "").strip())

    def proposed_data(self) -> dict:
        data = {}
        for name in self.place_fields:
            value = self.cleaned_data.get(name)
            if name == "typologies":
                if value:
                    data[name] = list(value)
                continue
            data[name] = "" if value is None else value
        return data

    def apply_errors(self, exc: ValidationError) -> None:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        for field, messages_ in errors.items():
            for message in messages_:
                self.add_error(field if field in self.fields else None, message)


class CorrectionForm(SuggestionForm):
    place_fields = CORRECTION_FIELDS

    def __init__(self, *args, place: Place, **kwargs):
        kwargs.setdefault("initial", {name: getattr(place, name) for name in CORRECTION_FIELDS})
        super().__init__(*args, **kwargs)
        self.fields["message"].help_text = _(
            "What is wrong or missing? Opening hours, services, anything else."
        )


class NewPlaceForm(SuggestionForm):
    place_fields = NEW_PLACE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        self.fields["message"].help_text = _(
            "What happens there, when it is open, how you know it."
        )


# ------------------------------------------------------------------------------- views


def place_url(place: Place) -> str:
    """The public page of the place (or, while that page is missing, the form itself)."""
    try:
        return reverse("directory:place", args=[place.slug])
    except NoReverseMatch:
        return reverse("directory:suggest_correction", args=[place.slug])


def _home_url() -> str:
    try:
        return reverse("directory:home")
    except NoReverseMatch:
        return "/"


def _handle(request, form, *, kind, place, template, context, done_url):
    if request.method == "POST" and form.is_valid():
        if form.honeypot_filled:
            # Tell a bot nothing: same thanks, nothing stored.
            messages.success(request, _("Thank you: your suggestion was sent to our team."))
            return redirect(done_url)
        ip = client_ip(request)
        if ratelimits.suggestion_over_limit(ip):
            form.add_error(
                None,
                _("Too many suggestions were sent from your connection. Please try again later."),
            )
            form.add_aria()
            return render(request, template, {**context, "form": form}, status=429)
        try:
            actions.suggestion_submit(
                kind=kind,
                place=place,
                data=form.proposed_data(),
                message=form.cleaned_data["message"],
                email=form.cleaned_data["reply_email"],
                ip=ip,
                language=get_language() or "",
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(
                request,
                _("Thank you: your suggestion was sent to our team.")
                + (
                    " " + _("We will write to you once it is reviewed.")
                    if form.cleaned_data["reply_email"]
                    else ""
                ),
            )
            return redirect(done_url)
    form.add_aria()
    status = 400 if request.method == "POST" else 200
    return render(request, template, {**context, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def suggest_correction(request, slug):
    place = selectors.published_place(slug)
    if place is None:
        raise Http404
    if place.slug != slug:
        return redirect("directory:suggest_correction", slug=place.slug, permanent=True)
    form = CorrectionForm(request.POST or None, place=place)
    return _handle(
        request,
        form,
        kind=Suggestion.Kind.CORRECTION,
        place=place,
        template="directory/suggest_correction.html",
        context={"place": place, "place_url": place_url(place)},
        done_url=place_url(place),
    )


@require_http_methods(["GET", "POST"])
def suggest_place(request):
    form = NewPlaceForm(request.POST or None)
    return _handle(
        request,
        form,
        kind=Suggestion.Kind.NEW_PLACE,
        place=None,
        template="directory/suggest_place.html",
        context={},
        done_url=_home_url(),
    )
