"""Snapshots and diffs of records, for the change history."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.db import models

from places.models import ChangeRecord, Place


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set):
        return (
            sorted(_plain(v) for v in value)
            if isinstance(value, set)
            else [_plain(v) for v in value]
        )
    return value


def snapshot(instance: models.Model, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The editable concrete fields of a record, as JSON-friendly values."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or not field.editable or field.name in exclude:
            continue
        if isinstance(field, models.ForeignKey):
            data[field.name] = _plain(getattr(instance, field.attname))
        else:
            data[field.name] = _plain(getattr(instance, field.name))
    return data


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list]:
    """{field: [old, new]} for every field whose value differs."""
    before = before or {}
    after = after or {}
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record(
    *,
    place: Place | None,
    target: str,
    action: str,
    changes: dict,
    user,
    source: str,
    version: int | None = None,
) -> ChangeRecord | None:
    """Store one change; an update that changed nothing leaves no record."""
    if action == ChangeRecord.Action.UPDATE and not changes:
        return None
    return ChangeRecord.objects.create(
        place=place,
        target=target,
        action=action,
        changes=changes,
        user=user if getattr(user, "is_authenticated", False) else None,
        source=source,
        version=version,
    )
