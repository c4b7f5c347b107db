"""Staff pages of the registry, under /manage/.

Views are thin: they check rights, parse a form, call one action or selector and render.
Who may do what is decided by places.access (access_place, staff_required...).
Place managers read every place of their organisation and edit the ones they manage; the
registry is not secret inside an organisation and seeing neighbouring places helps them
avoid duplicates.
"""

from __future__ import annotations

import importlib

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from places import access, actions, bulk, emails, ratelimits, registry_export, selectors
from places.access import staff_required
from places.forms import (
    PROFILE_FORMS,
    SUGGESTION_FORM_FIELDS,
    ConfirmForm,
    MembershipRoleForm,
    PersonInviteForm,
    PlaceFilterForm,
    PlaceForm,
    SuggestionAcceptForm,
    SuggestionEditForm,
    SuggestionFilterForm,
    SuggestionRejectForm,
    ThrottledAuthenticationForm,
    VerifyForm,
    errors_by_form,
)
from places.history import snapshot
from places.models import (
    PROFILE_MODELS,
    Membership,
    Network,
    Organisation,
    OrganisationEvent,
    Place,
    Role,
    Suggestion,
    Typology,
)
from places.versioning import describe_change as _describe_change
from places.versioning import field_label as _field_label
from places.versioning import value_label as _value_label
from places.versioning import version_required


def _visible_place(request, public_id) -> Place:
    """The place if the person may read it; 404 otherwise, so outsiders learn nothing."""
    return access.access_place(
        request.user, public_id, queryset=selectors.place_detail(Place.objects.all())
    )


def _editable_place(request, public_id) -> Place:
    return access.access_place(
        request.user, public_id, write=True, queryset=selectors.place_detail(Place.objects.all())
    )


# ---------------------------------------------------------------------------- place list


def _filtered_places(request):
    """The list's filter form and the places it selects, shared by the list and the export."""
    visible = selectors.visible_places(request.user)
    form = PlaceFilterForm(
        request.GET or None,
        communes=selectors.communes_in_registry(visible),
        networks=Network.objects.order_by("name").values_list("slug", "name"),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    places = selectors.search_places(
        visible,
        q=filters.get("q", ""),
        statuses=filters.get("status", ()),
        typologies=filters.get("typology", ()),
        profiles=filters.get("profile", ()),
        communes=filters.get("commune", ()),
        networks=filters.get("network", ()),
    )
    return form, filters, places


@staff_required
@require_GET
def home(request):
    form, filters, places = _filtered_places(request)
    per_page = filters.get("per_page") or PlaceFilterForm.PAGE_SIZES[0]
    places = selectors.with_edit_right(selectors.place_list(places), request.user)
    page = Paginator(places, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    form.add_aria()
    return render(
        request,
        "manage/place_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_create": selectors.editable_organisations(request.user).exists(),
            "admin_organisations": list(selectors.admin_organisations(request.user)),
        },
    )


@staff_required
@require_GET
def place_export(request, file_format):
    """Every place the list shows with the same filters, all pages, drafts included."""
    _form, _filters, places = _filtered_places(request)
    filename = f"registry-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "xlsx":
        response = HttpResponse(
            registry_export.xlsx_bytes(places),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = StreamingHttpResponse(
            registry_export.csv_lines(places), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ------------------------------------------------------------------------- place detail


@staff_required
@require_GET
def place_detail(request, public_id):
    place = _visible_place(request, public_id)
    return render(
        request,
        "manage/place_detail.html",
        {
            "place": place,
            "can_edit": access.can_edit_place(request.user, place),
            "can_admin": access.can_admin_organisation(request.user, place.organisation),
            "profiles": _profile_rows(place),
            "verify_form": VerifyForm(
                initial={"method": "phone", "update_every_days": place.update_every_days}
            ),
            "bounces": emails.place_bounces(place),
        },
    )


def _profile_rows(place: Place) -> list[dict]:
    rows = []
    for name, model in PROFILE_MODELS.items():
        profile = getattr(place, name, None)
        if profile is None:
            continue
        values = []
        for field in model._meta.concrete_fields:
            if field.primary_key or field.name == "place":
                continue
            values.append((capfirst(str(field.verbose_name)), _display(profile, field)))
        rows.append(
            {"name": name, "title": capfirst(str(model._meta.verbose_name)), "values": values}
        )
    return rows


def _display(record, field) -> str:
    value = getattr(record, field.name)
    if hasattr(field, "labels"):
        return ", ".join(field.labels(value))
    if field.choices:
        return str(getattr(record, f"get_{field.name}_display")())
    return "" if value is None else str(value)


# ----------------------------------------------------------------- create and edit


def _place_forms(request, *, place: Place | None, data=None):
    user = request.user
    if place is None:
        organisations = selectors.editable_organisations(user)
        can_assign = True
        manager_orgs = organisations
    else:
        organisations = None
        can_assign = access.can_admin_organisation(user, place.organisation)
        manager_orgs = [place.organisation]
    form = PlaceForm(
        data,
        instance=place or Place(),
        organisations=organisations,
        can_assign_managers=can_assign,
        manager_organisations=manager_orgs,
    )
    profile_forms = [form_class(data, place=place) for form_class in PROFILE_FORMS]
    return form, profile_forms


def _render_place_form(request, form, profile_forms, *, place=None, conflict=None, status=200):
    form.add_aria()
    for profile_form in profile_forms:
        profile_form.add_aria()
    return render(
        request,
        "manage/place_form.html",
        {
            "form": form,
            "profile_forms": profile_forms,
            "place": place,
            "conflict": conflict,
            "geocoding": _geocoding_enabled(),
        },
        status=status,
    )


def _apply_action_errors(exc: ValidationError, form, profile_forms) -> None:
    main, nested = errors_by_form(exc, tuple(f.profile_name for f in profile_forms))
    form.apply_errors(main)
    for profile_form in profile_forms:
        profile_form.apply_errors(nested[profile_form.profile_name])


@staff_required
@require_http_methods(["GET", "POST"])
def place_create(request):
    access.require_registry_admin(request.user, _("Only registry admins create places."))
    form, profile_forms = _place_forms(request, place=None, data=request.POST or None)
    if request.method == "POST" and _all_valid(form, profile_forms):
        try:
            place = actions.place_create(
                user=request.user,
                organisation=form.cleaned_data["organisation"],
                data=form.place_data(),
                typologies=form.cleaned_data["typologies"],
                networks=form.cleaned_data["networks"],
                managers=form.cleaned_data.get("managers", ()),
                profiles={f.profile_name: f.profile_values() for f in profile_forms},
                update_every_days=form.cleaned_data.get("update_every_days"),
            )
        except ValidationError as exc:
            _apply_action_errors(exc, form, profile_forms)
        else:
            messages.success(request, _("“%(name)s” was created as a draft.") % {"name": place})
            return redirect(place.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return _render_place_form(request, form, profile_forms, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def place_edit(request, public_id):
    place = _editable_place(request, public_id)
    form, profile_forms = _place_forms(request, place=place, data=request.POST or None)
    conflict = None
    if request.method == "POST" and _all_valid(form, profile_forms):
        try:
            actions.place_update(
                place=place,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                data=form.place_data(),
                typologies=form.cleaned_data["typologies"],
                networks=form.cleaned_data["networks"],
                managers=form.cleaned_data.get("managers"),
                profiles={f.profile_name: f.profile_values() for f in profile_forms},
                update_every_days=form.cleaned_data.get("update_every_days"),
            )
        except actions.StaleVersion as exc:
            # Keep the person's input, show what changed meanwhile, and move the hidden
            # version on: saving again now applies their input on purpose.
            data = request.POST.copy()
            data["version"] = str(exc.current.version)
            form, profile_forms = _place_forms(request, place=place, data=data)
            _all_valid(form, profile_forms)
            form.add_error(None, exc.messages[0])
            conflict = [_describe_change(record) for record in exc.since]
        except ValidationError as exc:
            _apply_action_errors(exc, form, profile_forms)
        else:
            messages.success(request, _("Your changes to “%(name)s” were saved.") % {"name": place})
            return redirect(place.get_absolute_url())
    status = 200 if request.method == "GET" else (409 if conflict is not None else 400)
    return _render_place_form(
        request, form, profile_forms, place=place, conflict=conflict, status=status
    )


def _all_valid(form, profile_forms) -> bool:
    # Validate every form (not short-circuited) so that all errors show at once.
    results = [form.is_valid()] + [f.is_valid() for f in profile_forms]
    return all(results)


# ------------------------------------------------------------- publish, archive, restore


def _status_change(request, public_id, action, done_message):
    place = _editable_place(request, public_id)
    form = ConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise version_required()
        action(place=place, user=request.user, expected_version=form.cleaned_data["version"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done_message % {"name": place})
    return HttpResponseRedirect(place.get_absolute_url())


@staff_required
@require_POST
def place_publish(request, public_id):
    return _status_change(
        request, public_id, actions.place_publish, _("“%(name)s” is now published.")
    )


@staff_required
@require_http_methods(["GET", "POST"])
def place_archive(request, public_id):
    if request.method == "GET":
        place = _editable_place(request, public_id)
        return render(request, "manage/place_archive.html", {"place": place})
    return _status_change(request, public_id, actions.place_archive, _("“%(name)s” was archived."))


@staff_required
@require_POST
def place_restore(request, public_id):
    return _status_change(
        request,
        public_id,
        actions.place_restore,
        _("“%(name)s” was restored as a draft: review it, then publish it again."),
    )


# ---------------------------------------------------------------------------- history


@staff_required
@require_GET
def place_history(request, public_id):
    place = _visible_place(request, public_id)
    page = Paginator(selectors.place_history(place), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "manage/place_history.html",
        {"place": place, "page": page, "changes": [_describe_change(r) for r in page]},
    )


# ---------------------------------------------------------------------------- geocoding


def _geocoding_module():
    # The adapter is optional at start-up: without it the button is hidden.
    try:
        return importlib.import_module("places.geocoding")
    except ModuleNotFoundError as exc:
        if exc.name != "places.geocoding":
            raise
        return None


def _geocoding_enabled() -> bool:
    module = _geocoding_module()
    return bool(module and module.geocoding_enabled())


@staff_required
@require_GET
def geocode(request):
    """JSON for the "Find the address" button: {"results": [...]} or {"error": message}."""
    module = _geocoding_module()
    if module is None or not module.geocoding_enabled():
        return JsonResponse({"error": _("Address search is turned off on this site.")}, status=503)
    query = request.GET.get("q", "").strip()
    if len(query) < 3:
        return JsonResponse({"error": _("Type at least 3 characters of the address.")}, status=400)
    try:
        results = module.geocode(query, postcode=request.GET.get("postcode", "").strip())
    except module.GeocodingError as exc:
        status = 503 if getattr(exc, "code", "") == "disabled" else 502
        return JsonResponse({"error": str(exc)}, status=status)
    return JsonResponse(
        {
            "results": [
                {
                    "label": r.label,
                    "latitude": str(r.latitude),
                    "longitude": str(r.longitude),
                    "postcode": r.postcode,
                    "commune": r.commune,
                    "insee_code": r.insee_code,
                    "score": r.score,
                }
                for r in results
            ]
        }
    )


# ------------------------------------------------------------------------------ members


# ------------------------------------------------------------------- sign-in and reset


class LoginView(auth_views.LoginView):
    """Django's sign-in, throttled per account name and per address (places.ratelimits)."""

    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked:
            response.status_code = 429
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset request, limited per email address and per client address. The
    limit counts every request, known address or not, so a refusal reveals no account."""

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        if ratelimits.password_reset_over_limit(email, ratelimits.client_ip(self.request)):
            form.add_error(
                None,
                _("Too many reset requests. Wait %(minutes)s minutes, then try again.")
                % {"minutes": ratelimits.minutes("password-reset-address")},
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


def _administered_organisation(request, slug, refusal: str | None = None) -> Organisation:
    return access.access_organisation(
        request.user, slug, message=refusal or _("Only registry admins manage the members.")
    )


ACTIVITY_PAGE_SIZE = 50


@staff_required
@require_GET
def organisation_activity(request, org_slug):
    """Who changed the organisation's members, partner tokens and webhooks, ran imports
    and bulk actions, and when: newest first, filtered by kind."""
    organisation = _administered_organisation(
        request, org_slug, _("Only registry admins read the organisation's activity.")
    )
    kind = request.GET.get("kind", "")
    if kind not in OrganisationEvent.Kind.values:
        kind = ""
    events = selectors.organisation_activity(organisation, kind=kind)
    page = Paginator(events, ACTIVITY_PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page:
        event.target_label = (
            bulk.ACTION_LABELS.get(event.target, event.target)
            if event.kind == OrganisationEvent.Kind.BULK
            else event.target
        )
    return render(
        request,
        "manage/organisation_activity.html",
        {
            "organisation": organisation,
            "page": page,
            "kind": kind,
            "kinds": OrganisationEvent.Kind.choices,
            "query": f"kind={kind}" if kind else "",
        },
    )


def _members_page(request, organisation, invite_form, status=200):
    invite_form.add_aria()
    memberships = list(selectors.organisation_members(organisation))
    return render(
        request,
        "manage/members.html",
        {
            "organisation": organisation,
            "memberships": memberships,
            "role_forms": [
                (m, MembershipRoleForm(initial={"role": m.role}, prefix=f"m{m.pk}"))
                for m in memberships
            ],
            "invite_form": invite_form,
            "bounces": emails.member_bounces(memberships),
        },
        status=status,
    )


@staff_required
@require_GET
def members(request, org_slug):
    organisation = _administered_organisation(request, org_slug)
    return _members_page(request, organisation, PersonInviteForm())


@staff_required
@require_POST
def member_add(request, org_slug):
    organisation = _administered_organisation(request, org_slug)
    form = PersonInviteForm(request.POST)
    if form.is_valid() and ratelimits.invitation_over_limit(request.user.pk):
        form.add_error(
            None,
            _("You sent too many invitations. Wait %(minutes)s minutes, then try again.")
            % {"minutes": ratelimits.minutes("invitation-user")},
        )
        return _members_page(request, organisation, form, status=429)
    if form.is_valid():
        try:
            membership = actions.person_invite(
                organisation=organisation, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form.apply_errors(
                exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            )
        else:
            done = _("%(person)s is now %(role)s.") % {
                "person": membership.user,
                "role": membership.get_role_display().lower(),
            }
            if membership.invitation_sent:
                done += " " + _(
                    "An invitation with a link to choose a password was sent to %(email)s."
                ) % {"email": membership.user.email}
            messages.success(request, done)
            return redirect("manage:members", org_slug=organisation.slug)
    return _members_page(request, organisation, form, status=400)


def _membership(organisation, pk) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user"), organisation=organisation, pk=pk
    )


@staff_required
@require_POST
def member_role(request, org_slug, pk):
    organisation = _administered_organisation(request, org_slug)
    membership = _membership(organisation, pk)
    form = MembershipRoleForm(request.POST, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose a role from the list."))
    else:
        try:
            actions.membership_set(
                organisation=organisation,
                user=request.user,
                person=membership.user,
                role=form.cleaned_data["role"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("%(person)s is now %(role)s.")
                % {
                    "person": membership.user,
                    "role": Role(form.cleaned_data["role"]).label.lower(),
                },
            )
    return redirect("manage:members", org_slug=organisation.slug)


@staff_required
@require_http_methods(["GET", "POST"])
def member_remove(request, org_slug, pk):
    organisation = _administered_organisation(request, org_slug)
    membership = _membership(organisation, pk)
    if request.method == "GET":
        return render(
            request,
            "manage/member_remove.html",
            {"organisation": organisation, "membership": membership},
        )
    try:
        actions.membership_remove(membership=membership, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(person)s was removed from %(org)s.")
            % {"person": membership.user, "org": organisation},
        )
    return redirect("manage:members", org_slug=organisation.slug)


# -------------------------------------------------------------------------- suggestions


def _visible_suggestion(request, pk) -> Suggestion:
    """The suggestion if the person may read it; 404 otherwise, as for places."""
    return access.access_suggestion(request.user, pk)


def _moderated_suggestion(request, pk) -> Suggestion:
    return access.access_suggestion(request.user, pk, moderate=True)


def _suggestion_value(name: str, value) -> str:
    if name == "typologies":
        labels = [str(Typology.Code(c).label) for c in value or () if c in Typology.Code.values]
        return ", ".join(labels) or "—"
    return _value_label("place", name, value)


def _suggestion_rows(suggestion: Suggestion) -> list[dict]:
    """The proposal as a diff: field label, current value, proposed value."""
    current = {}
    place = suggestion.place if suggestion.kind == Suggestion.Kind.CORRECTION else None
    if place is not None:
        current = snapshot(place, exclude=("organisation",))
        current["typologies"] = sorted(t.code for t in place.typologies.all())
    order = {name: i for i, name in enumerate(actions.SUGGESTION_FIELDS)}
    rows = []
    for name in sorted(suggestion.data, key=lambda n: order.get(n, len(order))):
        proposed = suggestion.data[name]
        label = _("Typologies") if name == "typologies" else _field_label("place", name)
        rows.append(
            {
                "name": name,
                "label": label,
                "current": _suggestion_value(name, current.get(name)) if place else None,
                "proposed": _suggestion_value(name, proposed),
                "unchanged": place is not None and current.get(name) == proposed,
            }
        )
    return rows


def _accept_organisations(request, suggestion: Suggestion):
    if suggestion.kind == Suggestion.Kind.NEW_PLACE and suggestion.place_id is None:
        return selectors.editable_organisations(request.user)
    return None


def _render_suggestion(
    request, suggestion, *, accept_form=None, reject_form=None, conflict=None, status=200
):
    can_moderate = access.can_moderate_suggestion(request.user, suggestion)
    accept_form = accept_form or SuggestionAcceptForm(
        place=suggestion.place, organisations=_accept_organisations(request, suggestion)
    )
    reject_form = reject_form or SuggestionRejectForm()
    accept_form.add_aria()
    reject_form.add_aria()
    return render(
        request,
        "manage/suggestion_detail.html",
        {
            "suggestion": suggestion,
            "rows": _suggestion_rows(suggestion),
            "can_moderate": can_moderate and suggestion.status == Suggestion.Status.PENDING,
            "accept_form": accept_form,
            "reject_form": reject_form,
            "conflict": conflict,
        },
        status=status,
    )


@staff_required
@require_GET
def suggestion_list(request):
    form = SuggestionFilterForm(request.GET or {"status": Suggestion.Status.PENDING})
    status = form.cleaned_data["status"] if form.is_valid() else Suggestion.Status.PENDING
    suggestions = selectors.visible_suggestions(request.user)
    if status:
        suggestions = suggestions.filter(status=status)
    page = Paginator(suggestions, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "manage/suggestion_list.html",
        {"form": form, "page": page, "status": status},
    )


@staff_required
@require_GET
def suggestion_detail(request, pk):
    return _render_suggestion(request, _visible_suggestion(request, pk))


def _accepted_message(suggestion: Suggestion) -> str:
    return _("The suggestion was accepted: “%(name)s” is up to date.") % {"name": suggestion.place}


@staff_required
@require_POST
def suggestion_accept(request, pk):
    suggestion = _moderated_suggestion(request, pk)
    organisations = _accept_organisations(request, suggestion)
    form = SuggestionAcceptForm(request.POST, place=suggestion.place, organisations=organisations)
    if not form.is_valid():
        for name in ("version", "organisation"):
            for message in form.errors.get(name, []):
                messages.error(request, message)
        return redirect("manage:suggestion_detail", pk=suggestion.pk)
    try:
        actions.suggestion_accept(
            suggestion=suggestion,
            user=request.user,
            organisation=form.cleaned_data.get("organisation"),
            expected_version=form.cleaned_data.get("version"),
        )
    except actions.StaleVersion as exc:
        # Show what changed on the place meanwhile; the button now carries the version
        # the moderator has seen, so accepting again is a decision taken knowingly.
        suggestion.place.refresh_from_db()
        return _render_suggestion(
            request,
            suggestion,
            accept_form=SuggestionAcceptForm(place=suggestion.place, organisations=organisations),
            conflict={
                "message": exc.messages[0],
                "changes": [_describe_change(r) for r in exc.since],
                "next": _(
                    "Nothing was applied. Accepting again applies the suggestion over the "
                    "changes shown."
                ),
            },
            status=409,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _accepted_message(suggestion))
        return redirect("manage:suggestion_list")
    return redirect("manage:suggestion_detail", pk=suggestion.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def suggestion_edit(request, pk):
    suggestion = _moderated_suggestion(request, pk)
    if suggestion.status != Suggestion.Status.PENDING:
        messages.error(request, _("This suggestion was already decided."))
        return redirect("manage:suggestion_detail", pk=suggestion.pk)
    names = list(suggestion.data)
    if suggestion.kind == Suggestion.Kind.NEW_PLACE:
        names = list(dict.fromkeys([*SUGGESTION_FORM_FIELDS, *names]))
    organisations = _accept_organisations(request, suggestion)
    form = SuggestionEditForm(
        request.POST or None,
        initial=dict(suggestion.data),
        names=names,
        place=suggestion.place,
        organisations=organisations,
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.suggestion_accept(
                suggestion=suggestion,
                user=request.user,
                data=form.proposed_data(),
                organisation=form.cleaned_data.get("organisation"),
                expected_version=form.cleaned_data.get("version"),
            )
        except actions.StaleVersion as exc:
            # Keep the moderator's values and move the version on: accepting again
            # applies them over the changes shown.
            data = request.POST.copy()
            data["version"] = str(exc.version)
            form = SuggestionEditForm(
                data, names=names, place=suggestion.place, organisations=organisations
            )
            form.is_valid()
            conflict = {
                "message": exc.messages[0],
                "changes": [_describe_change(r) for r in exc.since],
            }
        except ValidationError as exc:
            form.apply_errors(
                exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            )
        else:
            messages.success(request, _accepted_message(suggestion))
            return redirect("manage:suggestion_list")
    form.add_aria()
    return render(
        request,
        "manage/suggestion_edit.html",
        {
            "suggestion": suggestion,
            "form": form,
            "rows": _suggestion_rows(suggestion),
            "conflict": conflict,
        },
        status=409 if conflict else 400 if request.method == "POST" else 200,
    )


@staff_required
@require_POST
def suggestion_reject(request, pk):
    suggestion = _moderated_suggestion(request, pk)
    form = SuggestionRejectForm(request.POST)
    if form.is_valid():
        try:
            actions.suggestion_reject(
                suggestion=suggestion, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.apply_errors(
                exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            )
        else:
            messages.success(request, _("The suggestion was rejected."))
            return redirect("manage:suggestion_list")
    return _render_suggestion(request, suggestion, reject_form=form, status=400)
