"""The API's one view style: conditional GETs (ETag, Last-Modified), JSON errors whatever
the format, unknown parameters refused, Vary on the token; and the helpers writes share.
"""

from __future__ import annotations

import datetime
import hashlib

from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from rest_framework import viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api import serializers as api_serializers
from api.auth import token_of
from api.errors import ApiError, refuse_control_characters, refuse_unknown_parameters
from api.models import PartnerToken
from api.parsers import max_body, too_large
from api.renderers import csv_rows
from scheduling import actions as schedule_actions

LIST_PARAMETERS = ("cursor", "page_size", "format")


class ApiViewSet(viewsets.GenericViewSet):
    """Conditional GETs, JSON errors whatever the format, Vary on the token."""

    renderer_classes = [JSONRenderer]
    last_modified: datetime.datetime | None = None

    def initial(self, request, *args, **kwargs):
        # Refuse an oversized body before reading a byte of it.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_body():
            raise too_large()
        super().initial(request, *args, **kwargs)
        refuse_control_characters(request)
        if self.action == "list":
            refuse_unknown_parameters(request, self.accepted_parameters())

    def accepted_parameters(self) -> set[str]:
        """Query parameters a list understands: its filters, pagination and format."""
        filterset = getattr(self, "filterset_class", None)
        return {*(filterset.base_filters if filterset else ()), *LIST_PARAMETERS}

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            request.method in ("GET", "HEAD")
            and response.status_code == 200
            and isinstance(response, Response)
        ):
            response.render()
            digest = hashlib.sha256(response.content).hexdigest()[:20]
            version = getattr(self, "etag_version", None)
            etag = quote_etag(f"{version}-{digest}" if version is not None else digest)
            response["ETag"] = etag
            if self.last_modified is not None:
                response["Last-Modified"] = http_date(self.last_modified.timestamp())
            conditional = get_conditional_response(
                request._request,
                etag=etag,
                last_modified=int(self.last_modified.timestamp()) if self.last_modified else None,
                response=response,
            )
            if conditional is not response and conditional is not None:
                return conditional
        response.headers.setdefault("Vary", "Accept, Authorization")
        return response

    # -- helpers for writes -------------------------------------------------------------

    def _token(self) -> PartnerToken:
        token = token_of(self.request)
        if token is None:  # HasScope already refused anonymous writes
            raise ApiError(401, "not_authenticated", _("A partner token is needed."))
        return token

    def _expected_version(self, body_version) -> tuple[int, str]:
        """(version, how it came): from If-Match (→ 412 if stale) or the body (→ 409)."""
        header = self.request.headers.get("If-Match", "").strip()
        if header:
            value = header.removeprefix("W/").strip('"').split("-", 1)[0]
            if value.isascii() and value.isdigit():
                return int(value), "header"
            raise ApiError(
                400,
                "invalid_if_match",
                _("If-Match must be the ETag of the record or its version number."),
            )
        if body_version is not None:
            return int(body_version), "body"
        raise ApiError(
            428,
            "version_required",
            _("Send the version you edited, in If-Match or as `version` in the body."),
            fields={"version": [_("This field is required.")]},
        )

    def _stale(self, how: str, message: str, current: dict | None) -> ApiError:
        return ApiError(
            412 if how == "header" else 409,
            "stale_version",
            message,
            current=current,
        )

    def _validated(self, serializer_class, partial=False):
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer

    @staticmethod
    def _with_warnings(data: dict, serializer) -> dict:
        if serializer.unknown_fields:
            data = dict(data)
            data["warnings"] = [
                {
                    "code": "unknown_field",
                    "field": name,
                    "message": _("Unknown field “%(f)s” was ignored.") % {"f": name},
                }
                for name in serializer.unknown_fields
            ]
        return data


def set_schedule(view: ApiViewSet, token: PartnerToken, *, place=None, offer=None):
    serializer = view._validated(api_serializers.ScheduleWriteSerializer)
    values = serializer.validated_data
    expected, how = view._expected_version(values.get("version"))
    common = {
        "user": None,
        "place": place if offer is None else None,
        "offer": offer,
        "holiday_zone": values.get("holiday_zone", ""),
        "expected_version": expected,
        "source": token.source,
    }
    try:
        if "osm" in values:
            schedule_actions.schedule_set_osm(text=values["osm"], **common)
        else:
            schedule_actions.schedule_set_rules(
                rules=values["rules"],
                public_holidays=values.get("public_holidays", "closed"),
                holiday_times=values.get("holiday_times", []),
                **common,
            )
    except schedule_actions.StaleSchedule as exc:
        raise view._stale(how, exc.messages[0], {"schedule_version": exc.version}) from None
    except ValidationError as exc:
        # The action names its column; the partner sent the field `osm`.
        if hasattr(exc, "error_dict") and "osm_source" in exc.error_dict:
            exc.error_dict["osm"] = exc.error_dict.pop("osm_source")
        raise
    return serializer


def csv_response(rows, filename: str) -> StreamingHttpResponse:
    """A list's whole result as CSV, streamed row by row (rows: an iterator of dicts)."""
    response = StreamingHttpResponse(csv_rows(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
