"""Request bodies: JSON only, with a size limit checked before anything is parsed."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.parsers import JSONParser

from api.errors import ApiError

DEFAULT_MAX_BODY = 1024 * 1024  # 1 MB: far above any real record, far below abuse


def max_body() -> int:
    return getattr(settings, "API_MAX_BODY_BYTES", DEFAULT_MAX_BODY)


def too_large() -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        _("The request body is larger than %(n)s bytes.") % {"n": max_body()},
    )


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large()
        import io

        return super().parse(io.BytesIO(raw), media_type, parser_context)
