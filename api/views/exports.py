"""GET /api/v1/exports/<format>/: the open-data exports, streamed.

Published places are public (the residents' site shows them), so the exports need no
token. The response is streamed chunk by chunk from api.exports; nothing is buffered.
"""

from __future__ import annotations

from django.http import Http404, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from api.exports import FORMATS, export


@require_GET
def export_download(request, fmt: str):
    spec = FORMATS.get(fmt)
    if spec is None:
        raise Http404(_("Unknown export format."))
    response = StreamingHttpResponse(
        export(fmt, base_url=request.build_absolute_uri("/").rstrip("/")),
        content_type=spec.content_type,
    )
    response["Content-Disposition"] = f'inline; filename="lieux-partages-{fmt}.{spec.extension}"'
    response["Cache-Control"] = "public, max-age=300"
    return response
