"""A shared space's public page, its request form, and the requester's signed-link pages.

No account is needed. The form is held back by a honeypot field and by the suggestions'
per-address limit (places.ratelimits, shared with the API). Every rule lives in
economics.bookings; this module only reads the form and shows the answer.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from economics import bookings, selectors
from economics.models import SpaceRequest
from places import ratelimits
from places.formtools import AriaMixin
from places.timezones import place_zone
from scheduling.materialise import to_utc

HONEYPOT = "homepage"


class SpaceRequestForm(AriaMixin, forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    start_time = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end_time = forms.TimeField(
        label=gettext_lazy("To"),
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=gettext_lazy("00:00 means midnight at the end of the day."),
    )
    repeat_until = forms.DateField(
        label=gettext_lazy("Every week until (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("For a recurring use: the same times every week until this date."),
    )
    people = forms.IntegerField(
        label=gettext_lazy("Number of people"),
        min_value=1,
        max_value=100000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    purpose = forms.CharField(
        label=gettext_lazy("What for?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=160,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Your email address"),
        help_text=gettext_lazy("To send you the answer and the link to follow your request."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    association = forms.CharField(
        label=gettext_lazy("Association or group (optional)"), max_length=160, required=False
    )
    accept_conditions = forms.BooleanField(
        label=gettext_lazy("I have read and accept the conditions of the place"), required=False
    )

    def __init__(self, *args, space, offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.space = space
        if not offer.conditions:
            del self.fields["accept_conditions"]
        self.fields["people"].widget.attrs["max"] = space.capacity

    def request_data(self) -> dict:
        data = self.cleaned_data
        tz = place_zone(self.space.place)
        start = to_utc(datetime.datetime.combine(data["date"], data["start_time"]), tz)
        end_day = data["date"]
        if data["end_time"] <= data["start_time"]:
            end_day += datetime.timedelta(days=1)
        end = to_utc(datetime.datetime.combine(end_day, data["end_time"]), tz)
        return {
            "start": start,
            "end": end,
            "repeat_until": data.get("repeat_until"),
            "people": data["people"],
            "purpose": data["purpose"],
            "name": data["name"],
            "email": data["email"],
            "association": data.get("association", ""),
            "accept_conditions": data.get("accept_conditions", False),
        }

    def clean(self):
        data = super().clean()
        for name in ("date", "repeat_until"):
            day = data.get(name)
            if day is not None and not 2000 <= day.year <= 2100:
                self.add_error(name, _("Give a date between 2000 and 2100."))
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start and end != datetime.time(0, 0):
            self.add_error("end_time", _("The end must come after the start."))
        return data

    FIELD_OF = {"start": "date", "end": "end_time", "space": None, "status": None}

    def apply_errors(self, exc: ValidationError) -> None:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        for key, messages_ in errors.items():
            field = self.FIELD_OF.get(key, key)
            for message in messages_:
                self.add_error(field if field in self.fields else None, message)


def _shared_space(pk: int):
    """The space if its offer is public and active and its place published; 404 otherwise."""
    item = selectors.shared_space(pk, audience="public")
    if item is None:
        raise Http404(_("This space is not shared."))
    return item


@require_http_methods(["GET", "POST"])
def space_detail(request, pk: int):
    item = _shared_space(pk)
    space, offer = item.space, item.offer
    form = SpaceRequestForm(request.POST or None, space=space, offer=offer)
    alternatives = []
    status = 200
    if request.method == "POST":
        if request.POST.get(HONEYPOT, "").strip():
            messages.success(request, _("Thank you: your request was sent."))
            return redirect(reverse("directory:space", args=[space.pk]))
        if ratelimits.suggestion_over_limit(ratelimits.client_ip(request)):
            form.is_valid()
            form.add_error(
                None,
                _("Too many requests were sent from your connection. Please try again later."),
            )
            status = 429
        elif form.is_valid():
            try:
                made = bookings.request_create(
                    space=space,
                    data=form.request_data(),
                    source="web",
                    language=get_language() or "",
                )
            except ValidationError as exc:
                form.apply_errors(exc)
                alternatives = getattr(exc, "alternatives", [])
                status = 400
            else:
                messages.success(
                    request,
                    _(
                        "Your request was sent to the place. We emailed you a link to follow "
                        "or cancel it."
                    ),
                )
                return redirect(
                    reverse("directory:space_request", args=[bookings.request_token(made)])
                )
        else:
            status = 400
    form.add_aria()
    tz = place_zone(space.place)
    return render(
        request,
        "directory/space.html",
        {
            "item": item,
            "space": space,
            "offer": offer,
            "times": selectors.sharing_week_lines(offer),
            "spare": selectors.spare_times(offer) if offer.show_spare else None,
            "form": form,
            "alternatives": [
                {
                    "text": bookings.describe(a, tz),
                    "date": a[0].astimezone(tz).date().isoformat(),
                    "start": a[0].astimezone(tz).strftime("%H:%M"),
                    "end": a[1].astimezone(tz).strftime("%H:%M"),
                }
                for a in alternatives
            ],
        },
        status=status,
    )


def _own_request(token: str) -> SpaceRequest:
    found = bookings.request_from_token(token)
    if found is None:
        raise Http404(_("This link is not valid."))
    return found


@require_http_methods(["GET", "POST"])
def space_request(request, token: str):
    """The requester's page: status, decision, cancel, take a proposed time."""
    found = _own_request(token)
    error = ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "cancel":
                bookings.request_cancel(request=found)
                messages.success(request, _("Your request was cancelled."))
            elif action == "take":
                bookings.request_take_proposal(request=found)
                messages.success(request, _("You took the proposed time: the space is yours."))
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect(request.path)
        found.refresh_from_db()
    tz = place_zone(found.space.place)
    return render(
        request,
        "directory/space_request.html",
        {
            "req": found,
            "token": token,
            "when": bookings.describe((found.start, found.end), tz),
            "proposed": (
                bookings.describe((found.proposed_start, found.proposed_end), tz)
                if found.proposed_start
                else ""
            ),
            "decision": bookings.decision_text(found),
            "uses": [bookings.describe((u.start, u.end), tz) for u in found.uses.all()],
            "error": error,
            "can_cancel": found.status in (*bookings.ACTIVE, SpaceRequest.Status.ACCEPTED),
        },
        status=400 if error else 200,
    )


@require_GET
def space_request_ics(request, token: str):
    found = _own_request(token)
    body = bookings.ics(bookings.uses_for_ics(request=found), name=found.space.name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="space-request.ics"'
    return response
