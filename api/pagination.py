"""Keyset (cursor) pagination: stable under concurrent edits, constant cost per page.

The cursor is the ordering key of the last row seen, e.g. (updated_at, id). The next page
is "rows whose key is greater", so an insert or an edit never shifts a page boundary: a
row edited during a sync gets a new, larger `updated_at`, moves to the end and is seen
again later — it is never skipped, and no row appears twice on the way to it.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterator
from urllib.parse import urlencode

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from api.errors import ApiError

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# Rows per query when a whole result is streamed (CSV).
STREAM_BATCH = 500


def page_size_of(request) -> int:
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(
            400,
            "invalid_parameter",
            _("page_size must be a whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE},
            fields={"page_size": [_("Expected 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}]},
        )
    return size


def _encode(values: list, reverse: bool) -> str:
    plain = [v.isoformat() if isinstance(v, datetime.datetime) else v for v in values]
    raw = json.dumps({"k": plain, "r": reverse}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor():
    return ApiError(
        400,
        "invalid_cursor",
        _("This cursor is not valid: follow the `next` and `previous` links as they are."),
        fields={"cursor": [_("Invalid cursor.")]},
    )


def _decode(cursor: str, kinds: list[str]) -> tuple[list, bool]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values, reverse = data["k"], bool(data["r"])
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        out = []
        for value, kind in zip(values, kinds, strict=True):
            if kind == "datetime":
                parsed = parse_datetime(value) if isinstance(value, str) else None
                if parsed is None:
                    raise ValueError
                out.append(parsed)
            elif kind == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError
                out.append(float(value))
            elif kind == "int":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError
                out.append(value)
            else:
                if not isinstance(value, str):
                    raise ValueError
                out.append(value)
        return out, reverse
    except (ValueError, TypeError, KeyError, json.JSONDecodeError, UnicodeDecodeError):
        raise _bad_cursor() from None
    except Exception:  # binascii.Error and friends
        raise _bad_cursor() from None


def _after(fields: list[str], values: list, reverse: bool) -> Q:
    """Rows strictly after `values` in the order of `fields` (before it when reverse)."""
    op = "lt" if reverse else "gt"
    condition = Q()
    for index, field in enumerate(fields):
        step = Q(**{f"{field}__{op}": values[index]})
        for previous, value in zip(fields[:index], values[:index], strict=True):
            step &= Q(**{previous: value})
        condition |= step
    return condition


class KeysetPage:
    def __init__(self, rows: list, next_url: str | None, previous_url: str | None):
        self.rows = rows
        self.next = next_url
        self.previous = previous_url


def paginate(request, queryset, ordering: list[tuple[str, str]]) -> KeysetPage:
    """One page of `queryset` ordered by `ordering` = [(field, kind)], the last unique."""
    fields = [f for f, _kind in ordering]
    kinds = [k for _f, k in ordering]
    size = page_size_of(request)
    cursor = request.query_params.get("cursor")
    reverse = False
    if cursor:
        values, reverse = _decode(cursor, kinds)
        queryset = queryset.filter(_after(fields, values, reverse))
    order = [f"-{f}" if reverse else f for f in fields]
    rows = list(queryset.order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if reverse:
        rows.reverse()

    def key(row):
        return [getattr(row, f) for f in fields]

    def link(values, rev) -> str:
        params = request.query_params.copy()
        params["cursor"] = _encode(values, rev)
        return request.build_absolute_uri(request.path) + "?" + urlencode(params, doseq=True)

    next_url = previous_url = None
    if rows and not reverse:
        next_url = link(key(rows[-1]), False) if more else None
        previous_url = link(key(rows[0]), True) if cursor else None
    elif rows:
        next_url = link(key(rows[-1]), False)
        previous_url = link(key(rows[0]), True) if more else None
    return KeysetPage(rows, next_url, previous_url)


def keyset_batches(
    queryset, ordering: list[tuple[str, str]], size: int | None = None
) -> Iterator[list]:
    """The whole of `queryset` in `ordering` (as for paginate), STREAM_BATCH rows per query,
    each batch starting after the last row of the one before: memory stays flat whatever
    the result's size, and each query is a keyset range read like a page's. The places'
    and the offers' CSV stream through it."""
    size = size or STREAM_BATCH
    fields = [f for f, _kind in ordering]
    after = None
    while True:
        batch_qs = queryset if after is None else queryset.filter(_after(fields, after, False))
        batch = list(batch_qs.order_by(*fields)[:size])
        if batch:
            yield batch
        if len(batch) < size:
            return
        after = [getattr(batch[-1], f) for f in fields]
