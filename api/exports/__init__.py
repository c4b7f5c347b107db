"""Exports of the published registry in open-data formats, as streams of text chunks.

Each exporter is a pure function `(queryset=None, *, chunk_size=None) -> Iterator[str]`:
nothing is read before the first chunk is asked for, and memory stays bounded by one
chunk of places. `manage.py export_places` and GET /api/v1/exports/<format>/ use them.
See docs/decisions/0008-exports.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from api.exports import data_inclusion, geojson, hsds, jsonld, lmn


@dataclass(frozen=True)
class ExportFormat:
    name: str
    content_type: str
    extension: str
    write: Callable[..., Iterator[str]]
    takes_base_url: bool = False


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "data-inclusion-structures",
            "application/json; charset=utf-8",
            "json",
            data_inclusion.export_structures,
        ),
        ExportFormat(
            "data-inclusion-services",
            "application/json; charset=utf-8",
            "json",
            data_inclusion.export_services,
        ),
        ExportFormat("lmn-csv", "text/csv; charset=utf-8", "csv", lmn.export_csv),
        ExportFormat("lmn-json", "application/json; charset=utf-8", "json", lmn.export_json),
        ExportFormat("hsds", "application/json; charset=utf-8", "json", hsds.export_hsds),
        ExportFormat(
            "geojson", "application/geo+json; charset=utf-8", "geojson", geojson.export_geojson
        ),
        ExportFormat(
            "jsonld",
            "application/ld+json; charset=utf-8",
            "jsonld",
            jsonld.export_jsonld,
            takes_base_url=True,
        ),
    )
}


def export(
    name: str, queryset=None, *, chunk_size: int | None = None, base_url: str = ""
) -> Iterator[str]:
    """The chunks of export `name` (a key of FORMATS) over the published places."""
    fmt = FORMATS[name]
    extra = {"base_url": base_url} if fmt.takes_base_url else {}
    return fmt.write(queryset, chunk_size=chunk_size, **extra)
