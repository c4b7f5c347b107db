"""CSV in and out: budget and attendance files, and the export of every table.

Reading only parses and resolves names; the actions validate and write. Any problem is
reported with its row number (the header is row 1) and nothing of the file is stored.
Amounts use a decimal point: "1234.50". A decimal comma ("1234,50") is refused with a
hint rather than guessed, since "1,234" could be a thousand or one and a quarter.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _

from economics.models import BudgetLine, CostCategory, RevenueCategory, Space, Visibility
from places.csvsafe import safe_cell, safe_row
from places.models import Organisation, Place
from services.models import Provider

BUDGET_REQUIRED = ("year", "scenario", "direction", "category", "amount")
BUDGET_OPTIONAL = ("funder", "label", "visibility", "note")
ATTENDANCE_REQUIRED = ("date", "visits", "uses")
ATTENDANCE_OPTIONAL = ("space", "slot_start", "slot_end", "hours_used")
MAX_BYTES = 5 * 1024 * 1024
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 5 MB.")]})
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": [_("The file is not UTF-8 or Windows-1252 text.")]})


# No budget or attendance line is anywhere near this long.
MAX_LINE = 64 * 1024


def _reader(text: str, required: Sequence[str], optional: Sequence[str]) -> list[dict]:
    """The rows as dicts keyed by lower-case column, or ValidationError on a broken file."""
    first = text.splitlines()[0] if text.strip() else ""
    if not first:
        raise ValidationError({"file": [_("The file is empty.")]})
    if "\x00" in text:
        raise ValidationError(
            {"file": [_("The file contains NUL characters: it is not a CSV text file.")]}
        )
    long_line = next(
        (n for n, line in enumerate(text.splitlines(), 1) if len(line) > MAX_LINE), None
    )
    if long_line is not None:
        # Checked here rather than left to the csv module: its field limit is one setting
        # for the whole process, which another reader may have raised.
        raise ValidationError(
            {
                "file": [
                    _("Row %(row)s: the CSV cannot be read (a line over %(max)s characters).")
                    % {"row": long_line, "max": MAX_LINE}
                ]
            }
        )
    delimiter = max(";,\t", key=first.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        columns = [(c or "").strip().lower() for c in reader.fieldnames or []]
        reader.fieldnames = columns
        _check_columns(columns, required, optional)
        return list(reader)
    except csv.Error as exc:
        # e.g. a field over the csv module's limit (128 KB): a real budget has none.
        raise ValidationError(
            {
                "file": [
                    _("Row %(row)s: the CSV cannot be read (%(error)s).")
                    % {"row": reader.line_num, "error": exc}
                ]
            }
        ) from None


def _check_columns(columns: list[str], required: Sequence[str], optional: Sequence[str]) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        raise ValidationError(
            {
                "file": [
                    _("Row 1: missing column(s) %(missing)s. Expected: %(expected)s.")
                    % {
                        "missing": ", ".join(missing),
                        "expected": ", ".join(list(required) + [f"[{o}]" for o in optional]),
                    }
                ]
            }
        )
    unknown = [c for c in columns if c and c not in required and c not in optional]
    if unknown:
        raise ValidationError(
            {"file": [_("Row 1: unknown column(s) %(c)s.") % {"c": ", ".join(unknown)}]}
        )


def parse_amount(raw: str, *, row: int, column: str = "amount") -> Decimal:
    value = (raw or "").strip().replace("\u00a0", "").replace(" ", "")
    if _DECIMAL_COMMA.match(value):
        raise ValidationError(
            _(
                "Row %(row)s: %(column)s “%(raw)s” uses a decimal comma; write it with a "
                "point, e.g. %(fixed)s."
            )
            % {"row": row, "column": column, "raw": raw, "fixed": value.replace(",", ".")}
        )
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValidationError(
            _("Row %(row)s: %(column)s “%(raw)s” is not a number like 1234.50.")
            % {"row": row, "column": column, "raw": raw}
        ) from None
    if not amount.is_finite():
        raise ValidationError(
            _("Row %(row)s: %(column)s is not a number.") % {"row": row, "column": column}
        )
    if amount < 0:
        raise ValidationError(
            _("Row %(row)s: %(column)s “%(raw)s” is negative; amounts are positive.")
            % {"row": row, "column": column, "raw": raw}
        )
    return amount


def _funder(raw: str, row: int, providers: dict, organisations: dict) -> dict:
    raw = (raw or "").strip()
    if not raw:
        return {}
    kind, _sep, slug = raw.partition(":")
    if kind == "provider" and slug in providers:
        return {"funder_provider": providers[slug]}
    if kind == "organisation" and slug in organisations:
        return {"funder_organisation": organisations[slug]}
    raise ValidationError(
        _("Row %(row)s: unknown funder “%(raw)s” (write provider:<slug> or organisation:<slug>).")
        % {"row": row, "raw": raw}
    )


def read_budget(data: bytes | str) -> dict[tuple[int, str], list[tuple[int, dict]]]:
    """Budget lines grouped by (year, scenario), each with its row number.

    Columns: year, scenario (actual|forecast), direction (cost|revenue), category (codes in
    docs/economics.md), amount; optional funder (provider:<slug> or organisation:<slug>),
    label, visibility (public|partners|staff), note.
    """
    reader = _reader(_text(data), BUDGET_REQUIRED, BUDGET_OPTIONAL)
    raw_rows = list(reader)
    slugs = {(r.get("funder") or "").strip() for r in raw_rows}
    provider_slugs = [s.split(":", 1)[1] for s in slugs if s.startswith("provider:")]
    org_slugs = [s.split(":", 1)[1] for s in slugs if s.startswith("organisation:")]
    providers = {p.slug: p for p in Provider.objects.filter(slug__in=provider_slugs)}
    organisations = {o.slug: o for o in Organisation.objects.filter(slug__in=org_slugs)}
    categories = {"cost": set(CostCategory.values), "revenue": set(RevenueCategory.values)}
    out: dict[tuple[int, str], list[tuple[int, dict]]] = {}
    errors: list[str] = []
    for number, raw in enumerate(raw_rows, start=2):
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        try:
            year_raw = (raw["year"] or "").strip()
            if not year_raw.isdigit() or not 2000 <= int(year_raw) <= 2100:
                raise ValidationError(
                    _("Row %(row)s: year “%(y)s” is not between 2000 and 2100.")
                    % {"row": number, "y": year_raw}
                )
            scenario = (raw["scenario"] or "").strip().lower()
            if scenario not in BudgetLine.Scenario.values:
                raise ValidationError(
                    _("Row %(row)s: scenario “%(s)s” is not actual or forecast.")
                    % {"row": number, "s": scenario}
                )
            direction = (raw["direction"] or "").strip().lower()
            if direction not in categories:
                raise ValidationError(
                    _("Row %(row)s: direction “%(d)s” is not cost or revenue.")
                    % {"row": number, "d": direction}
                )
            category = (raw["category"] or "").strip().lower()
            if category not in categories[direction]:
                raise ValidationError(
                    _("Row %(row)s: unknown %(d)s category “%(c)s” (known: %(known)s).")
                    % {
                        "row": number,
                        "d": direction,
                        "c": category,
                        "known": ", ".join(sorted(categories[direction])),
                    }
                )
            visibility = (raw.get("visibility") or "staff").strip().lower()
            if visibility not in Visibility.values:
                raise ValidationError(
                    _("Row %(row)s: visibility “%(v)s” is not public, partners or staff.")
                    % {"row": number, "v": visibility}
                )
            line = {
                "direction": direction,
                "category": category,
                "amount": parse_amount(raw["amount"], row=number),
                "label": (raw.get("label") or "").strip()[:200],
                "visibility": visibility,
                "note": (raw.get("note") or "").strip(),
                **_funder(raw.get("funder"), number, providers, organisations),
            }
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        out.setdefault((int(year_raw), scenario), []).append((number, line))
    if errors:
        raise ValidationError({"file": errors})
    if not out:
        raise ValidationError({"file": [_("The file has no data row.")]})
    return out


def _time(raw: str, row: int, column: str) -> datetime.time | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return datetime.time.fromisoformat(raw if len(raw) > 4 else raw.zfill(5))
    except ValueError:
        raise ValidationError(
            _("Row %(row)s: %(column)s “%(raw)s” is not a time like 14:00.")
            % {"row": row, "column": column, "raw": raw}
        ) from None


def _count(raw: str, row: int, column: str) -> int:
    raw = (raw or "").strip() or "0"
    if not raw.isdigit():
        raise ValidationError(
            _("Row %(row)s: %(column)s “%(raw)s” is not a whole number of 0 or more.")
            % {"row": row, "column": column, "raw": raw}
        )
    return int(raw)


def read_attendance(data: bytes | str, place: Place) -> list[tuple[int, dict]]:
    """Attendance rows of one place, each with its row number.

    Columns: date (YYYY-MM-DD), visits, uses; optional space (its name at this place),
    slot_start and slot_end (HH:MM), hours_used (capacity-hours).
    """
    reader = _reader(_text(data), ATTENDANCE_REQUIRED, ATTENDANCE_OPTIONAL)
    spaces = {s.name.strip().casefold(): s for s in Space.objects.filter(place=place)}
    out, errors = [], []
    for number, raw in enumerate(reader, start=2):
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        try:
            try:
                day = datetime.date.fromisoformat((raw["date"] or "").strip())
            except ValueError:
                raise ValidationError(
                    _("Row %(row)s: date “%(d)s” is not a date like 2025-03-14.")
                    % {"row": number, "d": raw["date"]}
                ) from None
            if not 2000 <= day.year <= 2100:
                raise ValidationError(
                    _("Row %(row)s: the year %(y)s is not between 2000 and 2100.")
                    % {"row": number, "y": day.year}
                )
            space = None
            name = (raw.get("space") or "").strip()
            if name:
                space = spaces.get(name.casefold())
                if space is None:
                    raise ValidationError(
                        _("Row %(row)s: this place has no space named “%(n)s”.")
                        % {"row": number, "n": name}
                    )
            hours_raw = (raw.get("hours_used") or "").strip()
            row = {
                "date": day,
                "space": space,
                "slot_start": _time(raw.get("slot_start"), number, "slot_start"),
                "slot_end": _time(raw.get("slot_end"), number, "slot_end"),
                "visits": _count(raw["visits"], number, "visits"),
                "uses": _count(raw["uses"], number, "uses"),
                "hours_used": parse_amount(hours_raw, row=number, column="hours_used")
                if hours_raw
                else None,
            }
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        out.append((number, row))
    if errors:
        raise ValidationError({"file": errors})
    if not out:
        raise ValidationError({"file": [_("The file has no data row.")]})
    return out


CSV_LOCALES = ("en", "fr")


def csv_locale(request) -> str:
    """The CSV flavour asked for with `?locale=fr|en`; points and commas by default."""
    value = request.GET.get("locale", "")
    return value if value in CSV_LOCALES else "en"


def _cell(value, locale: str):
    if value is None:
        return ""
    if locale == "fr" and isinstance(value, Decimal | float):
        # The figure as stored, decimal comma, no thousands separator: French spreadsheets
        # read "1500,50" as a number (and "1 500,50" as text).
        return str(value).replace(".", ",")
    return value


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence], *, locale: str = "en"
) -> HttpResponse:
    """A CSV download, UTF-8 with BOM so spreadsheets read accents.

    `locale="en"` (the default, for programs and English spreadsheets): commas between
    cells, decimal points. `locale="fr"`: semicolons between cells, decimal commas, which is
    what French spreadsheets expect. Text that could start a spreadsheet formula is
    neutralised (places.csvsafe).
    """
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";" if locale == "fr" else ",")
    writer.writerow(safe_row(header))
    for row in rows:
        writer.writerow([safe_cell(_cell(v, locale)) for v in row])
    return response


COMMUNE_REQUIRED = ("insee_code", "name", "latitude", "longitude")
COMMUNE_OPTIONAL = ("population",)


def read_communes(data: bytes | str) -> list:
    """Communes to study: insee_code, name, latitude, longitude (decimal degrees), population."""
    from economics.selectors import Commune

    reader = _reader(_text(data), COMMUNE_REQUIRED, COMMUNE_OPTIONAL)
    out, errors = [], []
    for number, raw in enumerate(reader, start=2):
        try:
            lat = parse_amount_signed(raw["latitude"], row=number, column="latitude")
            lon = parse_amount_signed(raw["longitude"], row=number, column="longitude")
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValidationError(
                    _("Row %(row)s: the coordinates are outside the globe.") % {"row": number}
                )
            population = (raw.get("population") or "").strip()
            if population and not population.isdigit():
                raise ValidationError(
                    _("Row %(row)s: population “%(p)s” is not a whole number.")
                    % {"row": number, "p": population}
                )
            code = (raw["insee_code"] or "").strip().upper()
            if not re.fullmatch(r"(\d{5}|2[AB]\d{3})", code):
                raise ValidationError(
                    _("Row %(row)s: “%(c)s” is not an INSEE code.") % {"row": number, "c": code}
                )
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        out.append(
            Commune(
                insee_code=code,
                name=(raw["name"] or "").strip() or code,
                latitude=float(lat),
                longitude=float(lon),
                population=int(population) if population else None,
                from_file=True,
            )
        )
    if errors:
        raise ValidationError({"file": errors})
    return out


def parse_amount_signed(raw: str, *, row: int, column: str) -> Decimal:
    value = (raw or "").strip()
    negative = value.startswith("-")
    amount = parse_amount(value.lstrip("-"), row=row, column=column)
    return -amount if negative else amount
