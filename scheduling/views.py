"""Staff pages of opening hours, under /manage/scheduling/.

One editor serves a place's general hours and each service offer's hours. Rights follow the
place: whoever may read it reads its hours and exports them, whoever may edit it changes
them; people from other organisations get a 404 and anonymous people the login page.

Views parse forms, call one action (or, for "Preview", `scheduling.preview.preview_days`,
which writes nothing) and render. The editor works without JavaScript;
static/js/schedule-editor.js only adds live checking of OSM text through `osm_check`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from places import access
from places.access import staff_required
from places.models import Place
from places.versioning import describe_change, version_required
from scheduling import actions, preview
from scheduling.forms import ExceptionForm, OsmForm, RulesEditor
from scheduling.ical import calendar_ics
from scheduling.models import ScheduleException
from services.models import ServiceOffer


def _target(request, public_id, offer_pk=None) -> tuple[Place, ServiceOffer | None]:
    """The place (and offer) if the person may read the place; 404 otherwise."""
    place = access.access_place(
        request.user, public_id, queryset=Place.objects.select_related("organisation")
    )
    offer = None
    if offer_pk is not None:
        offer = get_object_or_404(
            ServiceOffer.objects.select_related("kind", "provider"), place=place, pk=offer_pk
        )
        offer.place = place
    return place, offer


def _require_edit(request, place: Place) -> None:
    if not access.can_edit_place(request.user, place):
        raise access.AccessDenied(_("You may read these opening hours but not change them."))


def _owner_kwargs(place, offer) -> dict:
    return {"offer": offer} if offer is not None else {"place": place}


def _editor_url(place, offer) -> str:
    if offer is not None:
        return reverse("scheduling:offer_hours", args=[place.public_id, offer.pk])
    return reverse("scheduling:place_hours", args=[place.public_id])


def _render(
    request,
    place,
    offer,
    schedule,
    *,
    can_edit,
    editor=None,
    osm_form=None,
    exception_form=None,
    preview_result=None,
    conflict=None,
    status=200,
):
    version = schedule.version if schedule else 0
    if editor is None:
        editor = RulesEditor(schedule=schedule)
        editor.add_aria()
    if osm_form is None:
        osm_form = OsmForm(
            initial={
                "version": version,
                "osm_source": schedule.osm_source if schedule else "",
                "holiday_zone": schedule.holiday_zone if schedule else "",
            },
            prefix="osm",
        )
        osm_form.add_aria()
    if exception_form is None:
        exception_form = ExceptionForm(initial={"version": version}, prefix="exception")
        exception_form.add_aria()
    today = timezone.localdate()
    week = days = None
    if schedule is not None:
        try:
            ruleset = preview.saved_ruleset(schedule, place)
            week = preview.week_lines(ruleset, today)
            days = preview.days_of(ruleset, offer=offer, today=today)
        except ValidationError:
            pass  # a schedule the calendar cannot evaluate any more shows no reading
    osm_text, osm_reason = preview.osm_export(schedule)
    exceptions = [e for e in (schedule.exceptions.all() if schedule else []) if e.end_date >= today]
    return render(
        request,
        "manage/scheduling/schedule_edit.html",
        {
            "place": place,
            "offer": offer,
            "schedule": schedule,
            "can_edit": can_edit,
            "editor": editor,
            "osm_form": osm_form,
            "exception_form": exception_form,
            "week": week,
            "days": days,
            "preview": preview_result,
            "exceptions": exceptions,
            "osm_text": osm_text,
            "osm_reason": osm_reason,
            "offers": preview.offers_with_schedules(place) if offer is None else None,
            "conflict": conflict,
            "editor_url": _editor_url(place, offer),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def schedule_edit(request, public_id, offer_pk=None):
    """The editor: GET shows the hours; POST previews or saves rules or OSM text."""
    place, offer = _target(request, public_id, offer_pk)
    can_edit = access.can_edit_place(request.user, place)
    schedule = preview.schedule_of(place, offer)
    if request.method == "GET":
        return _render(request, place, offer, schedule, can_edit=can_edit)
    if not can_edit:
        raise access.AccessDenied(_("You may read these opening hours but not change them."))
    op = request.POST.get("op", "save")
    exceptions = list(schedule.exceptions.all()) if schedule else []
    context = {"can_edit": True}
    if request.POST.get("editor") == "osm":
        form = OsmForm(request.POST, prefix="osm")
        context["osm_form"] = form
        if not form.is_valid():
            form.add_aria()
            return _render(request, place, offer, schedule, status=400, **context)
        text, zone = form.cleaned_data["osm_source"], form.cleaned_data.get("holiday_zone", "")
        try:
            if op == "preview":
                context["preview_result"] = preview.preview_days(
                    place, osm_text=text, holiday_zone=zone, exceptions=exceptions, offer=offer
                )
                form.add_aria()
                return _render(request, place, offer, schedule, **context)
            actions.schedule_set_osm(
                user=request.user,
                text=text,
                holiday_zone=zone,
                expected_version=form.cleaned_data["version"],
                **_owner_kwargs(place, offer),
            )
        except actions.StaleSchedule as exc:
            data = request.POST.copy()
            data["osm-version"] = str(exc.version)
            form = OsmForm(data, prefix="osm")
            form.is_valid()
            form.add_error(None, exc.messages[0])
            form.add_aria()
            context.update(osm_form=form, conflict=_conflict(exc))
            return _render(request, place, offer, schedule, status=409, **context)
        except ValidationError as exc:
            form.apply_errors(exc)
            return _render(request, place, offer, schedule, status=400, **context)
        messages.success(request, _("The opening hours were saved."))
        return redirect(_editor_url(place, offer))

    editor = RulesEditor(request.POST, schedule=schedule, add_row=op == "add_rule")
    context["editor"] = editor
    valid = editor.is_valid()
    if op == "add_rule":
        return _render(request, place, offer, schedule, **context)
    if not valid:
        return _render(request, place, offer, schedule, status=400, **context)
    kwargs = editor.action_kwargs()
    try:
        if op == "preview":
            context["preview_result"] = preview.preview_days(
                place, exceptions=exceptions, offer=offer, **kwargs
            )
            return _render(request, place, offer, schedule, **context)
        actions.schedule_set_rules(
            user=request.user,
            expected_version=editor.version,
            **kwargs,
            **_owner_kwargs(place, offer),
        )
    except actions.StaleSchedule as exc:
        # Keep the person's input and move the version on: saving again applies it.
        data = request.POST.copy()
        data["hours-version"] = str(exc.version)
        editor = RulesEditor(data, schedule=schedule)
        editor.is_valid()
        editor.non_field_errors.append(exc.messages[0])
        context.update(editor=editor, conflict=_conflict(exc))
        return _render(request, place, offer, schedule, status=409, **context)
    except ValidationError as exc:
        editor.apply_errors(exc)
        return _render(request, place, offer, schedule, status=400, **context)
    messages.success(request, _("The opening hours were saved."))
    return redirect(_editor_url(place, offer))


def _conflict(exc) -> dict:
    return {"message": exc.messages[0], "changes": [describe_change(r) for r in exc.since]}


@require_POST
@staff_required
def exception_add(request, public_id, offer_pk=None):
    """Add a closure, an extra opening or an event to the saved schedule."""
    place, offer = _target(request, public_id, offer_pk)
    _require_edit(request, place)
    schedule = preview.schedule_of(place, offer)
    form = ExceptionForm(request.POST, prefix="exception")
    if schedule is None:
        messages.error(request, _("Save the opening hours first, then add exceptions."))
        return redirect(_editor_url(place, offer))
    status = 400
    if form.is_valid():
        try:
            actions.exception_add(
                user=request.user,
                schedule=schedule,
                expected_version=form.cleaned_data["version"],
                **form.action_kwargs(),
            )
        except actions.StaleSchedule as exc:
            data = request.POST.copy()
            data["exception-version"] = str(exc.version)
            form = ExceptionForm(data, prefix="exception")
            form.is_valid()
            form.add_error(None, exc.messages[0])
            status = 409
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, _("The exception was added."))
            return redirect(_editor_url(place, offer))
    form.add_aria()
    return _render(
        request, place, offer, schedule, can_edit=True, exception_form=form, status=status
    )


@require_POST
@staff_required
def exception_remove(request, public_id, exception_pk, offer_pk=None):
    place, offer = _target(request, public_id, offer_pk)
    _require_edit(request, place)
    exception = get_object_or_404(
        ScheduleException.objects.select_related("schedule"),
        pk=exception_pk,
        **{"schedule__offer": offer} if offer else {"schedule__place": place},
    )
    version = request.POST.get("version", "")
    try:
        if not version.isdigit():
            raise version_required()
        actions.exception_remove(
            user=request.user, exception=exception, expected_version=int(version)
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The exception was removed."))
    return redirect(_editor_url(place, offer))


@require_GET
@staff_required
def schedule_ics(request, public_id, offer_pk=None):
    """The hours as an iCalendar file, for the place or one of its offers."""
    place, offer = _target(request, public_id, offer_pk)
    response = HttpResponse(
        calendar_ics(offer if offer is not None else place),
        content_type="text/calendar; charset=utf-8",
    )
    name = place.slug + (f"-{offer.kind.slug}" if offer is not None else "")
    response["Content-Disposition"] = f'attachment; filename="{name}.ics"'
    return response


@require_GET
@staff_required
def osm_check(request, public_id):
    """Live check of OSM text: {"valid": bool, "errors": [...], "mode": "rules" | "osm"}."""
    place, _offer = _target(request, public_id)
    text = request.GET.get("text", "")
    try:
        imported = preview.read_osm_text(text, place)
    except ValidationError as exc:
        errors = [m for messages_ in exc.message_dict.values() for m in messages_]
        return JsonResponse({"valid": False, "errors": errors})
    if imported is not None:
        message = _("Valid: it will be saved as structured rules.")
    else:
        message = _("Valid: it will be kept as OSM text.")
    return JsonResponse(
        {
            "valid": True,
            "errors": [],
            "mode": "osm" if imported is None else "rules",
            "message": message,
        }
    )
