"""The page a reminder email links to: a place manager confirms or corrects the key facts
of a place without signing in (docs/decisions/0020-freshness-and-email.md).

The signed link is read by places.freshness; corrections go through the domain actions:
contact details through freshness.reminder_confirm (places.actions.place_update), the
opening hours through scheduling.actions.schedule_set_osm, and a note about services
becomes a suggestion for staff, all in one transaction.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from places import actions as place_actions
from places import freshness
from places.models import Place, Suggestion
from scheduling.actions import schedule_set_osm
from scheduling.models import Schedule
from scheduling.preview import osm_export
from services.selectors import offers_of_place


class VerifyForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    website = forms.URLField(label=gettext_lazy("Website"), required=False, assume_scheme="https")
    opening_hours = forms.CharField(
        label=gettext_lazy("Opening hours"),
        required=False,
        help_text=gettext_lazy(
            "In the OpenStreetMap format, e.g. Mo-Fr 09:00-12:00,14:00-17:00; Sa 09:00-12:00"
        ),
    )
    services_note = forms.CharField(
        label=gettext_lazy("Services: anything that changed?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "A service that ended, new hours of a service... Staff will update it."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _hours_text(place: Place) -> str:
    schedule = Schedule.objects.filter(place=place).first()
    if schedule is None:
        return ""
    text, _why = osm_export(schedule)
    return text or ""


def _context(token, link) -> dict:
    return {
        "token": token,
        "link": link,
        "place": link.reminder.place if link.reminder else None,
        "state_message": state_message(link.state),
    }


def _render(request, token, link, form=None, status=200, done=False):
    context = {**_context(token, link), "form": form, "done": done}
    if context["place"] is not None and form is not None:
        context["offers"] = list(offers_of_place(context["place"], include_ended=False))
    return render(request, "directory/verify.html", context, status=status)


@require_http_methods(["GET", "POST"])
def verify(request, token):
    link = freshness.reminder_from_token(token)
    if link.state != "valid":
        return _render(request, token, link, status=410 if link.reminder else 404)
    place = link.reminder.place
    hours = _hours_text(place)
    initial = {
        "phone": place.phone,
        "email": place.email,
        "website": place.website,
        "opening_hours": hours,
        "version": place.version,
    }
    form = VerifyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in freshness.REMINDER_FIELDS}
        try:
            with transaction.atomic():
                source = f"reminder:{link.reminder.pk}"
                new_hours = form.cleaned_data["opening_hours"].strip()
                if new_hours != hours.strip() and new_hours:
                    schedule_set_osm(
                        user=link.reminder.recipient, text=new_hours, place=place, source=source
                    )
                note = form.cleaned_data["services_note"].strip()
                if note and place.status == Place.Status.PUBLISHED:
                    place_actions.suggestion_submit(
                        kind=Suggestion.Kind.CORRECTION,
                        data={},
                        place=place,
                        message=note,
                        email=link.reminder.email,
                    )
                freshness.reminder_confirm(
                    reminder=link.reminder,
                    data=data,
                    expected_version=form.cleaned_data["version"],
                )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, messages in exc.message_dict.items():
                    target = "opening_hours" if field == "osm_source" else field
                    for message in messages:
                        form.add_error(target if target in form.fields else None, message)
            else:
                for message in exc.messages:
                    form.add_error(None, message)
        else:
            return _render(request, token, link, done=True)
    status = 400 if request.method == "POST" else 200
    return _render(request, token, link, form=form, status=status)


@require_POST
def verify_renew(request, token):
    """Send a new link when this one expired or was used (once per link)."""
    link = freshness.reminder_from_token(token)
    if link.reminder is None:
        return _render(request, token, link, status=404)
    if link.state == "valid":  # nothing to renew: the page itself still works
        return _render(request, token, link, form=None, status=409)
    try:
        result = freshness.reminder_renew(reminder=link.reminder)
    except ValidationError as exc:
        return render(
            request,
            "directory/verify.html",
            {**_context(token, link), "error": exc.messages[0]},
            status=409,
        )
    if result.outcome != "sent":
        error = _("The new link could not be sent (%(detail)s). Try again later.") % {
            "detail": result.detail
        }
        return render(
            request, "directory/verify.html", {**_context(token, link), "error": error}, status=502
        )
    return render(request, "directory/verify.html", {**_context(token, link), "renewed": True})


# Messages used by the template (kept here so that makemessages sees one source).
STATE_MESSAGES = {
    "expired": gettext_lazy("This link has expired."),
    "used": gettext_lazy("This link was already used: the information was confirmed."),
    "invalid": gettext_lazy("This link is not valid. Check that it was copied whole."),
}


def state_message(state: str) -> str:
    return str(STATE_MESSAGES.get(state, _("This link is not valid.")))
