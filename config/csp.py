"""Content-Security-Policy for every response: scripts, styles and everything else from our
own origin only, map tiles from the tile server, framing refused except for /embed/.

Pages therefore carry no inline `<script>`, `<style>`, `style="..."` or `on...=` handler:
code lives in static/js, styles in static/css, and data reach scripts through `data-`
attributes or `json_script` (see docs/architecture.md, "Content Security Policy").

A view whose page needs more (a third-party page we serve as it is) sets
`response.csp_override = {"directive": "sources"}`: those directives replace ours for that
response only. A response that already carries the header keeps it.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from django.conf import settings

HEADER = "Content-Security-Policy"

BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
}


@functools.lru_cache(maxsize=8)
def tile_source(tile_url: str) -> str:
    """The CSP source that lets the map load its tiles: `MAP_TILE_URL`'s origin.

    A placeholder in the host (`https://{s}.tile.example.org/...`) becomes a wildcard
    label; a relative URL needs nothing beyond 'self'.
    """
    parts = urlsplit(tile_url)
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc
    # Leaflet's {s} (and any other leading placeholder) picks a sub-domain per tile.
    host = re.sub(r"^\{[^}]*\}\.", "*.", host)
    if "{" in host or "}" in host:
        # A placeholder elsewhere in the host cannot be written as a CSP source: allow the
        # scheme, which is still narrower than no img-src at all.
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{host}"


def policy_for(response) -> str:
    """The header value for this response: ours, with the tile server, this page's framing
    rule and the view's overrides."""
    directives = dict(BASE_POLICY)
    tiles = tile_source(settings.MAP_TILE_URL)
    if tiles:
        directives["img-src"] += f" {tiles}"
    # Views marked embeddable (directory.middleware.embeddable) may be framed by the sites
    # of EMBED_FRAME_ANCESTORS; every other page refuses framing.
    if getattr(response, "xframe_options_exempt", False):
        directives["frame-ancestors"] = settings.EMBED_FRAME_ANCESTORS
    else:
        directives["frame-ancestors"] = "'none'"
    directives.update(getattr(response, "csp_override", None) or {})
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header to every response that has none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy_for(response)
        return response
