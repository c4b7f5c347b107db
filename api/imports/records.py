"""What a run produces: normalised records, issues (warnings and rejections), the report."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Issue:
    """A warning or a rejection, tied to the source row that caused it.

    `row` is the record's position in the file, from 1 (the CSV header is not counted);
    0 means the file as a whole. `line` is the line of the file the row starts on, when
    known (0 otherwise): what a text editor shows.
    """

    row: int
    external_id: str
    code: str
    field: str
    message: str
    line: int = 0

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        if self.line:
            where += f" (line {self.line})"
        if self.external_id:
            where += f" [{self.external_id}]"
        return f"{where}: {self.message}"


class RowRejected(Exception):
    """The row cannot become a place; the message says which value and why."""

    def __init__(
        self, code: str, field_name: str, message: str, external_id: str = "", line: int = 0
    ):
        super().__init__(message)
        self.code = code
        self.field = field_name
        self.message = message
        self.external_id = external_id
        self.line = line


@dataclass
class Record:
    """One source row, normalised: place fields and relations, each from a known source."""

    row: int
    source: str  # ExternalId.source, e.g. "france-services"
    external_id: str
    data: dict[str, Any]  # only values the row actually gives
    typologies: list[str]
    networks: list[str] = field(default_factory=list)  # network slugs
    profiles: dict[str, dict] = field(default_factory=dict)
    hours: str | None = None  # a valid OSM opening_hours string
    # Hours as received when they cannot be read at all: kept as text, no calendar.
    hours_text: str | None = None
    hours_field: str = "opening_hours"  # the source column, for messages
    provenance: dict[str, Any] = field(default_factory=dict)  # row source, date, services...
    # Service offers the row gives: {"kind": slug, "provider": slug or "own", terms...}.
    offers: list[dict[str, Any]] = field(default_factory=list)
    # [field, value] pairs the registry has no equivalent for: kept as provenance.
    unmapped: list[list[str]] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def as_candidate(self) -> dict[str, Any]:
        """JSON-friendly copy, stored with a possible duplicate for staff review."""
        data = {
            k: (str(v) if k in ("latitude", "longitude") and v is not None else v)
            for k, v in self.data.items()
        }
        return {
            "row": self.row,
            "data": data,
            "typologies": self.typologies,
            "networks": self.networks,
            "profiles": self.profiles,
            "hours": self.hours,
            "hours_text": self.hours_text,
            "hours_field": self.hours_field,
            "provenance": self.provenance,
            "offers": self.offers,
            "unmapped": self.unmapped,
        }


@dataclass
class Report:
    format: str
    path: str
    dry_run: bool
    # All or nothing: with a rejected row, the whole run was rolled back (rolled_back).
    atomic: bool = False
    rolled_back: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    queued: int = 0  # rows held as possible duplicates for staff review
    offers_created: int = 0
    unmapped_kept: int = 0  # values kept as provenance (api.models.ImportedValue)
    conflicts_listed: int = 0  # disagreements between files queued (api.models.SourceConflict)
    rejections: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected + self.queued

    @property
    def stored(self) -> bool:
        """Whether what the counts describe was written."""
        return not (self.dry_run or self.rolled_back)

    def warning_counts(self) -> Counter:
        return Counter(w.code for w in self.warnings)

    def rejection_counts(self) -> Counter:
        return Counter(r.code for r in self.rejections)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "path": self.path,
            "dry_run": self.dry_run,
            "atomic": self.atomic,
            "rolled_back": self.rolled_back,
            "counts": {
                "rows": self.rows,
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "queued": self.queued,
                "rejected": self.rejected,
                "warnings": len(self.warnings),
                "offers_created": self.offers_created,
                "unmapped_kept": self.unmapped_kept,
                "conflicts_listed": self.conflicts_listed,
            },
            "warning_counts": dict(sorted(self.warning_counts().items())),
            "rejection_counts": dict(sorted(self.rejection_counts().items())),
            "rejections": [asdict(i) for i in self.rejections],
            "warnings": [asdict(i) for i in self.warnings],
        }
