"""Staff pages for imports (/manage/imports/): upload a partner file, review possible duplicates.

Uploading is for registry admins, into an organisation they administer. The file is
imported synchronously, within the request: the form refuses files over
MAX_UPLOAD_BYTES (larger files go through `manage.py import_places`). Django keeps an
upload under FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) in memory and streams a larger one to a
temporary file; either way the importer reads it from a path.

The duplicates queue, and beside it the opening hours two files disagree on, are read by
every member of the importing organisation; only its registry admins merge, dismiss or
mark a conflict as checked. Someone outside the organisation gets a 404.
"""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from api.imports.duplicates import conflict_check, duplicate_dismiss, duplicate_merge
from api.imports.formats import FORMATS
from api.imports.pipeline import run_import
from api.imports.readers import ImportFileError
from api.imports.runs import import_run_record
from api.models import ImportRun, PossibleDuplicate, SourceConflict
from places.access import (
    can_admin_organisation,
    of_my_organisations,
    require_organisation_admin,
    require_registry_admin,
    staff_required,
)
from places.formtools import AriaMixin
from places.models import Place
from places.selectors import admin_organisations

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
CONFLICTS_SHOWN = 100  # open conflicts listed on the queue's page, newest first

FORMAT_LABELS = {
    "lmn": gettext_lazy("Lieux de médiation numérique (JSON, 2022 or 2023 schema)"),
    "data-inclusion": gettext_lazy("data·inclusion structures (JSON)"),
    "france-services": gettext_lazy("France Services list (CSV)"),
    "tiers-lieux-2019": gettext_lazy("Tiers-lieux 2019 (CSV)"),
    "csv": gettext_lazy("Any CSV, with a column mapping (JSON)"),
}
ENCODINGS = (
    ("utf-8-sig", gettext_lazy("UTF-8")),
    ("cp1252", gettext_lazy("Windows-1252 (Excel on Windows)")),
    ("latin-1", gettext_lazy("Latin-1 (ISO-8859-1)")),
)


class AccessibleForm(AriaMixin, forms.Form):
    """aria-describedby (help text, errors) and aria-invalid on every widget."""


class ImportForm(AccessibleForm):
    fmt = forms.ChoiceField(
        label=gettext_lazy("Format"), choices=[(f, FORMAT_LABELS.get(f, f)) for f in FORMATS]
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("At most 10 MB; use the import_places command for larger files."),
    )
    mapping = forms.FileField(
        label=gettext_lazy("Column mapping"),
        required=False,
        help_text=gettext_lazy("Only for “Any CSV”: a JSON file naming the column of each field."),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding of a CSV file"),
        choices=ENCODINGS,
        initial="utf-8-sig",
        help_text=gettext_lazy("JSON files are always UTF-8."),
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=None, empty_label=None
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status of the new places"),
        choices=[
            (Place.Status.PUBLISHED, gettext_lazy("Published")),
            (Place.Status.DRAFT, gettext_lazy("Draft")),
        ],
        initial=Place.Status.DRAFT,
        widget=forms.RadioSelect,
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: show the report, store nothing"),
        required=False,
        initial=True,
    )
    atomic = forms.BooleanField(
        label=gettext_lazy("All or nothing: if any row is rejected, store nothing"),
        required=False,
        initial=False,
        help_text=gettext_lazy(
            "Otherwise the rows that can be read are imported and the others are listed "
            "with their line and reason."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = admin_organisations(user).order_by("name")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is %(size)s MB; the page accepts at most %(max)s MB.")
                % {"size": round(upload.size / 1e6, 1), "max": MAX_UPLOAD_BYTES // 1024 // 1024}
            )
        return upload

    def clean(self):
        data = super().clean()
        if data.get("fmt") == "csv" and not data.get("mapping"):
            self.add_error("mapping", _("“Any CSV” needs a column mapping."))
        return data


def _on_disk(stack: ExitStack, upload) -> Path:
    """A path to the uploaded file (Django's temporary file, or a copy of a small upload)."""
    if hasattr(upload, "temporary_file_path"):
        return Path(upload.temporary_file_path())
    # Closed (and deleted) by the caller's ExitStack, after the import.
    handle = stack.enter_context(
        tempfile.NamedTemporaryFile(suffix=Path(upload.name).suffix)  # noqa: SIM115
    )
    for chunk in upload.chunks():
        handle.write(chunk)
    handle.flush()
    return Path(handle.name)


@staff_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    require_registry_admin(request.user, _("Only registry admins import files."))
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with ExitStack() as stack:
                mapping = _on_disk(stack, data["mapping"]) if data["fmt"] == "csv" else None
                report = run_import(
                    fmt=data["fmt"],
                    path=_on_disk(stack, data["file"]),
                    organisation=data["organisation"],
                    status=data["status"],
                    dry_run=data["dry_run"],
                    mapping_path=mapping,
                    encoding=None if data["fmt"] == "csv" and mapping else data["encoding"],
                    user=request.user,
                    atomic=data["atomic"],
                )
            import_run_record(
                report=report,
                organisation=data["organisation"],
                file_name=data["file"].name,
                via=ImportRun.Via.PAGE,
                user=request.user,
            )
        except ImportFileError as exc:
            form.add_error(None, _("Nothing was imported: %(error)s") % {"error": exc})
        else:
            return render(
                request,
                "manage/imports/report.html",
                {
                    "report": report,
                    "file_name": data["file"].name,
                    "organisation": data["organisation"],
                    "warning_counts": sorted(report.warning_counts().items()),
                    "rejection_counts": sorted(report.rejection_counts().items()),
                },
            )
    form.add_aria()
    return render(request, "manage/imports/upload.html", {"form": form})


# ------------------------------------------------------------------------- duplicates


class DuplicateFilterForm(AccessibleForm):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[*PossibleDuplicate.Status.choices, ("all", gettext_lazy("All"))],
        required=False,
    )


def _duplicates(request):
    return of_my_organisations(PossibleDuplicate.objects.all(), request.user)


@staff_required
@require_http_methods(["GET"])
def duplicate_list(request):
    form = DuplicateFilterForm(request.GET or None)
    status = (form.cleaned_data.get("status") if form.is_valid() else "") or "open"
    duplicates = _duplicates(request).select_related("place", "organisation")
    if status != "all":
        duplicates = duplicates.filter(status=status)
    page = Paginator(duplicates, 50).get_page(request.GET.get("page"))
    conflicts = list(
        _conflicts(request)
        .filter(status=SourceConflict.Status.OPEN)
        .select_related("place", "organisation")[:CONFLICTS_SHOWN]
    )
    form.add_aria()
    return render(
        request,
        "manage/imports/duplicate_list.html",
        {
            "form": form,
            "page": page,
            "status": status,
            "conflicts": conflicts,
            "conflicts_shown": CONFLICTS_SHOWN,
            # The conflicts this person may mark as checked (no query: roles are cached).
            "decidable": {
                c.pk for c in conflicts if can_admin_organisation(request.user, c.organisation)
            },
        },
    )


def _conflicts(request):
    return of_my_organisations(SourceConflict.objects.all(), request.user)


@staff_required
@require_POST
def conflict_check_view(request, pk: int):
    conflict = get_object_or_404(_conflicts(request).select_related("organisation"), pk=pk)
    require_organisation_admin(
        request.user,
        conflict.organisation,
        message=_("Only the organisation's registry admins decide."),
    )
    try:
        conflict_check(conflict=conflict, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked as checked."))
    return redirect("imports:duplicate_list")


def _value(value) -> str:
    if value in (None, "", []):
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def comparison(duplicate: PossibleDuplicate) -> list[dict]:
    """Field by field: the existing place's value, the imported one, and whether they differ."""
    place = duplicate.place
    candidate = duplicate.candidate
    rows: list[tuple[str, str, str, str]] = []
    for key, imported in candidate.get("data", {}).items():
        try:
            label = Place._meta.get_field(key).verbose_name
        except FieldDoesNotExist:  # a key the model does not have: show it as is
            label = key
        current = getattr(place, key, None)
        rows.append((key, str(label), _value(current), _value(imported)))
    rows.append(
        (
            "typologies",
            _("typologies"),
            _value(sorted(t.code for t in place.typologies.all())),
            _value(sorted(candidate.get("typologies", []))),
        )
    )
    rows.append(
        (
            "networks",
            _("networks"),
            _value(sorted(n.slug for n in place.networks.all())),
            _value(sorted(candidate.get("networks", []))),
        )
    )
    schedule = getattr(place, "schedule", None) if hasattr(place, "schedule") else None
    rows.append(
        (
            "opening_hours",
            _("opening hours"),
            schedule.osm_source if schedule is not None else "",
            candidate.get("hours") or candidate.get("hours_text") or "",
        )
    )
    return [
        {
            "key": key,
            "label": label,
            "current": current,
            "imported": imported,
            "differs": bool(imported) and current != imported,
        }
        for key, label, current, imported in rows
    ]


@staff_required
@require_http_methods(["GET"])
def duplicate_detail(request, pk: int):
    duplicate = get_object_or_404(
        _duplicates(request).select_related("place", "organisation", "resolved_by"), pk=pk
    )
    return render(
        request,
        "manage/imports/duplicate_detail.html",
        {
            "duplicate": duplicate,
            "rows": comparison(duplicate),
            "can_decide": duplicate.status == PossibleDuplicate.Status.OPEN
            and can_admin_organisation(request.user, duplicate.organisation),
            "provenance": sorted((duplicate.candidate.get("provenance") or {}).items()),
        },
    )


def _decide(request, pk: int, action, done: str):
    duplicate = get_object_or_404(_duplicates(request).select_related("organisation"), pk=pk)
    require_organisation_admin(
        request.user,
        duplicate.organisation,
        message=_("Only the organisation's registry admins decide."),
    )
    try:
        place = action(duplicate=duplicate, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("imports:duplicate_detail", pk=pk)
    messages.success(request, done % {"name": place.name})
    return redirect("imports:duplicate_list")


@staff_required
@require_POST
def duplicate_merge_view(request, pk: int):
    return _decide(
        request, pk, duplicate_merge, _("Merged into “%(name)s”; its identifier is remembered.")
    )


@staff_required
@require_POST
def duplicate_dismiss_view(request, pk: int):
    return _decide(
        request, pk, duplicate_dismiss, _("Kept apart: “%(name)s” was created as its own place.")
    )


# ------------------------------------------------------------------------ past runs


def _runs(request):
    return of_my_organisations(ImportRun.objects.all(), request.user)


@staff_required
@require_http_methods(["GET"])
def run_list(request):
    """Past imports of the person's organisations, newest first, with their counts."""
    runs = (
        _runs(request)
        .select_related("organisation", "user")
        .defer("rejections")  # the list shows counts only; a run may keep 1,000 rows
    )
    page = Paginator(runs, 50).get_page(request.GET.get("page"))
    return render(request, "manage/imports/run_list.html", {"page": page})


@staff_required
@require_http_methods(["GET"])
def run_detail(request, pk: int):
    """One past import: its counts and every rejected row with its line and reason."""
    run = get_object_or_404(_runs(request).select_related("organisation", "user"), pk=pk)
    return render(
        request,
        "manage/imports/run_detail.html",
        {
            "run": run,
            "rejection_counts": sorted(run.counts.get("rejection_counts", {}).items()),
            "not_kept": max(0, run.rejected - len(run.rejections)),
        },
    )
