"""Staff pages of the territory, under /manage/territory/ (decision 0031)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from economics.csv_io import csv_locale, csv_response
from places.access import is_registry_admin, require_registry_admin, staff_required
from services.selectors import service_kinds
from territory import actions, selectors
from territory.coverage import TIME_CONDITIONS, ConditionError, subject_label
from territory.forms import CompareForm, CoverageForm, ScenarioForm
from territory.models import Scenario

# Distance bands of the map and the table, with a word as well as a colour.
BANDS = [(5, "near"), (10, "mid"), (20, "far")]


def _band(distance_km) -> str:
    if distance_km is None:
        return "none"
    for km, band in BANDS:
        if distance_km <= km:
            return band
    return "farthest"


def totals_sentence(result, *, department: str, subject: str, time: str) -> str:
    """ "38 400 residents of department 69 live more than 10 km from …" """
    return _(
        "%(people)s residents of department %(department)s live more than %(km)s km from a "
        "place offering “%(subject)s” %(time)s (%(communes)s communes of %(total)s)."
    ) % {
        "people": number_format(result.population_beyond(result.radius_km), force_grouping=True),
        "department": department,
        "km": result.radius_km,
        "subject": subject,
        "time": TIME_CONDITIONS[time],
        "communes": number_format(result.communes_beyond(result.radius_km), force_grouping=True),
        "total": number_format(len(result.rows), force_grouping=True),
    }


@staff_required
@require_http_methods(["GET"])
def coverage(request):
    form = CoverageForm(request.GET or None)
    context = {"form": form, "dataset": selectors.dataset_summary()}
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        subject = data["subject"]
        try:
            result = selectors.coverage(
                subject, data["time"], department=data["department"], radius_km=data["radius_km"]
            )
        except ConditionError as exc:
            form.add_error("time", str(exc))
            return render(request, "manage/territory/coverage.html", context, status=400)
        label = subject_label(subject)
        if request.GET.get("export") == "csv":
            return csv_response(
                f"coverage-{data['department']}-{subject.code}-{data['time']}.csv",
                [
                    "insee_code",
                    "commune",
                    "department",
                    "population",
                    "latitude",
                    "longitude",
                    "nearest_km",
                    "nearest_place",
                    f"beyond_{data['radius_km']}km",
                ],  # fmt: skip
                (
                    [
                        r.insee_code,
                        r.name,
                        r.department,
                        r.population,
                        r.latitude,
                        r.longitude,
                        r.distance_km,
                        r.nearest,
                        "yes" if r.beyond(result.radius_km) else "no",
                    ]  # fmt: skip
                    for r in result.rows
                ),
                locale=csv_locale(request),
            )
        context.update(
            result=result,
            label=label,
            sentence=totals_sentence(
                result, department=data["department"], subject=label, time=data["time"]
            ),
            worst=result.worst_served(50),
            suggestions=selectors.suggestions(result, limit=10),
            openings=selectors.opening_suggestions(result, subject, limit=10),
            kind_id=_kind_id(subject),
            time=data["time"],
            result_time_label=TIME_CONDITIONS[data["time"]],
            points=[
                {
                    "lat": r.latitude,
                    "lon": r.longitude,
                    "name": r.name,
                    "population": r.population,
                    "km": r.distance_km,
                    "band": _band(r.distance_km),
                }
                for r in result.rows
            ],
            query=request.GET.urlencode(),
        )
    elif form.is_bound:
        status = 400
    return render(request, "manage/territory/coverage.html", context, status=status)


def _kind_id(subject) -> int | None:
    if subject.kind != "kind":
        return None
    return (
        service_kinds(active_only=False)
        .filter(slug=subject.code)
        .values_list("pk", flat=True)
        .first()
    )


@staff_required
@require_http_methods(["GET", "POST"])
def scenarios(request):
    form = ScenarioForm(request.POST or None, initial=_scenario_initial(request.GET))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                scenario = actions.scenario_create(
                    user=request.user,
                    name=data["name"],
                    department=data["department"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    kinds=data["kinds"],
                    opening_hours=data["opening_hours"],
                    radius_km=data["radius_km"],
                    commune=data["commune"],
                    base_place=data["base_place"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Scenario “%(name)s” saved.") % {"name": scenario})
                return redirect(f"{request.path}#scenario-{scenario.pk}")
        status = 400
    saved = list(
        Scenario.objects.prefetch_related("kinds").select_related("commune", "base_place")[:100]
    )
    return render(
        request,
        "manage/territory/scenarios.html",
        {
            "form": form,
            "scenarios": [_scenario_view(s) for s in saved],
            "times": list(TIME_CONDITIONS.items()),
            "can_draft": is_registry_admin(request.user),
        },
        status=status,
    )


def _scenario_initial(query) -> dict:
    """The scenario form filled from a link: a commune suggested, or an existing place
    suggested for an extra opening (its hours kept plus the opening proposed)."""
    initial = {key: query.get(key) for key in query if key != "kinds"}
    kind_ids = [value for value in query.getlist("kinds") if value.isdigit() and len(value) < 10]
    if kind_ids:
        initial["kinds"] = kind_ids
    place = selectors.published_place(query.get("place", "").strip()[:200])
    if place is not None and not query.get("opening_hours"):
        kinds = list(service_kinds(active_only=True).filter(pk__in=kind_ids))
        kinds = kinds or selectors.kinds_offered(place)
        time = query.get("time", "")
        initial["opening_hours"] = selectors.extra_opening(place, kinds, time)
        initial.setdefault(
            "name",
            _("%(place)s, also open %(time)s")
            % {"place": place.name, "time": TIME_CONDITIONS[time]}
            if time in selectors.EXTRA_OPENINGS
            else place.name,
        )
    return initial


def _scenario_view(scenario: Scenario) -> dict:
    kinds = {k.slug: str(k) for k in scenario.kinds.all()}
    rows = [
        {
            "kind": kinds.get(slug, slug),
            "gains": [by_time.get(time) for time in TIME_CONDITIONS],
        }
        for slug, by_time in sorted(scenario.gains.items())
    ]
    return {"scenario": scenario, "rows": rows}


@staff_required
@require_http_methods(["GET"])
def compare(request):
    form = CompareForm(request.GET or None, queryset=Scenario.objects.all())
    chosen = []
    if form.is_valid():
        chosen = [
            _scenario_view(s)
            for s in selectors.scenarios_for_compare(s.pk for s in form.cleaned_data["scenarios"])
        ]
    return render(
        request,
        "manage/territory/compare.html",
        {"form": form, "chosen": chosen, "times": list(TIME_CONDITIONS.items())},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@staff_required
@require_POST
def scenario_draft(request, pk: int):
    require_registry_admin(request.user)  # as creating a place; before any lookup
    scenario = get_object_or_404(Scenario, pk=pk)
    try:
        place = actions.scenario_to_draft_place(user=request.user, scenario=scenario)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("territory:scenarios")
    messages.success(request, _("Draft place “%(name)s” created.") % {"name": place.name})
    return redirect(place.get_absolute_url())
