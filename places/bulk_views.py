"""Bulk actions on the staff place list: select, confirm, apply, read the per-row report.

The list posts the selection here; the confirmation page lists the places (with those the
person may not change marked), asks what the action needs (the manager, how the places
were checked) and carries each place's version. Applying runs places.bulk, keeps the report
in the session and redirects to it, so that reloading the report changes nothing.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from places import access, bulk, selectors
from places.access import staff_required
from places.account_views import OUTCOME_LABELS
from places.forms import AccessibleFormMixin
from places.models import Place

User = get_user_model()
SESSION_KEY = "places_bulk_report"


def _person_label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class BulkParametersForm(AccessibleFormMixin, forms.Form):
    """What an action needs beyond the places: the manager to assign, how they were checked."""

    person = forms.ModelChoiceField(
        label=gettext_lazy("Person who will manage the places"),
        queryset=User.objects.none(),
        required=False,
    )
    method = forms.ChoiceField(
        label=gettext_lazy("Checked by"),
        choices=[("", "—")]
        + [
            (value, label)
            for value, label in Place.VerificationMethod.choices
            if value != Place.VerificationMethod.SELF_SERVICE
        ],
        required=False,
    )

    def __init__(self, *args, action: str, places, user, **kwargs):
        super().__init__(*args, **kwargs)
        if action == bulk.ASSIGN_MANAGER:
            organisations = {
                p.organisation_id
                for p in places
                if access.can_admin_organisation(user, p.organisation)
            }
            self.fields["person"].queryset = (
                User.objects.filter(memberships__organisation_id__in=organisations, is_active=True)
                .distinct()
                .order_by("username")
            )
            self.fields["person"].label_from_instance = _person_label
            self.fields["person"].required = True
            self.fields["person"].error_messages["required"] = _(
                "Choose the person who will manage the places."
            )
            del self.fields["method"]
        elif action == bulk.VERIFY:
            self.fields["method"].required = True
            self.fields["method"].error_messages["required"] = _(
                "Choose how the information was checked."
            )
            del self.fields["person"]
        else:
            del self.fields["person"]
            del self.fields["method"]


def _back_url(request) -> str:
    """The list as the person left it (its filters and page), from the posted query string."""
    query = QueryDict(request.POST.get("query", ""), mutable=True)
    url = reverse("manage:home")
    return f"{url}?{query.urlencode()}" if query else url


def _selection(request) -> list[uuid.UUID]:
    key = "page_place" if request.POST.get("all_on_page") else "place"
    return bulk.parse_ids(request.POST.getlist(key))


def _versions(request, ids) -> dict[uuid.UUID, int] | None:
    versions = {}
    for place_id in ids:
        value = request.POST.get(f"version-{place_id}", "")
        if not value.isdigit():
            return None
        versions[place_id] = int(value)
    return versions


def _refused(request, message: str, *, status: int = 400):
    return render(
        request,
        "manage/place_bulk_confirm.html",
        {"error": message, "back_url": _back_url(request), "query": request.POST.get("query", "")},
        status=status,
    )


def _confirm_page(request, *, action, places, form, error="", status=200):
    rows = [{"place": p, "refusal": bulk.refusal(request.user, action, p)} for p in places]
    form.add_aria()
    return render(
        request,
        "manage/place_bulk_confirm.html",
        {
            "action": action,
            "action_label": bulk.ACTION_LABELS[action],
            "rows": rows,
            "allowed": sum(1 for r in rows if not r["refusal"]),
            "form": form,
            "error": error,
            "back_url": _back_url(request),
            "query": request.POST.get("query", ""),
        },
        status=status,
    )


def _action(request) -> str:
    action = request.POST.get("action", "")
    if action not in bulk.ACTION_LABELS:
        raise ValidationError(_("Choose an action from the list."), code="unknown_action")
    return action


@staff_required
@require_POST
def bulk_confirm(request):
    """Step 2: the places selected on the list and what the action needs. Changes nothing."""
    try:
        action = _action(request)
        places = bulk.selected_places(user=request.user, ids=_selection(request))
    except ValidationError as exc:
        return _refused(request, " ".join(exc.messages))
    form = BulkParametersForm(action=action, places=places, user=request.user)
    return _confirm_page(request, action=action, places=places, form=form)


@staff_required
@require_POST
def bulk_apply(request):
    """Step 3: apply to each confirmed place, then show the report."""
    try:
        action = _action(request)
        ids = bulk.parse_ids(request.POST.getlist("place"))
        places = bulk.selected_places(user=request.user, ids=ids)
    except ValidationError as exc:
        return _refused(request, " ".join(exc.messages))
    form = BulkParametersForm(request.POST, action=action, places=places, user=request.user)
    versions = _versions(request, ids)
    if versions is None:
        return _confirm_page(
            request,
            action=action,
            places=places,
            form=BulkParametersForm(action=action, places=places, user=request.user),
            error=_("The confirmation is incomplete: nothing was changed. Confirm again."),
            status=400,
        )
    try:
        bulk.selected_places(user=request.user, ids=ids, versions=versions)
    except ValidationError as exc:
        return _confirm_page(
            request,
            action=action,
            places=places,
            form=BulkParametersForm(action=action, places=places, user=request.user),
            error=" ".join(exc.messages),
            status=409,
        )
    if not form.is_valid():
        return _confirm_page(request, action=action, places=places, form=form, status=400)
    results = bulk.bulk_apply(
        user=request.user,
        action=action,
        places=places,
        versions=versions,
        person=form.cleaned_data.get("person"),
        method=form.cleaned_data.get("method"),
    )
    request.session[SESSION_KEY] = {
        "action": action,
        "query": request.POST.get("query", ""),
        "rows": [[str(r.place.public_id), r.done, _row_message(r)] for r in results],
    }
    return redirect("manage:place_bulk_report")


def _row_message(result: bulk.RowResult) -> str:
    if not result.reminders:
        return result.message
    parts = []
    for reminder in result.reminders:
        label = str(OUTCOME_LABELS.get(reminder.outcome, reminder.outcome))
        text = f"{reminder.email}: {label}" if reminder.email else label
        parts.append(f"{text} ({reminder.detail})" if reminder.detail else text)
    return "; ".join(parts)


@staff_required
@require_GET
def bulk_report(request):
    """The last bulk action's report: done or refused and why, one row per place."""
    report = request.session.get(SESSION_KEY)
    if not report or report.get("action") not in bulk.ACTION_LABELS:
        return redirect("manage:home")
    places = {
        str(p.public_id): p
        for p in selectors.visible_places(request.user).filter(
            public_id__in=[row[0] for row in report["rows"]]
        )
    }
    rows = [
        {"place": places.get(place_id), "done": done, "message": message}
        for place_id, done, message in report["rows"]
    ]
    query = QueryDict(report.get("query", ""))
    url = reverse("manage:home")
    return render(
        request,
        "manage/place_bulk_report.html",
        {
            "action_label": bulk.ACTION_LABELS[report["action"]],
            "rows": rows,
            "done": sum(1 for r in rows if r["done"]),
            "refused": sum(1 for r in rows if not r["done"]),
            "back_url": f"{url}?{query.urlencode()}" if query else url,
        },
    )
