"""Staff pages of calls for initiatives, submitted projects and guides (/manage/initiatives/).

Access comes from places.access (through initiatives.access); every write is one action.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from initiatives import actions, selectors
from initiatives.access import access_call, access_submission, require_guide_editor
from initiatives.forms import CallForm, GuideForm, MakePlaceForm, ReviewForm
from initiatives.models import Guide, Submission
from initiatives.rendering import render_markdown
from places.access import (
    can_admin_organisation,
    is_registry_admin,
    require_organisation_admin,
    require_registry_admin,
    staff_required,
)
from places.models import Organisation
from places.selectors import administered_organisations


def _status(request) -> int:
    return 400 if request.method == "POST" else 200


# ------------------------------------------------------------------------------- calls


@require_GET
@staff_required
def call_list(request):
    return render(
        request,
        "manage/initiatives/call_list.html",
        {
            "calls": selectors.staff_calls(request.user),
            "may_create": is_registry_admin(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def call_create(request):
    require_registry_admin(request.user, _("Only registry admins publish calls."))
    form = CallForm(request.POST or None, organisations=administered_organisations(request.user))
    if request.method == "POST" and form.is_valid():
        organisation = get_object_or_404(Organisation, slug=form.cleaned_data["organisation"])
        require_organisation_admin(request.user, organisation)
        try:
            call = actions.call_create(
                user=request.user,
                organisation=organisation,
                data=form.data_for(CallForm.FIELDS),
                communes=form.commune_codes(),
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("The call “%(title)s” was saved.") % {"title": call.title})
            return redirect("initiatives:call_detail", pk=call.pk)
    form.add_aria()
    return render(
        request, "manage/initiatives/call_form.html", {"form": form}, status=_status(request)
    )


@require_GET
@staff_required
def call_detail(request, pk):
    call = access_call(request.user, pk)
    return render(
        request,
        "manage/initiatives/call_detail.html",
        {
            "call": call,
            "text": render_markdown(call.text),
            "submissions": selectors.call_submissions(call),
            "may_edit": can_admin_organisation(request.user, call.organisation),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def call_edit(request, pk):
    call = access_call(request.user, pk, write=True)
    form = CallForm(request.POST or None, call=call)
    if request.method == "POST" and form.is_valid():
        try:
            actions.call_update(
                user=request.user,
                call=call,
                data=form.data_for(CallForm.FIELDS),
                communes=form.commune_codes(),
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("The call “%(title)s” was saved.") % {"title": call.title})
            return redirect("initiatives:call_detail", pk=call.pk)
    form.add_aria()
    return render(
        request,
        "manage/initiatives/call_form.html",
        {"form": form, "call": call},
        status=_status(request),
    )


# ------------------------------------------------------------------------- submissions


def _submission_page(request, submission, *, review_form=None, place_form=None, status=200):
    may_review = can_admin_organisation(request.user, submission.call.organisation)
    if may_review and review_form is None:
        review_form = ReviewForm(
            initial={
                "status": submission.status,
                "notes": submission.notes,
                "version": submission.version,
            }
        )
    if may_review and place_form is None:
        place_form = MakePlaceForm()
    for form in (review_form, place_form):
        if form is not None:
            form.add_aria()
    return render(
        request,
        "manage/initiatives/submission_detail.html",
        {
            "submission": submission,
            "call": submission.call,
            "history": _history(submission),
            "may_review": may_review,
            "review_form": review_form,
            "place_form": place_form
            if submission.status == Submission.Status.RETAINED and not submission.place_id
            else None,
        },
        status=status,
    )


def _history(submission) -> list[dict]:
    """The records of a project, with status labels rather than codes."""
    labels = dict(Submission.Status.choices)
    entries = []
    for record in selectors.submission_history(submission):
        old, new = (record.changes.get("status") or [None, None])[:2]
        entries.append({"record": record, "old": labels.get(old, ""), "new": labels.get(new, "")})
    return entries


@require_GET
@staff_required
def submission_detail(request, pk):
    return _submission_page(request, access_submission(request.user, pk))


@require_POST
@staff_required
def submission_review(request, pk):
    submission = access_submission(request.user, pk, write=True)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            actions.submission_review(
                user=request.user,
                submission=submission,
                status=form.cleaned_data["status"],
                notes=form.cleaned_data["notes"],
                comment=form.cleaned_data["comment"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(
                request,
                _("The project is now “%(status)s”.")
                % {"status": submission.get_status_display().lower()},
            )
            return redirect("initiatives:submission_detail", pk=submission.pk)
    return _submission_page(request, submission, review_form=form, status=400)


@require_POST
@staff_required
def submission_place(request, pk):
    submission = access_submission(request.user, pk, write=True)
    form = MakePlaceForm(request.POST)
    if form.is_valid():
        try:
            place = actions.submission_make_place(
                user=request.user,
                submission=submission,
                typologies=form.cleaned_data["typologies"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(
                request,
                _("The draft place “%(name)s” was created: complete it, then publish it.")
                % {"name": place.name},
            )
            return redirect("manage:place_detail", public_id=place.public_id)
    return _submission_page(request, submission, place_form=form, status=400)


# ------------------------------------------------------------------------------ guides


@require_GET
@staff_required
def guide_list(request):
    return render(
        request,
        "manage/initiatives/guide_list.html",
        {"guides": selectors.staff_guides(), "may_edit": is_registry_admin(request.user)},
    )


@require_http_methods(["GET", "POST"])
@staff_required
def guide_edit(request, pk=None):
    require_guide_editor(request.user)
    guide = get_object_or_404(Guide, pk=pk) if pk else None
    form = GuideForm(request.POST or None, guide=guide)
    preview = None
    if request.method == "POST" and form.is_valid():
        data = form.data_for(GuideForm.FIELDS)
        try:
            if guide is None:
                guide = actions.guide_create(user=request.user, data=data)
            else:
                actions.guide_update(
                    user=request.user,
                    guide=guide,
                    data=data,
                    expected_version=form.cleaned_data["version"],
                )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            saved = _("The guide “%(title)s” was saved.") % {"title": guide.title_fr}
            messages.success(request, saved)
            return redirect("initiatives:guide_list")
    if guide is not None and request.method == "GET":
        preview = render_markdown(guide.body_fr)
    form.add_aria()
    return render(
        request,
        "manage/initiatives/guide_form.html",
        {"form": form, "guide": guide, "preview": preview},
        status=_status(request),
    )
