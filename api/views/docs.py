"""The API documentation pages (Swagger UI, Redoc, from drf-spectacular's sidecar files),
served under the site's Content-Security-Policy (config/csp.py)."""

from __future__ import annotations

from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

from api import schema

# Redoc writes its styles in the page, which 'unsafe-inline' would allow for any text. We
# allow exactly two inline style texts instead, by their SHA-256:
REDOC_INLINE_STYLES = (
    # the empty string: its style library creates empty <style> elements and fills them
    # through the CSSOM (insertRule), which CSP does not govern;
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    # the scroll bar's style sheet (perfect-scrollbar), fixed text inside the bundle.
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
)
# A new drf-spectacular-sidecar may change the second: tests/browser/test_csp.py then fails
# and Chromium's console message gives the new hash.


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI; its start-up script is a second request (`?script`), not inline code."""

    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    """Redoc, with no third-party web font, two known inline style texts, its search index
    built in a worker started from a blob: URL. The one image it asks a third-party server
    for (Redocly's logo) is refused by the policy: no page of ours loads from another
    server; the logo is hidden when it does not load."""

    template_name = "api/redoc.html"

    @schema.NOT_DOCUMENTED
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.csp_override = {
            "style-src": " ".join(("'self'", *REDOC_INLINE_STYLES)),
            "worker-src": "'self' blob:",
            "img-src": "'self' data:",
        }
        return response
