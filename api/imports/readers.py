"""Streaming readers: each yields one source row at a time, so memory stays bounded.

A reader raises ImportFileError (with a position) when the file itself cannot be read;
a row that reads but makes no sense is the normaliser's business, not the reader's.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CHUNK = 64 * 1024
MAX_RECORD = 16 * 1024 * 1024  # one JSON record larger than this is refused


class ImportFileError(Exception):
    """The file cannot be imported at all (format, encoding, header): nothing is stored."""


# A multi-byte UTF-8 sequence: French text in Windows-1252 or Latin-1 practically never
# holds one, so a file that has some and also fails to decode as UTF-8 mixes encodings.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
UTF8_NAMES = {"utf-8", "utf-8-sig"}


def detect_encoding(path: Path, declared: str | None = None) -> tuple[str, str | None]:
    """The encoding to read `path` with, and a note when it was guessed.

    Checks the whole file in chunks (bounded memory) rather than a prefix: a Latin-1
    accent on line 90,000 would otherwise break the import after thousands of writes.
    A file that is UTF-8 in places and not in others (rows pasted from another file)
    is read as UTF-8: the rows that are not are rejected one by one (iter_csv).
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
    has_utf8 = False
    offset = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            has_utf8 = has_utf8 or bool(_UTF8_SEQUENCE.search(chunk))
            for name, decoder in decoders.items():
                if name in failed:
                    continue
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    failed[name] = offset + exc.start
            offset += len(chunk)
            if len(failed) == len(candidates) and has_utf8:
                break
        for name, decoder in decoders.items():
            if name not in failed:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    failed[name] = offset
    utf8 = next((n for n in candidates if codecs.lookup(n).name in UTF8_NAMES), None)
    if utf8 in failed and has_utf8:
        return utf8, _(
            "The file is UTF-8 but some of its bytes are not (byte %(byte)s first): it "
            "mixes encodings, and the rows holding them are rejected."
        ) % {"byte": failed[utf8]}
    for name in candidates:
        if name not in failed:
            if declared or name == "utf-8-sig":
                return name, None
            return name, _(
                "The file is not UTF-8: read as %(enc)s (byte %(byte)s is not UTF-8). "
                "Give --encoding if accents look wrong."
            ) % {"enc": name, "byte": failed["utf-8-sig"]}
    hint = (
        _(" It is probably Windows-1252 or Latin-1: choose that encoding.")
        if utf8 and "cp1252" not in candidates
        else ""
    )
    raise ImportFileError(
        _("The file cannot be read as %(enc)s: invalid byte at position %(byte)s.")
        % {"enc": declared, "byte": failed[declared]}
        + hint
    )


def read_csv_header(path: Path, *, encoding: str, delimiter: str) -> list[str]:
    """The column names of a CSV file (a byte-order mark is ignored)."""
    lines = _LineSource(_decoded_lines(path, encoding))
    try:
        header = next(csv.reader(lines, delimiter=delimiter, strict=True), None)
    except csv.Error as exc:
        raise ImportFileError(
            _("The CSV header cannot be read: %(error)s.") % {"error": exc}
        ) from None
    if not header or not any(h.strip() for h in header):
        raise ImportFileError(_("The file is empty: no header row."))
    if _BAD_BYTES.search("".join(header)):
        raise ImportFileError(
            _("The CSV header cannot be read as %(enc)s: give the file's encoding.")
            % {"enc": encoding}
        )
    return [h.strip().lstrip("\ufeff") for h in header]


@dataclass
class DamagedRow:
    """A row the reader cannot read as a whole: it is rejected alone, with its line.

    Readers yield it in place of the row so that the clean rows around it are imported;
    formats.open_source turns it into the row's rejection.
    """

    line: int
    code: str
    message: str
    field: str = ""


class Row(dict):
    """One source row as {column: value}, remembering the line of the file it starts on."""

    __slots__ = ("line",)

    def __init__(self, values, line: int):
        super().__init__(values)
        self.line = line


# C0 controls other than tab, line feed and carriage return, DEL, and C1 controls: no
# open-data text holds them, PostgreSQL refuses NUL in text, and C1 controls are what a
# Windows-1252 file read as Latin-1 turns its quotes and dashes into.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bytes that do not decode are kept as lone surrogates (errors="surrogateescape") so
# that the row holding them is refused and the others are read.
_BAD_BYTES = re.compile(r"[\udc80-\udcff]")
# Unicode's own lone surrogates (JSON can escape them): no database stores them either.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _decoded_lines(path: Path, encoding: str) -> Iterator[str]:
    """The file's physical lines, each decoded on its own (a bad byte spoils one line)."""
    codec = codecs.lookup(encoding).name
    if codec == "utf-8-sig":
        codec = "utf-8"
    if "\n".encode(codec) != b"\n" or ',;\t"'.encode(codec) != b',;\t"':
        raise ImportFileError(
            _("The encoding %(enc)r is not supported: use utf-8, cp1252 or latin-1.")
            % {"enc": encoding}
        )
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle):
            if number == 0 and raw.startswith(codecs.BOM_UTF8) and codec == "utf-8":
                raw = raw[len(codecs.BOM_UTF8) :]
            yield raw.decode(codec, errors="surrogateescape")


class _LineSource:
    """Feeds lines to csv.reader, counts them, and can feed some of them again.

    After a damaged row that ran over several lines (a quote opened and never closed
    swallows the lines after it), only its first line is rejected and the others are
    read again as rows of their own.
    """

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self._again: deque[str] = deque()
        self.number = 0  # lines handed out so far
        self.taken: list[str] = []  # the lines of the row being read
        self.ended = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self._again:
            line = self._again.popleft()
        else:
            try:
                line = next(self._lines)
            except StopIteration:
                self.ended = True
                raise
        self.number += 1
        self.taken.append(line)
        return line

    def start_row(self) -> int:
        self.taken = []
        return self.number + 1

    def read_again(self, lines: list[str]) -> None:
        self._again.extendleft(reversed(lines))
        self.number -= len(lines)
        if lines:
            self.ended = False


def _shown(text: str, limit: int = 60) -> str:
    """The start of a damaged line, its invisible characters made visible."""
    text = text.rstrip("\r\n")
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return repr(cut.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))


def _bad_bytes(text: str) -> str:
    return " ".join(f"0x{ord(c) - 0xDC00:02X}" for c in _BAD_BYTES.findall(text)[:4])


def _cell_problem(header: list[str], cells: list[str], encoding: str) -> tuple[str, str, str]:
    """(code, column, reason) for the first unreadable cell of a well-shaped row, or ""s."""
    for column, cell in zip(header, cells, strict=False):
        if _BAD_BYTES.search(cell):
            raw = cell.encode("utf-8", "surrogateescape")
            guess = raw.decode("cp1252", "replace")
            return (
                "encoding",
                column,
                _(
                    "%(column)s: bytes %(bytes)s are not %(enc)s (the file mixes encodings; "
                    "in Windows-1252 the value would read %(guess)r)"
                )
                % {
                    "column": column,
                    "bytes": _bad_bytes(cell),
                    "enc": "UTF-8" if encoding.startswith("utf") else encoding,
                    "guess": " ".join(guess.split())[:80],
                },
            )
        if found := _CONTROL.search(cell) or _SURROGATE.search(cell):
            return ("control_character", column, _control_reason(column, found.group()))
    return ("", "", "")


def _control_reason(column: str, char: str) -> str:
    code = ord(char)
    name = {0: "NUL", 0x7F: "DEL"}.get(code, "")
    return _("%(column)s: holds the control character U+%(code)04X%(name)s") % {
        "column": column,
        "code": code,
        "name": f" ({name})" if name else "",
    }


def iter_csv(
    path: Path, *, encoding: str = "utf-8-sig", delimiter: str = ","
) -> Iterator[Row | DamagedRow]:
    """Rows of a CSV file as {column: value}; quoted fields may hold line breaks.

    A row that cannot be read (cut short, a quote not closed, too many or too few
    values, bytes in another encoding, control characters) comes as a DamagedRow with
    its line and reason, and reading goes on with the next line. A file with a header
    and no row raises ImportFileError.
    """
    header = read_csv_header(path, encoding=encoding, delimiter=delimiter)
    width = len(header)
    lines = _LineSource(_decoded_lines(path, encoding))
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    next(reader)
    rows = 0
    while True:
        line = lines.start_row()
        error = None
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            cells, error = [], exc
        taken = lines.taken
        if error is None and not any(c.strip() for c in cells):
            continue  # a blank line
        rows += 1
        if error is None and len(cells) == width:
            code, column, reason = _cell_problem(header, cells, encoding)
            if not code:
                yield Row(zip(header, cells, strict=True), line)
                continue
            yield DamagedRow(line, code, _("%(reason)s: row rejected") % {"reason": reason}, column)
            continue
        if len(taken) > 1:
            # A quote opened on this line ran over the next ones: refuse this line only.
            lines.read_again(taken[1:])
            code = "unclosed_quote"
            reason = _("a quote opened on this line is not closed where it should be")
        elif error is not None and lines.ended and "end of data" in str(error):
            code = "truncated"
            reason = _(
                "the file ends inside a quoted value: this row is cut short (is the file complete?)"
            )
        elif error is not None:
            code = "bad_quote"
            reason = _("a quote is out of place (%(error)s)") % {"error": error}
        elif len(cells) < width and not taken[-1].endswith("\n"):
            # Only the file's last line lacks a line break.
            code = "truncated"
            reason = _(
                "the file ends in the middle of this row: %(count)s of %(width)s values "
                "(is the file complete?)"
            ) % {"count": len(cells), "width": width}
        else:
            code = "too_few_values" if len(cells) < width else "too_many_values"
            reason = _("%(count)s values for %(width)s columns") % {
                "count": len(cells),
                "width": width,
            }
        yield DamagedRow(
            line,
            code,
            _("%(reason)s: row rejected (it starts %(start)s)")
            % {"reason": reason, "start": _shown(taken[0] if taken else "")},
        )
    if not rows:
        raise ImportFileError(_("The file has a header row and no data row: nothing to import."))


def _json_strings(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(key path, text) for every key and string inside a decoded JSON value."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield where, str(key)
            yield from _json_strings(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(item, f"{where}[{index}]")


def _json_problem(value: Any) -> tuple[str, str]:
    """(key path, reason) for the first string holding a control character, or ""s."""
    for where, text in _json_strings(value):
        if found := _CONTROL.search(text) or _SURROGATE.search(text):
            return where, _control_reason(where or _("the record"), found.group())
    return "", ""


JSON_KINDS = {
    "{": gettext_lazy("an object"),
    '"': gettext_lazy("a string"),
    "t": "true",
    "f": "false",
    "n": "null",
}


def _utf8_error_line(path: Path) -> tuple[int, str]:
    """The first line of `path` that is not UTF-8, and its bad bytes."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            text = raw.decode("utf-8", "surrogateescape")
            if _BAD_BYTES.search(text):
                return number, _bad_bytes(text)
    return 0, ""


def iter_json_array(path: Path) -> Iterator[Any]:
    """Elements of a top-level JSON array, decoded one at a time from 64 KB chunks.

    json.load would hold the whole document and every decoded object at once; here only
    the current chunk and the current element are in memory. An object comes as a Row
    (its line known); one whose strings hold control characters comes as a DamagedRow.
    Anything wrong with the document itself (cut short, not a list, not UTF-8) raises
    ImportFileError with the line.
    """
    decoder = json.JSONDecoder()
    consumed_lines = 1  # line number of buf[0], for error messages
    records = 0

    def line_at(buf: str, pos: int) -> int:
        return consumed_lines + buf.count("\n", 0, pos)

    def fail(message: str, buf: str, pos: int) -> ImportFileError:
        return ImportFileError(
            _("The JSON file is malformed at line %(line)s: %(error)s.")
            % {"line": line_at(buf, pos), "error": message}
        )

    def cut_short(buf: str, pos: int) -> ImportFileError:
        return ImportFileError(
            _(
                "The JSON file ends in the middle of record %(record)s, which starts at line "
                "%(line)s: the file is cut short (is it complete?)."
            )
            % {"record": records + 1, "line": line_at(buf, pos)}
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
            if pos >= len(buf):
                raise ImportFileError(_("The file is empty: nothing to import."))
            if buf[pos] != "[":
                kind = JSON_KINDS.get(buf[pos], "")
                if not kind and buf[pos] in "-0123456789":
                    kind = _("a number")
                if kind:
                    raise fail(
                        _("the file holds %(kind)s, not a list of records (it must start with '[')")
                        % {"kind": kind},
                        buf,
                        pos,
                    )
                raise fail(_("expected a list of records starting with '['"), buf, pos)
            pos = skip_ws(pos + 1)
            if pos < len(buf) and buf[pos] == "]":
                raise ImportFileError(_("The file holds an empty list: nothing to import."))
            while True:
                if pos >= len(buf):
                    raise cut_short(buf, pos)
                while True:
                    try:
                        value, end = decoder.raw_decode(buf, pos)
                    except json.JSONDecodeError as exc:
                        # Cut by the chunk's end: read on, but not forever on a broken file.
                        if len(buf) - pos < MAX_RECORD and more():
                            continue
                        if eof and (
                            exc.msg.startswith("Unterminated string")
                            or exc.pos >= len(buf.rstrip())
                        ):
                            raise cut_short(buf, pos) from None
                        raise fail(exc.msg, buf, exc.pos) from None
                    except RecursionError:
                        raise fail(_("a record is nested too deeply"), buf, pos) from None
                    # A number or literal cut at the chunk's end decodes too early.
                    if end >= len(buf) and more():
                        continue
                    break
                line = line_at(buf, pos)
                records += 1
                where, reason = _json_problem(value)
                if reason:
                    yield DamagedRow(
                        line,
                        "control_character",
                        _("%(reason)s: row rejected") % {"reason": reason},
                        where,
                    )
                else:
                    yield Row(value, line) if isinstance(value, dict) else value
                pos = skip_ws(end)
                if pos >= len(buf):
                    raise fail(
                        _("the list is not closed with ']' (is the file complete?)"), buf, pos
                    )
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
        line, found = _utf8_error_line(path)
        raise ImportFileError(
            _("A JSON file must be UTF-8: line %(line)s holds bytes %(bytes)s (%(error)s).")
            % {"line": line, "bytes": found, "error": exc.reason}
        ) from None
