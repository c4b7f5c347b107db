"""Output formats besides JSON: GeoJSON, CSV (streamed) and iCalendar."""

from __future__ import annotations

import csv
import json

from rest_framework.renderers import BaseRenderer, JSONRenderer

from places.csvsafe import safe_cell


class GeoJSONRenderer(JSONRenderer):
    """Places and offers as a GeoJSON FeatureCollection (a Feature for one record).

    Records without coordinates get a `null` geometry, as RFC 7946 allows. The page links
    (`next`, `previous`) are kept as foreign members of the collection.
    """

    media_type = "application/geo+json"
    format = "geojson"

    @staticmethod
    def feature(item: dict) -> dict:
        properties = dict(item)
        lat, lon = properties.get("latitude"), properties.get("longitude")
        geometry = (
            {"type": "Point", "coordinates": [lon, lat]}
            if lat is not None and lon is not None
            else None
        )
        return {
            "type": "Feature",
            "id": item.get("id"),
            "geometry": geometry,
            "properties": properties,
        }

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "error" not in data:
            if "results" in data:
                data = {
                    "type": "FeatureCollection",
                    "features": [self.feature(item) for item in data["results"]],
                    "next": data.get("next"),
                    "previous": data.get("previous"),
                }
            elif "latitude" in data:
                data = self.feature(data)
        return super().render(data, accepted_media_type, renderer_context)


class CSVRenderer(BaseRenderer):
    """Lists as CSV (UTF-8, header row). Views stream it row by row; see csv_rows()."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data.get("results", [data]) if isinstance(data, dict) else list(data or [])
        return "".join(csv_rows(rows)).encode()


class _Echo:
    def write(self, value):
        return value


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "|".join(csv_cell(v) if not isinstance(v, dict) else json.dumps(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def csv_rows(rows, columns: list[str] | None = None):
    """Yield CSV lines for an iterable of dicts; the first row fixes the columns. Text that
    could start a spreadsheet formula is neutralised (places.csvsafe)."""
    writer = csv.writer(_Echo())
    for row in rows:
        if columns is None:
            columns = list(row)
            yield writer.writerow(columns)
        yield writer.writerow([safe_cell(csv_cell(row.get(c))) for c in columns])


class ICalendarRenderer(BaseRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()
