"""Snapshots and diffs of records, for the change history."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from places.inserts import insert_many
from places.models import ChangeRecord, Place
from places.signals import changes_recorded


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


def change(
    *,
    place: Place | None,
    target: str,
    action: str,
    changes: dict,
    user,
    source: str,
    version: int | None = None,
) -> ChangeRecord | None:
    """One change, not saved yet: what `record` stores, and what `record_many` stores in
    bulk; an update that changed nothing gives None."""
    if action == ChangeRecord.Action.UPDATE and not changes:
        return None
    return ChangeRecord(
        place=place,
        target=target,
        action=action,
        changes=changes,
        user=user if getattr(user, "is_authenticated", False) else None,
        source=source,
        version=version,
    )


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
    return store(
        change(
            place=place,
            target=target,
            action=action,
            changes=changes,
            user=user,
            source=source,
            version=version,
        )
    )


def store(entry: ChangeRecord | None) -> ChangeRecord | None:
    """Save one change built by `change` (its post_save tells the apps above: webhooks)."""
    if entry is not None:
        entry.save()
    return entry


def record_many(entries: Iterable[ChangeRecord | None]) -> list[ChangeRecord]:
    """Store the changes of a bulk action in one statement and send `changes_recorded`,
    which stands in for the post_save each `record` sends (bulk_create sends none)."""
    rows = [e for e in entries if e is not None]
    if rows:
        insert_many(ChangeRecord, rows)
        changes_recorded.send(sender=ChangeRecord, changes=rows)
    return rows
