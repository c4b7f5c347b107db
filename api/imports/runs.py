"""The stored record of an import run (api.models.ImportRun), written from its report."""

from __future__ import annotations

from dataclasses import asdict

from api.imports.records import Report
from api.models import ImportRun
from places import actions as places_actions
from places.models import Organisation, OrganisationEvent


def import_run_record(
    *, report: Report, organisation: Organisation, file_name: str, via: str, user=None
) -> ImportRun | None:
    """Store what a run did and which rows it rejected; a dry run stores nothing."""
    if report.dry_run:
        return None
    data = report.as_dict()
    run = ImportRun.objects.create(
        organisation=organisation,
        user=user,
        via=via,
        format=report.format,
        file_name=file_name[:255],
        atomic=report.atomic,
        rolled_back=report.rolled_back,
        rows=report.rows,
        rejected=report.rejected,
        counts={**data["counts"], "rejection_counts": data["rejection_counts"]},
        rejections=[asdict(i) for i in report.rejections[: ImportRun.REJECTIONS_KEPT]],
    )
    places_actions.organisation_event_record(
        organisation=organisation,
        user=user,
        kind=OrganisationEvent.Kind.IMPORT,
        action=OrganisationEvent.Action.RUN,
        target=run.file_name,
        summary=_import_summary(run),
    )
    return run


def _import_summary(run: ImportRun) -> str:
    parts = [f"{run.format}", f"{run.rows} rows", f"{run.rejected} rejected"]
    if run.rolled_back:
        parts.append("rolled back")
    return ", ".join(parts)
