"""Framing policy: only the embeddable directory (/embed/...) may be shown in an iframe."""

from __future__ import annotations

from functools import wraps


def embeddable(view):
    """Let a view's pages be framed by the sites of EMBED_FRAME_ANCESTORS.

    Drops X-Frame-Options (XFrameOptionsMiddleware honours `xframe_options_exempt`); the
    Content-Security-Policy middleware (config/csp.py) reads the same mark and states the
    allowed framing sites with frame-ancestors, which browsers prefer.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.xframe_options_exempt = True
        return response

    return wrapper
