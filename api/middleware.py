"""Errors under /api/ in the API's JSON format, whoever produced them.

DRF views already answer errors as JSON (api/errors.py). This covers the rest: a path that
matches no URL pattern (an id of the wrong shape), a method a plain Django view refuses
(405), and an unhandled exception (500, after Django has logged it).
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def _replacement(status: int) -> tuple[str, str]:
    if status == 404:
        return "not_found", _("Nothing is found at this address.")
    if status == 405:
        return "method_not_allowed", _("This method is not allowed here.")
    if status >= 500:
        return "server_error", _("An unexpected error occurred; it was logged.")
    return "error", _("The request was refused.")


class JsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not request.path.startswith(API_PREFIX)
            or response.status_code < 400
            or response.get("Content-Type", "").startswith("application/json")
            or (settings.DEBUG and response.status_code >= 500)  # keep the debug page
        ):
            return response
        # Imported here: api.errors loads DRF, whose settings import our parser, which
        # imports api.errors; loading it with the middleware would close that circle.
        from api.errors import error_body

        code, message = _replacement(response.status_code)
        replaced = JsonResponse(error_body(code, message), status=response.status_code)
        for header in ("Allow", "Retry-After", "Vary"):
            if response.has_header(header):
                replaced[header] = response[header]
        return replaced
