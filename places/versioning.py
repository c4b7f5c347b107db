"""One optimistic-lock mechanism for every versioned record: places, offers, schedules,
budgets, spaces, sharing offers, provider agreements and the catalogue (providers, service
kinds, search words).

An editor (page or API) starts from a version and sends it back. The action locks the
record and calls `check_version`: another version raises `StaleRecord`, the one conflict
error, with the changes made since (who, what). Pages and the API refuse a write that
carries no version (`VersionField`, `version_required`); only imports that own the record
pass `expected_version=None` to an action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from places.models import PROFILE_MODELS, ChangeRecord, Place

STALE_MESSAGES = {
    "place": gettext_lazy(
        "This place was changed by %(who)s while you were editing it "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "offer": gettext_lazy(
        "This offer was changed by %(who)s while you were editing it "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "schedule": gettext_lazy(
        "These hours were changed by %(who)s while you were editing them "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "budget": gettext_lazy(
        "This budget was changed by %(who)s while you were editing it "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "sharing": gettext_lazy(
        "This sharing offer was changed by %(who)s while you were editing it "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "space": gettext_lazy(
        "This space was changed by %(who)s while you were editing it "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "space_removal": gettext_lazy(
        "This space was changed by %(who)s after you opened it (now version "
        "%(version)s), so it was not removed. Review their changes, then remove it "
        "again if you still mean to."
    ),
    "agreement": gettext_lazy(
        "This agreement was changed by %(who)s while you were editing it "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "provider": gettext_lazy(
        "This provider was changed by %(who)s while you were editing it "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "service_kind": gettext_lazy(
        "This service kind was changed by %(who)s while you were editing it "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "need_word": gettext_lazy(
        "This search word was changed by %(who)s while you were editing it "
        "(now version %(version)s). Your input is kept below: review their "
        "changes, then save again to apply yours."
    ),
    "need_word_removal": gettext_lazy(
        "This search word was changed by %(who)s after you opened it (now version "
        "%(version)s), so it was not removed. Review their changes, then remove it "
        "again if you still mean to."
    ),
}

VERSION_REQUIRED = gettext_lazy(
    "This form does not say which version you started from, so saving it could "
    "overwrite a colleague's change: nothing was saved. Reload the page and apply your "
    "change again."
)


class StaleRecord(ValidationError):
    """Somebody saved the record since the version the editor started from.

    `current` is the record as stored now (None for a schedule not created yet),
    `version` its version, `since` the ChangeRecords written after the editor's version.
    """

    def __init__(self, *, kind: str, current, version: int, since: Iterable[ChangeRecord]):
        self.kind = kind
        self.current = current
        self.version = version
        self.since = list(since)
        names = sorted({str(c.user or _("an import or the API")) for c in self.since})
        super().__init__(
            STALE_MESSAGES[kind],
            code="stale_version",
            params={"who": ", ".join(names) or _("someone else"), "version": version},
        )


def check_version(
    *,
    kind: str,
    current,
    version: int,
    expected: int | None,
    since: Callable[[], Iterable[ChangeRecord]],
) -> None:
    """Raise StaleRecord when `expected` is given and is not the stored `version`.

    `since` is called only on a conflict, to read the changes the editor missed.
    """
    if expected is not None and int(expected) != version:
        raise StaleRecord(kind=kind, current=current, version=version, since=since())


def last_records(queryset: QuerySet, missed: int) -> list[ChangeRecord]:
    """The `missed` most recent records of `queryset`, oldest first, with their authors.

    For records whose every write bumps the version by one and leaves one record.
    """
    if missed <= 0:
        return []
    rows = queryset.select_related("user").order_by("-created_at", "-id")[:missed]
    return list(rows)[::-1]


def version_required(field: str = "version") -> ValidationError:
    return ValidationError({field: [VERSION_REQUIRED]}, code="version_required")


class VersionField(forms.IntegerField):
    """The hidden version an edit form started from; a form without it is refused."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("required", True)
        kwargs.setdefault(
            "error_messages", {"required": VERSION_REQUIRED, "invalid": VERSION_REQUIRED}
        )
        super().__init__(**kwargs)


# -- describing what changed, for conflict pages and the history --------------------------

TARGET_MODELS = {"place": Place, **PROFILE_MODELS}


def field_label(target: str, name: str, model=None) -> str:
    model = model or TARGET_MODELS.get(target)
    if model is not None:
        try:
            return capfirst(str(model._meta.get_field(name).verbose_name))
        except Exception:  # noqa: S110 - a field removed since the change was recorded
            pass
    return capfirst(name.replace("_", " "))


def value_label(target: str, name: str, value, model=None) -> str:
    if value is None or value == "" or value == []:
        return "—"
    model = model or TARGET_MODELS.get(target)
    field = None
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: S110 - see field_label
            field = None
    if isinstance(value, list):
        if field is not None and hasattr(field, "labels"):
            return ", ".join(field.labels(value))
        return ", ".join(str(v) for v in value)
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.choices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def target_label(target: str, model=None) -> str:
    model = model or TARGET_MODELS.get(target)
    return capfirst(str(model._meta.verbose_name)) if model else target


def describe_change(record, model=None) -> dict:
    """The changes of one record for a conflict page. `model` names the record's model when
    its target is not a place or a profile (an agreement, a provider...), so that fields
    are labelled with their translated names."""
    fields = []
    for name, old_new in record.changes.items():
        if not (isinstance(old_new, list | tuple) and len(old_new) == 2):
            continue
        old = value_label(record.target, name, old_new[0], model)
        new = value_label(record.target, name, old_new[1], model)
        if old != new:  # a creation lists empty fields too: they say nothing
            fields.append(
                {
                    "name": name,
                    "label": field_label(record.target, name, model),
                    "old": old,
                    "new": new,
                }
            )
    return {
        "record": record,
        "target": target_label(record.target, model),
        "who": str(record.user) if record.user else _("an import or the API"),
        "fields": sorted(fields, key=lambda f: f["label"]),
    }
