"""GET /api/v1/exports/<format>/: the open-data exports, streamed.

Published places are public (the residents' site shows them), so the exports need no
token. Like every endpoint, they are rate-limited, answer errors as JSON and carry an
ETag, here a digest of what they read (api.exports.source.published_version), known
before the first byte: a client holding it gets 304 without the registry being read.
The response is streamed chunk by chunk from api.exports; nothing is buffered.
"""

from __future__ import annotations

from django.http import Http404, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from django.utils.translation import gettext as _
from rest_framework.negotiation import DefaultContentNegotiation

from api import schema
from api.errors import refuse_unknown_parameters
from api.exports import FORMATS, export
from api.exports.source import published_version
from api.views.base import ApiViewSet


class AnyAccept(DefaultContentNegotiation):
    """An export is one file: its media type is the format's, whatever `Accept` says (as
    before the exports went through DRF); errors are JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportViewSet(ApiViewSet):
    content_negotiation_class = AnyAccept

    def get_serializer(self, *args, **kwargs):
        return None  # an export is written by api.exports, not by a serializer

    @schema.EXPORT
    def retrieve(self, request, fmt: str):
        refuse_unknown_parameters(request, ())
        spec = FORMATS.get(fmt)
        if spec is None:
            raise Http404(_("Unknown export format."))
        base_url = request.build_absolute_uri("/").rstrip("/")
        version = published_version()
        etag = "W/" + quote_etag(f"{fmt}-{version}")
        conditional = get_conditional_response(request._request, etag=etag)
        if conditional is not None:
            response = conditional
        else:
            response = StreamingHttpResponse(
                export(fmt, base_url=base_url), content_type=spec.content_type
            )
            response["Content-Disposition"] = (
                f'inline; filename="lieux-partages-{fmt}.{spec.extension}"'
            )
        response["ETag"] = etag
        response["Cache-Control"] = "public, max-age=300"
        return response
