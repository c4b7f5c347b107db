"""Streaming readers: each yields one source row at a time, so memory stays bounded.

A reader raises ImportFileError (with a position) when the file itself cannot be read;
a row that reads but makes no sense is the normaliser's business, not the reader's.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

CHUNK = 64 * 1024
MAX_RECORD = 16 * 1024 * 1024  # one JSON record larger than this is refused


class ImportFileError(Exception):
    """The file cannot be imported at all (format, encoding, header): nothing is stored."""


def detect_encoding(path: Path, declared: str | None = None) -> tuple[str, str | None]:
    """The encoding to read `path` with, and a note when it was guessed.

    Checks the whole file in chunks (bounded memory) rather than a prefix: a Latin-1
    accent on line 90,000 would otherwise break the import after thousands of writes.
    """
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            raise ImportFileError(
                _("Unknown encoding %(enc)r (try utf-8, cp1252 or latin-1).") % {"enc": declared}
            ) from None
        candidates = [declared]
    else:
        candidates = ["utf-8-sig", "cp1252", "latin-1"]
    decoders = {name: codecs.getincrementaldecoder(name)() for name in candidates}
    failed: dict[str, int] = {}
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            for name, decoder in decoders.items():
                if name in failed:
                    continue
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    failed[name] = offset + exc.start
            offset += len(chunk)
            if len(failed) == len(candidates):
                break
        for name, decoder in decoders.items():
            if name not in failed:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    failed[name] = offset
    for name in candidates:
        if name not in failed:
            if declared or name == "utf-8-sig":
                return name, None
            return name, _(
                "The file is not UTF-8: read as %(enc)s (byte %(byte)s is not UTF-8). "
                "Give --encoding if accents look wrong."
            ) % {"enc": name, "byte": failed["utf-8-sig"]}
    raise ImportFileError(
        _("The file cannot be read as %(enc)s: invalid byte at position %(byte)s.")
        % {"enc": declared, "byte": failed[declared]}
    )


def read_csv_header(path: Path, *, encoding: str, delimiter: str) -> list[str]:
    """The column names of a CSV file (a byte-order mark is ignored)."""
    try:
        with open(path, encoding=encoding, newline="") as handle:
            header = next(csv.reader(handle, delimiter=delimiter), None)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ImportFileError(
            _("The CSV header cannot be read: %(error)s.") % {"error": exc}
        ) from None
    if not header or not any(h.strip() for h in header):
        raise ImportFileError(_("The file is empty: no header row."))
    return [h.strip().lstrip("\ufeff") for h in header]


def iter_csv(
    path: Path, *, encoding: str = "utf-8-sig", delimiter: str = ","
) -> Iterator[dict[str, str]]:
    """Rows of a CSV file as {column: value}; quoted fields may hold line breaks."""
    header = read_csv_header(path, encoding=encoding, delimiter=delimiter)
    width = len(header)
    with open(path, encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            next(reader)
            for cells in reader:
                if not cells or not any(c.strip() for c in cells):
                    continue
                if len(cells) < width:
                    cells = [*cells, *[""] * (width - len(cells))]
                yield dict(zip(header, cells, strict=False))
        except csv.Error as exc:
            raise ImportFileError(
                _("The CSV file is malformed near line %(line)s: %(error)s.")
                % {"line": reader.line_num, "error": exc}
            ) from None
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                _("The file cannot be read as %(enc)s (%(error)s): give --encoding.")
                % {"enc": encoding, "error": exc.reason}
            ) from None


def iter_json_array(path: Path) -> Iterator[Any]:
    """Elements of a top-level JSON array, decoded one at a time from 64 KB chunks.

    json.load would hold the whole document and every decoded object at once; here only
    the current chunk and the current element are in memory.
    """
    decoder = json.JSONDecoder()
    consumed_lines = 1  # line number of buf[0], for error messages

    def fail(message: str, buf: str, pos: int) -> ImportFileError:
        line = consumed_lines + buf.count("\n", 0, pos)
        return ImportFileError(
            _("The JSON file is malformed at line %(line)s: %(error)s.")
            % {"line": line, "error": message}
        )

    try:
        with open(path, encoding="utf-8-sig") as handle:
            buf, eof = "", False

            def more() -> bool:
                nonlocal buf, eof
                if eof:
                    return False
                chunk = handle.read(CHUNK)
                if not chunk:
                    eof = True
                    return False
                buf += chunk
                return True

            def skip_ws(pos: int) -> int:
                while True:
                    while pos < len(buf) and buf[pos] in " \t\r\n":
                        pos += 1
                    if pos < len(buf) or not more():
                        return pos

            pos = skip_ws(0)
            if pos >= len(buf) or buf[pos] != "[":
                raise fail(_("expected a list of records starting with '['"), buf, pos)
            pos = skip_ws(pos + 1)
            if pos < len(buf) and buf[pos] == "]":
                return
            while True:
                while True:
                    try:
                        value, end = decoder.raw_decode(buf, pos)
                    except json.JSONDecodeError as exc:
                        # Cut by the chunk's end: read on, but not forever on a broken file.
                        if len(buf) - pos < MAX_RECORD and more():
                            continue
                        raise fail(exc.msg, buf, exc.pos) from None
                    except RecursionError:
                        raise fail(_("a record is nested too deeply"), buf, pos) from None
                    # A number or literal cut at the chunk's end decodes too early.
                    if end >= len(buf) and more():
                        continue
                    break
                yield value
                pos = skip_ws(end)
                if pos >= len(buf):
                    raise fail(_("the list is not closed with ']'"), buf, pos)
                if buf[pos] == "]":
                    if skip_ws(pos + 1) < len(buf):
                        raise fail(_("unexpected data after the list"), buf, pos + 1)
                    return
                if buf[pos] != ",":
                    raise fail(_("expected ',' or ']' between records"), buf, pos)
                pos = skip_ws(pos + 1)
                # Drop what was decoded so the buffer never holds more than a chunk or two.
                consumed_lines += buf.count("\n", 0, pos)
                buf, pos = buf[pos:], 0
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("A JSON file must be UTF-8: %(error)s.") % {"error": exc.reason}
        ) from None
