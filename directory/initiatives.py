"""Residents' pages of calls for initiatives and guides: /appels/ and /guides/.

The project form needs no account. Spam is held back as for suggestions: the same
honeypot field and the same per-address counter (places.ratelimits). The write and its
rules (deadline, acknowledgement email) are initiatives.actions.submission_submit.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from directory.suggestions import HONEYPOT, client_ip
from initiatives import actions, selectors
from initiatives.models import Submission
from initiatives.rendering import render_markdown
from places import ratelimits
from places.formtools import AriaMixin


class SubmissionForm(AriaMixin, forms.Form):
    """The fields of a project, from the model (initiatives.actions checks them again)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = forms.fields_for_model(
            Submission,
            fields=actions.SUBMISSION_FIELDS,
            formfield_callback=lambda f, **kw: f.formfield(
                **({"assume_scheme": "https"} if isinstance(f, models.URLField) else {}),
                **kw,
            ),
        )
        self.fields["description"].widget.attrs["rows"] = 6
        self.fields["needs"].widget.attrs["rows"] = 3
        self.fields["contact_name"].widget.attrs["autocomplete"] = "name"
        self.fields["contact_email"].widget.attrs["autocomplete"] = "email"
        self.fields["contact_email"].help_text = _(
            "We send the acknowledgement and our answer there. It is not published."
        )
        self.fields["contact_phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["crowdfunding_url"].help_text = _(
            "A link to your campaign, if you run one (https://…)."
        )

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())

    def apply_errors(self, exc: ValidationError) -> None:
        items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
        for field, messages_ in items:
            for message in messages_:
                self.add_error(field if field in self.fields else None, message)


def closed_message(call) -> str:
    return _(
        "Thank you for your interest: this call closed on %(deadline)s and no longer accepts "
        "projects. Your text is kept below if you want to copy it; see the open calls."
    ) % {"deadline": formats.date_format(timezone.localtime(call.deadline), "DATETIME_FORMAT")}


@require_GET
def calls(request):
    now = timezone.now()
    return render(
        request,
        "directory/calls.html",
        {
            "open_calls": list(selectors.open_calls(now).select_related("organisation")),
            "past_calls": list(selectors.past_calls(now).select_related("organisation")[:50]),
        },
    )


@require_http_methods(["GET", "POST"])
def call(request, slug):
    found = selectors.public_call(slug)
    if found is None:
        raise Http404
    accepting = found.accepts_submissions()
    form = SubmissionForm(request.POST or None) if accepting or request.method == "POST" else None
    status = 200
    if request.method == "POST":
        status = 400
        if not accepting:
            # Refused politely; the input stays on the page and nothing is stored.
            form.add_error(None, closed_message(found))
        elif form.is_valid():
            if form.honeypot_filled:
                messages.success(request, _("Thank you: your project was received."))
                return redirect("directory:call", slug=found.slug)
            ip = client_ip(request)
            if ratelimits.suggestion_over_limit(ip):
                form.add_error(
                    None,
                    _("Too many messages were sent from your connection. Please try again later."),
                )
                status = 429
            else:
                try:
                    actions.submission_submit(
                        call=found,
                        data={name: form.cleaned_data[name] for name in actions.SUBMISSION_FIELDS},
                        ip=ip,
                        language=get_language() or "",
                    )
                except ValidationError as exc:
                    form.apply_errors(exc)
                else:
                    messages.success(
                        request,
                        _(
                            "Thank you: your project was received. We sent an acknowledgement "
                            "to %(email)s."
                        )
                        % {"email": form.cleaned_data["contact_email"]},
                    )
                    return redirect("directory:call", slug=found.slug)
    if form is not None:
        form.add_aria()
    return render(
        request,
        "directory/call.html",
        {
            "call": found,
            "text": render_markdown(found.text),
            "accepting": accepting,
            "form": form,
            "guides": list(selectors.published_guides(found.profile or None)),
        },
        status=status,
    )


@require_GET
def guides(request):
    return render(
        request,
        "directory/guides.html",
        {"guides": [_guide_entry(g) for g in selectors.published_guides()]},
    )


@require_GET
def guide(request, slug):
    found = selectors.public_guide(slug)
    if found is None:
        raise Http404
    entry = _guide_entry(found)
    return render(
        request,
        "directory/guide.html",
        {**entry, "body": render_markdown(entry["markdown"])},
    )


def _guide_entry(guide) -> dict:
    title, summary, markdown, language = guide.in_language()
    return {
        "guide": guide,
        "title": title,
        "summary": summary,
        "markdown": markdown,
        "language": language,
    }
