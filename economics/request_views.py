"""Staff pages of the sharing loop: the pending requests, one decision, the uses' calendar.

Deciding needs the right to edit the place (places.access.can_edit_place: registry
admins of its organisation, its managers); the rules are in economics.bookings.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from economics import bookings
from economics.models import SpaceRequest
from places import selectors as place_selectors
from places.access import can_edit_place, staff_required
from places.timezones import place_zone
from scheduling.materialise import to_utc

REQUESTS_PER_PAGE = 50


def _decidable_places(user, params):
    places = place_selectors.with_edit_right(place_selectors.visible_places(user), user).filter(
        user_can_edit=True
    )
    if params.get("organisation"):
        places = places.filter(organisation__slug=params["organisation"])
    if params.get("place"):
        try:
            places = places.filter(public_id=params["place"])
        except ValidationError:
            places = places.none()
    return places


@staff_required
@require_GET
def space_requests(request):
    """Requests waiting for a decision on the places the person may decide for."""
    places = _decidable_places(request.user, request.GET)
    paginator = Paginator(bookings.pending_requests(places.values("pk")), REQUESTS_PER_PAGE)
    raw = request.GET.get("page") or "1"
    page = paginator.get_page(int(raw) if raw.isdigit() else 1)
    rows = []
    for item in page.object_list:
        tz = place_zone(item.space.place)
        rows.append({"req": item, "when": bookings.describe((item.start, item.end), tz)})
    # The coming four weeks of accepted uses, day by day: the managers' calendar view.
    now = timezone.now()
    days: dict = {}
    for use in bookings.uses_for_ics(space_ids=places.values("spaces"), since=now).filter(
        start__lt=now + datetime.timedelta(weeks=4)
    )[:500]:
        tz = place_zone(use.space.place)
        start, end = use.start.astimezone(tz), use.end.astimezone(tz)
        days.setdefault(start.date(), []).append(
            {"use": use, "start": start, "end": end, "req": use.request}
        )
    weeks = _calendar_weeks(now, days, bookings.pending_requests(places.values("pk"))[:500])
    choices = list(
        _decidable_places(request.user, {}).order_by("name").values_list("public_id", "name")
    )
    return render(
        request,
        "manage/economics/space_requests.html",
        {
            "rows": rows,
            "page": page,
            "query_no_page": urlencode(
                [(k, v) for k, values in request.GET.lists() if k != "page" for v in values]
            ),
            "days": sorted(days.items()),
            "weeks": weeks,
            "place_choices": [(str(pk), name) for pk, name in choices],
            "params": request.GET,
            "ics_query": request.GET.urlencode(),
        },
    )


def _calendar_weeks(now, days: dict, pending) -> list[list[dict]]:
    """Four weeks from this Monday, a cell per day: accepted uses and pending requests
    (each weekly occurrence), on each place's clock, in time order."""
    today = timezone.localdate(now)
    monday = today - datetime.timedelta(days=today.weekday())
    last = monday + datetime.timedelta(weeks=4)
    cells = {
        monday + datetime.timedelta(days=n): [
            {"start": u["start"], "end": u["end"], "req": u["req"], "space": u["use"].space}
            for u in days.get(monday + datetime.timedelta(days=n), [])
        ]
        for n in range(28)
    }
    for req in pending:
        tz = place_zone(req.space.place)
        for start, end in bookings.occurrences(req.start, req.end, req.repeat_until, tz):
            local = start.astimezone(tz)
            if monday <= local.date() < last:
                cells[local.date()].append(
                    {
                        "start": local,
                        "end": end.astimezone(tz),
                        "req": req,
                        "space": req.space,
                        "pending": True,
                    }
                )
    for entries in cells.values():
        entries.sort(key=lambda e: e["start"])
    ordered = sorted(cells.items())
    return [
        [{"date": d, "today": d == today, "entries": e} for d, e in ordered[w * 7 : w * 7 + 7]]
        for w in range(4)
    ]


@staff_required
@require_GET
def space_uses_ics(request):
    """The accepted uses (from today) of the spaces of the places the person may decide for."""
    places = _decidable_places(request.user, request.GET)
    uses = bookings.uses_for_ics(
        space_ids=places.values("spaces"), since=timezone.now() - datetime.timedelta(days=1)
    )
    response = HttpResponse(
        bookings.ics(uses, name=_("Uses of shared spaces")), content_type="text/calendar"
    )
    response["Content-Disposition"] = 'attachment; filename="space-uses.ics"'
    return response


def _parse_local(day: str, time: str, tz) -> datetime.datetime | None:
    try:
        naive = datetime.datetime.combine(
            datetime.date.fromisoformat(day), datetime.time.fromisoformat(time)
        )
    except (TypeError, ValueError):
        return None
    return to_utc(naive, tz)


@staff_required
@require_http_methods(["GET", "POST"])
def space_request_decide(request, pk: int):
    found = get_object_or_404(
        SpaceRequest.objects.select_related("space", "space__place"),
        pk=pk,
        space__place__in=place_selectors.visible_places(request.user),
    )
    place = found.space.place
    if not can_edit_place(request.user, place):
        raise PermissionDenied(_("You may read this place but not decide on its requests."))
    tz = place_zone(place)
    errors: dict[str, list] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "accept":
                bookings.request_accept(user=request.user, request=found)
                messages.success(request, _("The request was accepted; the space is booked."))
            elif action == "decline":
                bookings.request_decline(
                    user=request.user, request=found, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("The request was declined."))
            elif action == "cancel":
                bookings.request_cancel(request=found, user=request.user, source="staff")
                messages.success(request, _("The use was cancelled; the space is free again."))
            elif action == "propose":
                start = _parse_local(
                    request.POST.get("proposed_date"), request.POST.get("proposed_start"), tz
                )
                end = _parse_local(
                    request.POST.get("proposed_date"), request.POST.get("proposed_end"), tz
                )
                bookings.request_propose(
                    user=request.user,
                    request=found,
                    start=start,
                    end=end,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _("Your proposal was sent to the requester."))
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            return redirect(reverse("economics:space_requests"))
        found.refresh_from_db()
    alternatives = []
    if found.status in bookings.ACTIVE:
        alternatives = [
            bookings.describe(a, tz)
            for a in bookings.alternatives(found.space.sharing, (found.start, found.end))
        ]
    return render(
        request,
        "manage/economics/space_request.html",
        {
            "req": found,
            "place": place,
            "when": bookings.describe((found.start, found.end), tz),
            "errors": errors,
            "post": request.POST,
            "alternatives": alternatives,
            "history": place_selectors.place_history(place).filter(
                target=f"space-request:{found.pk}"
            ),
        },
        status=400 if errors else 200,
    )
