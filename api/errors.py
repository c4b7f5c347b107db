"""Every API error as JSON: {"error": {"code", "message", "fields": {path: [messages]}}}."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from places.access import AccessDenied

# Codes for the errors DRF raises itself, so clients can switch on them.
_DEFAULT_CODES = {
    exceptions.ParseError: "malformed_json",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


# DRF's own codes, replaced by the names above.
_GENERIC_CODES = {
    "error",
    "invalid",
    "parse_error",
    "not_authenticated",
    "authentication_failed",
    "permission_denied",
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    "unsupported_media_type",
    "throttled",
}


class ApiError(exceptions.APIException):
    """An error with an explicit status, code, message and optional extra members."""

    def __init__(self, status_code: int, code: str, message, *, fields=None, **extra):
        self.status_code = status_code
        self.code = code
        self.fields = fields or {}
        self.extra = extra
        super().__init__(detail=message, code=code)


def _flatten(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail → {"a.b[0].c": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            sub = f"{path}.{key}" if path else str(key)
            if key in ("non_field_errors", "__all__"):
                sub = path or "__all__"
            for k, v in _flatten(value, sub).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(path or "__all__", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                for k, v in _flatten(item, f"{path}[{index}]").items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(path or "__all__", []).append(str(detail))
    return out


def django_validation_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("__all__" if k == "__all__" else k): list(v) for k, v in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


def error_body(code: str, message: str, fields=None, **extra) -> dict:
    error = {"code": code, "message": str(message), "fields": fields or {}}
    error.update(extra)
    return {"error": error}


# C0 controls and DEL, except tab, line feed and carriage return that text may hold.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_characters_error(path: str) -> ApiError:
    message = _("Text may not contain control characters (such as NUL, U+0000).")
    return ApiError(400, "control_characters", message, fields={path or "__all__": [message]})


def refuse_control_characters(request) -> None:
    """400 `control_characters` for a query parameter (name or value) holding one: the same
    answer as for a body, whichever parameter it is."""
    for name, values in request.query_params.lists():
        if CONTROL.search(name) or any(CONTROL.search(value) for value in values):
            raise control_characters_error(name)


def refuse_unknown_parameters(request, accepted) -> None:
    """400 naming the query parameters that are not understood, and those that are: a
    misspelt filter must not silently answer everything."""
    refuse_control_characters(request)
    unknown = sorted(set(request.query_params) - set(accepted))
    if unknown:
        message = _("Unknown query parameter(s): %(unknown)s. Accepted: %(accepted)s.") % {
            "unknown": ", ".join(unknown),
            "accepted": ", ".join(sorted(accepted)),
        }
        raise ApiError(
            400,
            "unknown_parameter",
            message,
            fields={name: [_("Unknown parameter.")] for name in unknown},
            accepted=sorted(accepted),
        )


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        fields = django_validation_fields(exc)
        code = getattr(exc, "code", None) or "invalid"
        message = _("The request was refused: see the fields.")
        if list(fields) == ["__all__"] and len(fields["__all__"]) == 1:
            message = fields["__all__"][0]
        return Response(error_body(code, message, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("body_too_large", _("The request body is too large.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, AccessDenied):  # places.access: keep its message and code
        exc = ApiError(403, exc.code, exc.message)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        response.data = error_body(exc.code, exc.detail, exc.fields, **exc.extra)
        return response
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = error_body("invalid", _("The request was refused: see the fields."), fields)
        return response
    default = next((c for k, c in _DEFAULT_CODES.items() if isinstance(exc, k)), "error")
    codes = exc.get_codes() if hasattr(exc, "get_codes") else None
    code = codes if isinstance(codes, str) and codes not in _GENERIC_CODES else default
    message = exc.detail if isinstance(exc.detail, str) else _("The request was refused.")
    extra = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after"] = int(exc.wait)
    response.data = error_body(code, message, None, **extra)
    return response
