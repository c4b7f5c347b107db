"""Framing policy: only the embeddable directory (/embed/...) may be shown in an iframe."""

from __future__ import annotations

from functools import wraps

from django.conf import settings

CSP = "Content-Security-Policy"


def embeddable(view):
    """Let a view's pages be framed by the sites of EMBED_FRAME_ANCESTORS.

    Drops X-Frame-Options (XFrameOptionsMiddleware honours `xframe_options_exempt`) and
    states the allowed framing sites with CSP frame-ancestors, which browsers prefer.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.xframe_options_exempt = True
        response[CSP] = f"frame-ancestors {settings.EMBED_FRAME_ANCESTORS}"
        return response

    return wrapper


class FrameAncestorsMiddleware:
    """Every page not marked embeddable refuses framing, with the CSP header as well as
    X-Frame-Options (set by Django's XFrameOptionsMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(response, "xframe_options_exempt", False) and CSP not in response:
            response[CSP] = "frame-ancestors 'none'"
        return response
