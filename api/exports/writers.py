"""Streaming serialisers: text chunks of about BUFFER characters, never the whole file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from places.csvsafe import safe_cell

BUFFER = 64 * 1024


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def buffered(parts: Iterable[str]) -> Iterator[str]:
    """Join small pieces into chunks of about BUFFER characters (fewer writes, same text)."""
    pending: list[str] = []
    size = 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size >= BUFFER:
            yield "".join(pending)
            pending, size = [], 0
    if pending:
        yield "".join(pending)


def json_array_parts(items: Iterable[Any]) -> Iterator[str]:
    """A JSON array, one element per line."""
    yield "["
    first = True
    for item in items:
        yield ("\n" if first else ",\n") + dumps(item)
        first = False
    yield "\n]\n"


def json_array(items: Iterable[Any]) -> Iterator[str]:
    return buffered(json_array_parts(items))


def csv_rows(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV (comma, minimal quoting, CRLF as RFC 4180 says) with a header row; text that
    could start a spreadsheet formula is neutralised (places.csvsafe)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")

    def parts() -> Iterator[str]:
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else safe_cell(v) for k, v in row.items()})
            text = out.getvalue()
            out.seek(0)
            out.truncate()
            yield text
        yield out.getvalue()

    return buffered(parts())
