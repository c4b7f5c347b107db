"""Staff pages of economics: a place's budget, occupancy and indicators; the territory
dashboard (/manage/economics/); the coverage study (/manage/coverage/).

Views check rights with places.access (read: access_place, write: access_place(write=True)),
parse a form, call one action or selector, render. Every table has a CSV export
(`?export=<table>`).
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from economics import actions, charts, csv_io, selectors
from economics.forms import (
    AttendanceForm,
    BudgetFormSet,
    CoverageForm,
    SharingForm,
    SpaceForm,
    UploadForm,
    VersionForm,
)
from economics.models import BudgetLine, SharingOffer, Space
from economics.occupancy import next_month, report
from places import access
from places import selectors as place_selectors
from places.access import staff_required
from places.models import Place
from places.versioning import StaleRecord, describe_change


def day_names() -> list[str]:
    return [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]


_PLACES = Place.objects.select_related("organisation", "mediation", "work", "creation")


def _visible_place(request, public_id) -> Place:
    """The place if the person may read it; 404 otherwise, so outsiders learn nothing."""
    return access.access_place(request.user, public_id, queryset=_PLACES)


def _editable_place(request, public_id) -> Place:
    return access.access_place(
        request.user,
        public_id,
        write=True,
        queryset=_PLACES,
        message=_("You may read this place but not change its economics."),
    )


def _year(request, default: int | None = None) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = default or timezone.localdate().year - 1
    return min(max(year, 2000), 2100)


def _month(request) -> datetime.date:
    raw = request.GET.get("month", "")
    try:
        return datetime.date.fromisoformat(f"{raw}-01")
    except ValueError:
        return timezone.localdate().replace(day=1)


def _pct(value) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}"


# ------------------------------------------------------------------------ place page


@staff_required
@require_GET
def place_economics(request, public_id):
    place = _visible_place(request, public_id)
    years = selectors.budget_years(place)
    year = _year(request, selectors.latest_budget_year(Place.objects.filter(pk=place.pk)))
    month = _month(request)
    economics = selectors.place_economics(place, year)
    peers = selectors.peer_comparison(place, year)
    lines = list(selectors.budget_lines(place, year=year))
    occupancy = report(place, month, next_month(month))
    spaces = list(selectors.place_spaces(place))
    export = request.GET.get("export")
    slug = place.slug
    if export == "budget":
        return csv_io.csv_response(
            f"{slug}-budget-{year}.csv",
            [
                "year",
                "scenario",
                "direction",
                "category",
                "amount",
                "funder",
                "label",
                "visibility",
                "note",
            ],  # fmt: skip
            (
                [
                    line.year,
                    line.scenario,
                    line.direction,
                    line.category,
                    line.amount,
                    _funder_code(line),
                    line.label,
                    line.visibility,
                    line.note,
                ]
                for line in lines
            ),
            locale=csv_io.csv_locale(request),
        )
    if export == "indicators":
        return csv_io.csv_response(
            f"{slug}-indicators-{year}.csv",
            ["indicator", "value", "unit", "formula", "worked"],
            ([i.key, i.value, i.unit, i.formula, i.worked] for i in economics.indicators.values()),
            locale=csv_io.csv_locale(request),
        )
    if export == "peers":
        return csv_io.csv_response(
            f"{slug}-peers-{year}.csv",
            ["indicator", "value", "q1", "median", "q3", "peers"],
            (
                [
                    r["key"],
                    r["value"],
                    *(
                        [r["stats"]["q1"], r["stats"]["median"], r["stats"]["q3"], r["stats"]["n"]]
                        if r["stats"]
                        else ["", "", "", 0]
                    ),
                ]
                for r in peers["rows"]
            ),
            locale=csv_io.csv_locale(request),
        )
    if export == "occupancy":
        return csv_io.csv_response(
            f"{slug}-occupancy-{month:%Y-%m}.csv",
            [
                "scope",
                "key",
                "open_hours",
                "offered_capacity_hours",
                "used_capacity_hours",
                "occupancy_rate",
                "spare_capacity_hours",
            ],  # fmt: skip
            [
                ["space", s.name, b.open_hours, b.offered, b.used, b.rate, b.spare]
                for s, b in occupancy.spaces
            ]
            + [
                ["week", b.key, b.open_hours, b.offered, b.used, b.rate, b.spare]
                for b in occupancy.weeks
            ]
            + [
                ["month", b.key, b.open_hours, b.offered, b.used, b.rate, b.spare]
                for b in occupancy.months
            ],
            locale=csv_io.csv_locale(request),
        )
    if export == "heatmap":
        return csv_io.csv_response(
            f"{slug}-heatmap-{month:%Y-%m}.csv",
            ["weekday", "hour", "offered_capacity_hours", "used_capacity_hours"],
            (
                [d, h, round(occupancy.offered_grid[d][h], 3), round(occupancy.used_grid[d][h], 3)]
                for d in range(7)
                for h in range(24)
            ),
            locale=csv_io.csv_locale(request),
        )
    if export == "spaces":
        return csv_io.csv_response(
            f"{slug}-spaces.csv",
            [
                "name",
                "kind",
                "capacity",
                "unit",
                "area_m2",
                "bookable",
                "visibility",
                "shared",
                "terms",
                "price_eur",
            ],  # fmt: skip
            (
                [
                    s.name,
                    s.kind,
                    s.capacity,
                    s.capacity_unit,
                    s.area_m2,
                    s.bookable,
                    s.visibility,
                    hasattr(s, "sharing"),
                    s.sharing.terms if hasattr(s, "sharing") else "",
                    s.sharing.price if hasattr(s, "sharing") else "",
                ]
                for s in spaces
            ),
            locale=csv_io.csv_locale(request),
        )
    budget_rows = {}
    for line in lines:
        budget_rows.setdefault(line.scenario, []).append(line)
    return render(
        request,
        "manage/economics/place.html",
        {
            "place": place,
            "year": year,
            "years": sorted(set(years) | {year}),
            "month": month,
            "economics": economics,
            "indicators": list(economics.indicators.values()),
            "peers": peers,
            "budget": budget_rows,
            "occupancy": occupancy,
            "spaces": spaces,
            "can_edit": access.can_edit_place(request.user, place),
            "heat_chart": charts.heat_map(
                title=_("Occupancy by weekday and hour, %(month)s") % {"month": f"{month:%m/%Y}"},
                desc=_(
                    "Darker cells are busier; pale cells show spare capacity. "
                    "The table below gives each cell's occupancy and spare capacity-hours."
                ),
                offered=occupancy.offered_grid,
                used=occupancy.used_grid,
                day_names=day_names(),
            ),
            "balance_chart": charts.balance_bars(
                title=_("Balance over the years (actual)"),
                desc=_("Revenues minus costs per year; bars below the line are deficits."),
                years=economics.years,
            ),
        },
    )


def _funder_code(line: BudgetLine) -> str:
    if line.funder_provider_id:
        return f"provider:{line.funder_provider.slug}"
    if line.funder_organisation_id:
        return f"organisation:{line.funder_organisation.slug}"
    return ""


# ------------------------------------------------------------------------ budget table


@staff_required
@require_http_methods(["GET", "POST"])
def budget_edit(request, public_id, year: int, scenario: str):
    place = _editable_place(request, public_id)
    if scenario not in BudgetLine.Scenario.values or not 2000 <= year <= 2100:
        raise PermissionDenied(_("Unknown budget."))
    funders = selectors.funder_choices()
    conflict = None
    if request.method == "POST":
        formset = BudgetFormSet(request.POST, funders=funders)
        version_form = VersionForm(request.POST)
        if not version_form.is_valid():
            formset.is_valid()
            status = 400
        elif formset.is_valid():
            lines = [
                form.line()
                for form in formset.forms
                if form.has_changed() and not form.cleaned_data.get("DELETE")
            ]
            try:
                actions.budget_set(
                    user=request.user,
                    place=place,
                    year=year,
                    scenario=scenario,
                    lines=lines,
                    expected_version=version_form.cleaned_data["version"],
                )
            except StaleRecord as exc:
                # Keep the person's table and move the version on: saving again applies it.
                version_form = VersionForm(_with_version(request.POST, exc.version))
                version_form.is_valid()
                conflict = {
                    "message": exc.messages[0],
                    "changes": [describe_change(r) for r in exc.since],
                }
            except ValidationError as exc:
                formset_errors = exc.message_dict
                changed = [
                    f for f in formset.forms if f.has_changed() and not f.cleaned_data.get("DELETE")
                ]
                for key, messages_ in formset_errors.items():
                    if key.startswith("lines["):
                        index = int(key[6 : key.index("]")])
                        field_name = key.partition("].")[2] or None
                        for m in messages_:
                            changed[index].add_error(
                                field_name if field_name in changed[index].fields else None, m
                            )
                    else:
                        for m in messages_:
                            formset.forms[0].add_error(None, m)
            else:
                messages.success(request, _("The budget was saved."))
                return redirect(f"{_place_url(place)}?year={year}")
        status = 409 if conflict else 400
    else:
        initial = [
            {
                "direction": line.direction,
                "category": line.category,
                "amount": line.amount,
                "funder": _funder_code(line),
                "label": line.label,
                "visibility": line.visibility,
                "note": line.note,
            }
            for line in selectors.budget_lines(place, year=year, scenario=scenario)
        ]
        formset = BudgetFormSet(initial=initial, funders=funders)
        version_form = VersionForm(
            initial={"version": actions.budget_version(place=place, year=year, scenario=scenario)}
        )
        status = 200
    for form in formset.forms:
        form.add_aria()
    return render(
        request,
        "manage/economics/budget_form.html",
        {
            "place": place,
            "year": year,
            "scenario": scenario,
            "scenario_label": BudgetLine.Scenario(scenario).label,
            "formset": formset,
            "version_form": version_form,
            "conflict": conflict,
        },
        status=status,
    )


def _with_version(post, version: int):
    data = post.copy()
    data["version"] = str(version)
    return data


def _place_url(place: Place) -> str:
    from django.urls import reverse

    return reverse("economics:place", args=[place.public_id])


# ------------------------------------------------------------------------ imports


@staff_required
@require_http_methods(["GET", "POST"])
def import_csv(request, public_id, what: str):
    place = _editable_place(request, public_id)
    if what not in ("budget", "attendance"):
        raise PermissionDenied(_("Unknown import."))
    form = UploadForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        try:
            if what == "budget":
                count = actions.budget_import(
                    user=request.user,
                    place=place,
                    budgets=csv_io.read_budget(data),
                    source="import:csv",
                )
            else:
                count = actions.attendance_import(
                    user=request.user,
                    place=place,
                    rows=csv_io.read_attendance(data, place),
                    source="import:csv",
                )
        except ValidationError as exc:
            for key, messages_ in exc.message_dict.items():
                errors += [m if key in ("file", "__all__") else f"{key}: {m}" for m in messages_]
        else:
            messages.success(request, _("%(n)s rows imported.") % {"n": count})
            return redirect(_place_url(place))
    return render(
        request,
        "manage/economics/import.html",
        {"place": place, "form": form, "what": what, "errors": errors},
        status=400 if errors or (request.method == "POST" and not form.is_valid()) else 200,
    )


# ------------------------------------------------------------------------ attendance


@staff_required
@require_http_methods(["GET", "POST"])
def attendance_add(request, public_id):
    place = _editable_place(request, public_id)
    form = AttendanceForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        try:
            row = {k: v for k, v in form.cleaned_data.items() if k != "replace"}
            actions.attendance_record(
                user=request.user,
                place=place,
                rows=[row],
                replace=form.cleaned_data["replace"],
            )
        except ValidationError as exc:
            for key, messages_ in exc.message_dict.items():
                field_name = key.partition("].")[2] or None
                for m in messages_:
                    form.add_error(field_name if field_name in form.fields else None, m)
        else:
            messages.success(request, _("The attendance was recorded."))
            return redirect(f"{_place_url(place)}?month={form.cleaned_data['date']:%Y-%m}")
    return render(
        request,
        "manage/economics/attendance_form.html",
        {"place": place, "form": form},
        status=400 if request.method == "POST" else 200,
    )


# ------------------------------------------------------------------------ spaces and sharing


@staff_required
@require_http_methods(["GET", "POST"])
def space_edit(request, public_id, pk: int | None = None):
    place = _editable_place(request, public_id)
    space = get_object_or_404(Space, place=place, pk=pk) if pk else None
    form = SpaceForm(request.POST or None, instance=space or Space(place=place))
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in SpaceForm.Meta.fields}
        try:
            if space is None:
                actions.space_create(user=request.user, place=place, data=data)
            else:
                actions.space_update(
                    user=request.user,
                    space=space,
                    data=data,
                    expected_version=form.cleaned_data["version"],
                )
        except StaleRecord as exc:
            # Keep the person's input and move the version on: saving again applies it.
            form = SpaceForm(_with_version(request.POST, exc.version), instance=space)
            form.is_valid()
            conflict = {
                "message": exc.messages[0],
                "changes": [describe_change(r) for r in exc.since],
            }
        except ValidationError as exc:
            form.apply_errors(exc.message_dict)
        else:
            messages.success(request, _("The space was saved."))
            return redirect(_place_url(place))
    form.add_aria()
    return render(
        request,
        "manage/economics/space_form.html",
        {"place": place, "space": space, "form": form, "conflict": conflict},
        status=409 if conflict else 400 if request.method == "POST" else 200,
    )


@staff_required
@require_POST
def space_delete(request, public_id, pk: int):
    place = _editable_place(request, public_id)
    space = get_object_or_404(Space, place=place, pk=pk)
    form = VersionForm(request.POST)
    if not form.is_valid():
        # A removal that does not say which space it saw could remove a colleague's change.
        for message in form.errors.get("version", []):
            messages.error(request, message)
        return redirect("economics:space_edit", public_id=place.public_id, pk=space.pk)
    try:
        actions.space_delete(
            user=request.user, space=space, expected_version=form.cleaned_data["version"]
        )
    except StaleRecord as exc:
        # Show the space as it is now; the remove button starts from this version.
        space = exc.current
        conflict = {
            "message": exc.messages[0],
            "changes": [describe_change(r, Space) for r in exc.since],
            "next": _("The space was not removed. Remove it again if you still mean to."),
        }
        form = SpaceForm(instance=space)
        form.add_aria()
        return render(
            request,
            "manage/economics/space_form.html",
            {"place": place, "space": space, "form": form, "conflict": conflict},
            status=409,
        )
    messages.success(request, _("The space was removed."))
    return redirect(_place_url(place))


@staff_required
@require_http_methods(["GET", "POST"])
def sharing_edit(request, public_id, pk: int):
    place = _editable_place(request, public_id)
    space = get_object_or_404(Space, place=place, pk=pk)
    offer = SharingOffer.objects.filter(space=space).first()
    form = SharingForm(request.POST or None, instance=offer or SharingOffer(space=space))
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            actions.sharing_offer_set(
                user=request.user,
                space=space,
                rules=form.cleaned_data["rules"],
                data=form.offer_data(),
                expected_version=form.cleaned_data["version"],
            )
        except StaleRecord as exc:
            # Keep the person's input and move the version on: saving again applies it.
            offer = exc.current
            form = SharingForm(
                _with_version(request.POST, exc.version),
                instance=offer or SharingOffer(space=space),
            )
            form.is_valid()
            conflict = {
                "message": exc.messages[0],
                "changes": [describe_change(r) for r in exc.since],
            }
        except ValidationError as exc:
            errors = {}
            for key, messages_ in exc.message_dict.items():
                target = (
                    "times"
                    if key.startswith("rules") and not form.cleaned_data.get("rules_json")
                    else "rules_json"
                    if key.startswith("rules")
                    else key
                )
                errors.setdefault(target, []).extend(messages_)
            form.apply_errors(errors)
        else:
            messages.success(request, _("The sharing offer was saved."))
            return redirect(_place_url(place))
    form.add_aria()
    return render(
        request,
        "manage/economics/sharing_form.html",
        {"place": place, "space": space, "offer": offer, "form": form, "conflict": conflict},
        status=409 if conflict else 400 if request.method == "POST" else 200,
    )


# ------------------------------------------------------------------------ dashboard


@staff_required
@require_GET
def dashboard(request):
    places = place_selectors.visible_places(request.user).exclude(status=Place.Status.ARCHIVED)
    year = _year(request, selectors.latest_budget_year(places))
    data = selectors.dashboard(places, year)
    export = request.GET.get("export")
    group_header = ["group", "places", "with_budget", "costs_eur", "revenues_eur", "balance_eur",
                    "median_balance_eur", "median_self_financing", "median_public_share",
                    "occupancy_rate"]  # fmt: skip

    def group_rows(groups):
        return (
            [
                g["label"],
                g["places"],
                g["with_budget"],
                g["costs"],
                g["revenues"],
                g["balance"],
                g["median_balance"],
                g["median_self_financing"],
                g["median_public_share"],
                g["occupancy"],
            ]  # fmt: skip
            for g in groups
        )

    if export in ("profile", "typology", "commune"):
        return csv_io.csv_response(
            f"economics-{export}-{year}.csv",
            group_header,
            group_rows(data[f"by_{export}"]),
            locale=csv_io.csv_locale(request),
        )
    families = list(selectors.REVENUE_FAMILIES)
    if export == "revenue_mix":
        return csv_io.csv_response(
            f"economics-revenue-mix-{year}.csv",
            ["typology", *families],
            ([m["label"], *(m["values"][f] for f in families)] for m in data["revenue_mix"]),
            locale=csv_io.csv_locale(request),
        )
    if export == "balances":
        return csv_io.csv_response(
            "economics-balances.csv",
            ["year", "costs_eur", "revenues_eur", "balance_eur"],
            ([y["year"], y["costs"], y["revenues"], y["balance"]] for y in data["balances"]),
            locale=csv_io.csv_locale(request),
        )
    if export == "heatmap":
        return csv_io.csv_response(
            f"economics-heatmap-{year}.csv",
            ["weekday", "hour", "offered_capacity_hours", "used_capacity_hours"],
            (
                [
                    d,
                    h,
                    round(data["heat"]["offered"][d][h], 3),
                    round(data["heat"]["used"][d][h], 3),
                ]
                for d in range(7)
                for h in range(24)
            ),
            locale=csv_io.csv_locale(request),
        )
    family_labels = {
        "public": _("Public subsidies"),
        "sponsoring": _("Sponsoring and crowdfunding"),
        "providers": _("Hosted providers"),
        "rentals": _("Space and equipment rental"),
        "activity": _("Memberships, training, events, sales"),
        "in_kind": _("In kind"),
    }
    return render(
        request,
        "manage/economics/dashboard.html",
        {
            "data": data,
            "year": year,
            "mix_chart": charts.stacked_bars(
                title=_("Revenue mix by typology, %(year)s") % {"year": year},
                desc=_("Each bar is one typology's revenues split into families of sources."),
                groups=[m["label"] for m in data["revenue_mix"]],
                series=[
                    (family_labels[f], [m["values"][f] for m in data["revenue_mix"]])
                    for f in families
                ],
            )
            if data["revenue_mix"]
            else "",
            "balance_chart": charts.balance_bars(
                title=_("Balance of the territory's places over the years"),
                desc=_("Sum of revenues minus costs (actual) of the places you may read."),
                years=data["balances"],
            ),
            "heat_chart": charts.heat_map(
                title=_("Occupancy by weekday and hour"),
                desc=_("All places you may read, latest month with attendance in the year."),
                offered=data["heat"]["offered"],
                used=data["heat"]["used"],
                day_names=day_names(),
            ),
        },
    )


# ------------------------------------------------------------------------ coverage


@staff_required
@require_http_methods(["GET", "POST"])
def coverage(request):
    source = request.POST if request.method == "POST" else request.GET
    form = CoverageForm(source or None)
    upload = UploadForm(request.POST or None, request.FILES or None)
    result, errors, extra = None, [], []
    if request.method == "POST" and request.FILES.get("file"):
        try:
            extra = csv_io.read_communes(request.FILES["file"].read())
        except ValidationError as exc:
            errors = exc.messages
    if form.is_valid() and not errors:
        kind = form.cleaned_data.get("kind")
        result = selectors.coverage(
            place_selectors.visible_places(request.user),
            kind_slug=kind.slug if kind else "",
            profile=form.cleaned_data.get("profile") or "",
            extra_communes=extra,
        )
        if request.GET.get("export") == "csv":
            return csv_io.csv_response(
                "coverage.csv",
                [
                    "insee_code",
                    "commune",
                    "population",
                    "latitude",
                    "longitude",
                    "nearest_km",
                    "nearest_place",
                    "places_within_10km",
                    "hours_per_week_within_10km",
                ],  # fmt: skip
                (
                    [
                        r["commune"].insee_code,
                        r["commune"].name,
                        r["commune"].population,
                        r["commune"].latitude,
                        r["commune"].longitude,
                        r["nearest_km"],
                        r["nearest"],
                        r["places_within"],
                        r["hours_within"],
                    ]
                    for r in result["rows"]
                ),
                locale=csv_io.csv_locale(request),
            )
    return render(
        request,
        "manage/economics/coverage.html",
        {
            "form": form,
            "upload": upload,
            "result": result,
            "errors": errors,
            "map": _coverage_map(result) if result else "",
            "query": request.GET.urlencode(),
        },
        status=400 if errors else 200,
    )


def _coverage_map(result) -> str:
    from django.utils.html import escape, format_html
    from django.utils.safestring import mark_safe

    located = [r for r in result["rows"] if r["commune"].latitude is not None]
    if not located:
        return ""
    lats = [r["commune"].latitude for r in located]
    lons = [r["commune"].longitude for r in located]
    lo_lat, hi_lat, lo_lon, hi_lon = min(lats), max(lats), min(lons), max(lons)
    w, h, pad = 600, 420, 30
    span_lat, span_lon = max(hi_lat - lo_lat, 0.01), max(hi_lon - lo_lon, 0.01)
    dots = []
    for r in located:
        x = pad + (r["commune"].longitude - lo_lon) / span_lon * (w - 2 * pad)
        y = pad + (hi_lat - r["commune"].latitude) / span_lat * (h - 2 * pad)
        far = r["nearest_km"] is None or r["nearest_km"] > 10
        dots.append(
            format_html(
                '<g><circle cx="{}" cy="{}" r="{}" fill="{}" stroke="#1b1b1f"/>'
                '<text x="{}" y="{}" font-size="10">{}</text><title>{}: {}</title></g>',
                f"{x:.1f}",
                f"{y:.1f}",
                7 if far else 5,
                "#D55E00" if far else "#0072B2",
                f"{x + 8:.1f}",
                f"{y + 4:.1f}",
                ("✕ " if far else "") + r["commune"].name[:20],
                r["commune"].name,
                _("no place") if r["nearest_km"] is None else f"{r['nearest_km']} km",
            )
        )
    title = escape(_("Communes and distance to the nearest place"))
    desc = escape(
        _(
            "Communes placed by their coordinates; orange crosses are more than 10 km from "
            "the nearest place offering the service. The table lists the same data."
        )
    )
    return mark_safe(  # noqa: S308 - built from escaped parts
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="cov-title '
        f'cov-desc" viewBox="0 0 {w} {h}" width="100%"><title id="cov-title">{title}</title>'
        f'<desc id="cov-desc">{desc}</desc>{"".join(dots)}</svg>'
    )
