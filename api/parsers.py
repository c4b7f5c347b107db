"""Request bodies: JSON only, with a size limit checked before anything is parsed, a depth
limit, and no control characters (NUL...) in any string, key or value."""

from __future__ import annotations

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.parsers import JSONParser

from api.errors import CONTROL, ApiError, control_characters_error

DEFAULT_MAX_BODY = 1024 * 1024  # 1 MB: far above any real record, far below abuse
MAX_DEPTH = 32  # our deepest body (a schedule's rules) is 4 levels deep


def max_body() -> int:
    return getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY)


def too_large() -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        _("The request body is larger than %(n)s bytes.") % {"n": max_body()},
    )


def _path(parent: str, key) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def _refuse_control(path: str) -> ApiError:
    return control_characters_error(path)


def check_body(data) -> None:
    """Refuse a body nested deeper than MAX_DEPTH or holding control characters; walked
    without recursion, so a hostile body cannot exhaust the stack here either."""
    pending = [("", data, 1)]
    while pending:
        path, value, depth = pending.pop()
        if isinstance(value, str):
            if CONTROL.search(value):
                raise _refuse_control(path)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth > MAX_DEPTH:
            raise ApiError(
                400,
                "too_deep",
                _("The JSON body is nested more than %(n)s levels deep.") % {"n": MAX_DEPTH},
            )
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and CONTROL.search(key):
                raise _refuse_control(path)
            pending.append((_path(path, key), item, depth + 1))


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large()
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise ApiError(
                400,
                "too_deep",
                _("The JSON body is nested more than %(n)s levels deep.") % {"n": MAX_DEPTH},
            ) from None
        check_body(data)
        return data
