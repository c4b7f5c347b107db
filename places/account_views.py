"""Staff pages around people and freshness: invitations, email preferences, the stale-place
dashboard and the one-click "still true". Thin, as places/views.py: parse, one action, render.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from places import actions, emails, freshness, ratelimits, selectors
from places.access import access_place, staff_required
from places.forms import AccessibleFormMixin, VerifyForm
from places.models import Membership, Place, Role
from places.views import _administered_organisation, _editable_place

User = get_user_model()

# ------------------------------------------------------------------------- invitations


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invitation link: choose a password. Expired or used links say so (template)."""

    token_generator = emails.invitation_token
    template_name = "registration/invitation_confirm.html"
    success_url = reverse_lazy("manage:invitation_complete")


class InvitationRequestForm(AccessibleFormMixin, forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your email address"))


@require_http_methods(["GET", "POST"])
def invitation_request(request):
    """Ask for a new invitation link. The answer is the same whether the address is known
    or not, so that nobody learns who has an account."""
    form = InvitationRequestForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and ratelimits.invitation_request_over_limit(
            form.cleaned_data["email"], ratelimits.client_ip(request)
        )
    ):
        form.add_error(
            None,
            _("Too many requests for a new link. Wait %(minutes)s minutes, then try again.")
            % {"minutes": ratelimits.minutes("invitation-request-address")},
        )
        form.add_aria()
        return render(request, "registration/invitation_request.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        people = User.objects.filter(email__iexact=email, is_active=True)
        for person in people:
            membership = Membership.objects.select_related("organisation", "user").filter(
                user=person
            )
            first = membership.first()
            if first is not None and not person.has_usable_password():
                emails.send_invitation(first)
        return render(request, "registration/invitation_request_done.html", {"email": email})
    form.add_aria()
    return render(
        request,
        "registration/invitation_request.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def invitation_complete(request):
    return render(request, "registration/invitation_complete.html")


# ------------------------------------------------------------------ email preferences


@staff_required
@require_http_methods(["GET", "POST"])
def email_preferences(request):
    """Per organisation: one email per suggestion, a daily digest, or none."""
    memberships = list(Membership.objects.filter(user=request.user).select_related("organisation"))
    choices = Membership.SuggestionEmails.choices
    if request.method == "POST":
        errors = {}
        for membership in memberships:
            value = request.POST.get(f"m{membership.pk}", "")
            if value not in Membership.SuggestionEmails.values:
                errors[membership.pk] = _("Choose one of the options.")
        if not errors:
            for membership in memberships:
                membership.suggestion_emails = request.POST[f"m{membership.pk}"]
            Membership.objects.bulk_update(memberships, ["suggestion_emails"])
            messages.success(request, _("Your email preferences were saved."))
            return redirect("manage:email_preferences")
        rows = [(m, request.POST.get(f"m{m.pk}", ""), errors.get(m.pk)) for m in memberships]
        status = 400
    else:
        rows = [(m, m.suggestion_emails, None) for m in memberships]
        status = 200
    return render(
        request,
        "manage/email_preferences.html",
        {"rows": rows, "choices": choices, "has_email": bool(request.user.email)},
        status=status,
    )


# ---------------------------------------------------------------------------- freshness


@staff_required
@require_POST
def place_verify(request, public_id):
    """The one-click "still true" of the place page."""
    place = access_place(request.user, public_id, write=True)
    form = VerifyForm(request.POST)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return redirect(place.get_absolute_url())
    try:
        freshness.place_verify(
            place=place,
            user=request.user,
            method=form.cleaned_data["method"],
            update_every_days=form.cleaned_data["update_every_days"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("“%(name)s” is marked as checked today.") % {"name": place.name}
        )
    return redirect(place.get_absolute_url())


class StaleFilterForm(AccessibleFormMixin, forms.Form):
    WINDOWS = ((0, gettext_lazy("Overdue")), (30, gettext_lazy("Overdue or due within 30 days")))
    SORTS = (
        ("due", gettext_lazy("Due date, oldest first")),
        ("-due", gettext_lazy("Due date, newest first")),
        ("verified", gettext_lazy("Last checked, oldest first")),
        ("name", gettext_lazy("Name")),
    )
    within = forms.TypedChoiceField(
        label=gettext_lazy("Show"), choices=WINDOWS, coerce=int, required=False, empty_value=0
    )
    status = forms.MultipleChoiceField(
        label=gettext_lazy("Status"),
        choices=[(Place.Status.DRAFT, Place.Status.DRAFT.label)]
        + [(Place.Status.PUBLISHED, Place.Status.PUBLISHED.label)],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), choices=SORTS, required=False)


@staff_required
@require_GET
def stale_places(request):
    form = StaleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    places = freshness.stale_places(
        selectors.visible_places(request.user),
        today=timezone.localdate(),
        within_days=filters.get("within") or 0,
        statuses=filters.get("status") or (),
        sort=filters.get("sort") or "due",
    )
    page = Paginator(places, 50).get_page(request.GET.get("page"))
    roles = selectors.roles_of(request.user)
    remindable = {org for org, role in roles.items() if role == Role.REGISTRY_ADMIN}
    if request.user.is_superuser:
        remindable = {place.organisation_id for place in page}
    query = request.GET.copy()
    query.pop("page", None)
    form.add_aria()
    return render(
        request,
        "manage/stale_places.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "remindable": remindable,
            "today": timezone.localdate(),
        },
    )


OUTCOME_LABELS = {
    "sent": gettext_lazy("Sent"),
    "bounced": gettext_lazy("Refused by the mail server: recorded, not retried"),
    "failed": gettext_lazy("Not sent: the mail server could not be reached"),
    "skipped": gettext_lazy("Not sent"),
    "already": gettext_lazy("Already reminded in this period"),
    "no_recipient": gettext_lazy("No manager with an email address, and no email for the place"),
}


@staff_required
@require_POST
def stale_remind(request):
    """Bulk "send a reminder" from the dashboard: registry admins, for their places."""
    ids = request.POST.getlist("place")
    admin_of = selectors.admin_organisations(request.user)
    places = list(
        selectors.visible_places(request.user)
        .filter(public_id__in=[i for i in ids if _is_uuid(i)], organisation__in=admin_of)
        .prefetch_related("managers")
        .order_by("name")
    )
    if not ids:
        messages.error(request, _("Tick at least one place to remind."))
        return redirect("manage:stale_places")
    if not places:
        raise PermissionDenied(_("Only registry admins send reminders for their places."))
    results = freshness.reminders_send(places=places, user=request.user)
    rows = [{"result": r, "label": OUTCOME_LABELS.get(r.outcome, r.outcome)} for r in results]
    return render(request, "manage/stale_remind_report.html", {"rows": rows})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ refused addresses


def _clear(request, organisation, allowed: set[str]):
    email = (request.POST.get("email") or "").strip().lower()
    if email not in allowed:
        messages.error(request, _("This address is not one of those shown on this page."))
        return
    if actions.bounce_clear(user=request.user, email=email, organisation=organisation):
        messages.success(
            request,
            _("Mail will be sent to %(email)s again. If it is refused again, it is recorded again.")
            % {"email": email},
        )
    else:
        messages.info(request, _("%(email)s is not recorded as refused.") % {"email": email})


@staff_required
@require_POST
def place_bounce_clear(request, public_id):
    """The address of a place (or of one of its managers) is fixed: send to it again."""
    place = _editable_place(request, public_id)
    allowed = {row["email"].strip().lower() for row in emails.place_bounces(place)}
    _clear(request, place.organisation, allowed)
    return redirect(f"{place.get_absolute_url()}#email-problems")


@staff_required
@require_POST
def member_bounce_clear(request, org_slug):
    """A member's address is fixed: send to it again (registry admins)."""
    organisation = _administered_organisation(request, org_slug)
    allowed = {
        m.user.email.strip().lower()
        for m in Membership.objects.filter(organisation=organisation).select_related("user")
        if m.user.email
    }
    _clear(request, organisation, allowed)
    return redirect("manage:members", org_slug=organisation.slug)
