"""The full registry export for staff: every place the staff list shows, with all its
fields, drafts included, as a streamed CSV or an XLSX workbook.

The registry knows only its own fields. Apps above it (services: the offers) add their
columns with `register_columns` from their AppConfig.ready(), so this module imports
nothing from them and the number of queries stays constant: each extra column brings
the prefetch it reads.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from places.csvsafe import safe_cell
from places.models import Network, Place, Typology

# Places fetched per database round trip while streaming (prefetches run per chunk).
CHUNK_SIZE = 500


@dataclass(frozen=True)
class Column:
    header: Any  # a lazy translation, read in the language of the request
    value: Callable[[Place], Any]


def _joined(values: Iterable[Any]) -> str:
    return "; ".join(str(value) for value in values)


def _profiles(place: Place) -> str:
    names = [
        label
        for attribute, label in (
            ("mediation", _("Mediation")),
            ("work", _("Work")),
            ("creation", _("Creation")),
        )
        if hasattr(place, attribute)
    ]
    return _joined(names)


def _person(user) -> str:
    if user is None:
        return ""
    name = user.get_full_name() or user.username
    return f"{name} <{user.email}>" if user.email else name


PLACE_COLUMNS: list[Column] = [
    Column(gettext_lazy("Identifier"), lambda p: p.public_id),
    Column(gettext_lazy("Name"), lambda p: p.name),
    Column(gettext_lazy("Slug"), lambda p: p.slug),
    Column(gettext_lazy("Status"), lambda p: p.get_status_display()),
    Column(gettext_lazy("Organisation"), lambda p: p.organisation.name),
    Column(gettext_lazy("Typologies"), lambda p: _joined(t.label for t in p.typologies.all())),
    Column(gettext_lazy("Profiles"), _profiles),
    Column(gettext_lazy("Networks"), lambda p: _joined(n.name for n in p.networks.all())),
    Column(gettext_lazy("Short description"), lambda p: p.short_description),
    Column(gettext_lazy("Description"), lambda p: p.description),
    Column(gettext_lazy("Origin"), lambda p: p.get_origin_display()),
    Column(gettext_lazy("Address"), lambda p: p.address),
    Column(gettext_lazy("Postcode"), lambda p: p.postcode),
    Column(gettext_lazy("Commune"), lambda p: p.commune),
    Column(gettext_lazy("INSEE code"), lambda p: p.insee_code),
    Column(gettext_lazy("Latitude"), lambda p: p.latitude),
    Column(gettext_lazy("Longitude"), lambda p: p.longitude),
    Column(gettext_lazy("Itinerant"), lambda p: p.itinerant),
    Column(gettext_lazy("Time zone"), lambda p: p.time_zone),
    Column(gettext_lazy("Phone"), lambda p: p.phone),
    Column(gettext_lazy("Email"), lambda p: p.email),
    Column(gettext_lazy("Website"), lambda p: p.website),
    Column(gettext_lazy("Wheelchair access"), lambda p: p.get_wheelchair_display()),
    Column(gettext_lazy("Accessibility details"), lambda p: p.accessibility_notes),
    Column(gettext_lazy("Acceslibre page"), lambda p: p.acceslibre_url),
    Column(gettext_lazy("SIRET"), lambda p: p.legal_id),
    Column(gettext_lazy("Managers"), lambda p: _joined(_person(u) for u in p.managers.all())),
    Column(gettext_lazy("Last verified"), lambda p: p.verified_at),
    Column(gettext_lazy("Verified by"), lambda p: _person(p.verified_by)),
    Column(gettext_lazy("Verification method"), lambda p: p.get_verification_method_display()),
    Column(gettext_lazy("Check every (days)"), lambda p: p.update_every_days),
    Column(gettext_lazy("Verification due on"), lambda p: p.verification_due_on),
    Column(gettext_lazy("Created at"), lambda p: p.created_at),
    Column(gettext_lazy("Updated at"), lambda p: p.updated_at),
    Column(gettext_lazy("Version"), lambda p: p.version),
]

_EXTRA_PREFETCHES: list[Any] = []
_EXTRA_COLUMNS: list[Column] = []


def register_columns(*, columns: Iterable[Column], prefetch: Iterable[Any] = ()) -> None:
    """Add columns (and the prefetches they read) after the registry's own; called once per
    app from its AppConfig.ready()."""
    _EXTRA_PREFETCHES.extend(prefetch)
    _EXTRA_COLUMNS.extend(columns)


def columns() -> list[Column]:
    return PLACE_COLUMNS + _EXTRA_COLUMNS


def export_queryset(queryset: QuerySet[Place]) -> QuerySet[Place]:
    """Everything the export reads, in a fixed number of queries per chunk of places."""
    user_model = get_user_model()
    return (
        queryset.select_related("organisation", "mediation", "work", "creation", "verified_by")
        .prefetch_related(
            Prefetch("typologies", queryset=Typology.objects.order_by("position")),
            Prefetch("networks", queryset=Network.objects.order_by("name")),
            Prefetch("managers", queryset=user_model.objects.order_by("username")),
            *_EXTRA_PREFETCHES,
        )
        .order_by("name", "pk")
    )


def _rows(queryset: QuerySet[Place]) -> Iterator[list[Any]]:
    cols = columns()
    for place in export_queryset(queryset).iterator(chunk_size=CHUNK_SIZE):
        yield [column.value(place) for column in cols]


def _french() -> bool:
    return (get_language() or "fr").split("-")[0] == "fr"


def _csv_value(value: Any, french: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal | float) and french:
        return str(value).replace(".", ",")
    if isinstance(value, UUID):
        return str(value)
    return safe_cell(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(queryset: QuerySet[Place]) -> Iterator[str]:
    """The CSV, line by line: UTF-8 BOM, a header row, one row per place. In French,
    semicolons and decimal commas, as French spreadsheets expect; commas and points
    otherwise. Text that could start a formula is neutralised (places.csvsafe)."""
    french = _french()
    writer = csv.writer(_Echo(), delimiter=";" if french else ",")
    yield "\ufeff" + writer.writerow([safe_cell(str(c.header)) for c in columns()])
    for row in _rows(queryset):
        yield writer.writerow([_csv_value(value, french) for value in row])


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.datetime):
        # Spreadsheets know no time zone: the local time the staff pages show.
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, UUID):
        return str(value)
    return value


def xlsx_bytes(queryset: QuerySet[Place]) -> bytes:
    """The same table as an XLSX workbook (one sheet, header row frozen). Every text is
    written as a text cell, never as a formula, whatever it starts with."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Places"))
    sheet.freeze_panes = "A2"

    def cells(values: Iterable[Any]) -> list[WriteOnlyCell]:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=_xlsx_value(value))
            if isinstance(cell.value, str):
                # openpyxl reads "=..." as a formula; a place's name is never one.
                cell.data_type = "s"
            out.append(cell)
        return out

    sheet.append(cells(str(c.header) for c in columns()))
    for row in _rows(queryset):
        sheet.append(cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
