"""Staff decisions on possible duplicates and on conflicts between files queued by imports."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.imports.pipeline import Importer
from api.imports.records import Record
from api.models import PossibleDuplicate, SourceConflict
from places.models import Place


def _record(duplicate: PossibleDuplicate) -> Record:
    candidate = duplicate.candidate
    data = dict(candidate["data"])
    for key in ("latitude", "longitude"):
        if data.get(key) is not None:
            data[key] = Decimal(data[key])
    return Record(
        row=candidate.get("row", 0),
        source=duplicate.source,
        external_id=duplicate.external_id,
        data=data,
        typologies=candidate["typologies"],
        networks=candidate.get("networks", []),
        profiles=candidate.get("profiles", {}),
        hours=candidate.get("hours"),
        hours_text=candidate.get("hours_text"),
        hours_field=candidate.get("hours_field", "opening_hours"),
        provenance=candidate.get("provenance", {}),
        offers=candidate.get("offers", []),
        unmapped=candidate.get("unmapped", []),
    )


def _importer(duplicate: PossibleDuplicate, user) -> Importer:
    return Importer(
        fmt=duplicate.candidate.get("format", duplicate.source),
        organisation=duplicate.organisation,
        status=duplicate.candidate.get("status", Place.Status.PUBLISHED),
        user=user,
    )


def _lock_open(duplicate: PossibleDuplicate) -> PossibleDuplicate:
    current = PossibleDuplicate.objects.select_for_update().get(pk=duplicate.pk)
    if current.status != PossibleDuplicate.Status.OPEN:
        raise ValidationError(
            _("This possible duplicate was already %(status)s.")
            % {"status": current.get_status_display().lower()},
            code="resolved",
        )
    return current


@transaction.atomic
def duplicate_merge(*, duplicate: PossibleDuplicate, user) -> Place:
    """The imported row and the existing place are one: fill the place's blanks from the
    row, add its kinds and networks, and remember the row's identifier on the place."""
    current = _lock_open(duplicate)
    importer = _importer(current, user)
    record = _record(current)
    networks = importer.networks(record.networks)
    importer.update(current.place, record, networks, owner=False)
    importer.attach(current.place, record)
    importer.merge_hours(current.place, record)
    importer.complete(current.place, record)
    current.status = PossibleDuplicate.Status.MERGED
    current.resolved_at = timezone.now()
    current.resolved_by = user if getattr(user, "is_authenticated", False) else None
    current.resolved_place = current.place
    current.save(update_fields=["status", "resolved_at", "resolved_by", "resolved_place"])
    duplicate.__dict__.update(current.__dict__)
    return Place.objects.get(pk=current.place_id)


@transaction.atomic
def duplicate_dismiss(*, duplicate: PossibleDuplicate, user) -> Place:
    """The imported row is a different place: create it, with its identifier, so that the
    next import of the same file recognises it instead of queueing it again."""
    current = _lock_open(duplicate)
    importer = _importer(current, user)
    record = _record(current)
    place = importer.create(record, importer.networks(record.networks))
    current.status = PossibleDuplicate.Status.DISMISSED
    current.resolved_at = timezone.now()
    current.resolved_by = user if getattr(user, "is_authenticated", False) else None
    current.resolved_place = place
    current.save(update_fields=["status", "resolved_at", "resolved_by", "resolved_place"])
    duplicate.__dict__.update(current.__dict__)
    return place


@transaction.atomic
def conflict_check(*, conflict: SourceConflict, user) -> SourceConflict:
    """Staff checked which hours are right (and fixed the place's schedule if needed):
    the conflict leaves the queue, and the same file and value do not bring it back."""
    current = SourceConflict.objects.select_for_update().get(pk=conflict.pk)
    if current.status != SourceConflict.Status.OPEN:
        raise ValidationError(_("This conflict was already checked."), code="resolved")
    current.status = SourceConflict.Status.CHECKED
    current.resolved_at = timezone.now()
    current.resolved_by = user if getattr(user, "is_authenticated", False) else None
    current.save(update_fields=["status", "resolved_at", "resolved_by"])
    conflict.__dict__.update(current.__dict__)
    return current
