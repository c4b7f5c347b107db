"""The partner REST API (/api/v1/). See docs/api.md.

Reads are public (published data only) and rate-limited per IP; partner tokens get a
higher limit and, with the matching scope, write through the same actions as the staff
pages (validated, recorded in the history with source "api:<token prefix>", calendar
rebuilt). Views parse, call one action and render; they never save anything themselves.
"""

from __future__ import annotations

import datetime
import hashlib

from django.db.models import F, Prefetch, Q
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers as drf_serializers
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api import filters as api_filters
from api import serializers as api_serializers
from api.actions import agreement_allows
from api.auth import ANYONE, token_of
from api.errors import ApiError, refuse_unknown_parameters
from api.idempotency import run_idempotent
from api.models import PartnerToken
from api.openapi import DATE_TIME
from api.pagination import MAX_PAGE_SIZE, paginate
from api.parsers import max_body, too_large
from api.renderers import CSVRenderer, GeoJSONRenderer, ICalendarRenderer, csv_rows
from places import actions as place_actions
from places import ratelimits
from places.access import access_place
from places.models import Network, Place, Suggestion
from places.selectors import place_list
from places.timezones import place_zone
from scheduling import actions as schedule_actions
from scheduling import status as place_status
from scheduling.models import OpeningInterval
from scheduling.selectors import window_bounds
from scheduling.status import statuses_for
from services import actions as offer_actions
from services.models import Provider, ServiceKind, ServiceOffer

CSV_BATCH = 500
CALENDAR_DEFAULT_DAYS = 7
LIST_PARAMETERS = ("cursor", "page_size", "format")

PAGE_PARAMETERS = [
    OpenApiParameter(
        "cursor",
        OpenApiTypes.STR,
        description="Opaque position: follow the `next` / `previous` links as they are.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description=f"Rows per page, 1 to {MAX_PAGE_SIZE} (default 100).",
    ),
]
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "geojson", "csv"],
    description="Output format (or use the Accept header). CSV is the whole result, streamed.",
)
ERRORS = {
    400: OpenApiResponse(api_serializers.ErrorSerializer, description="Invalid parameter."),
    429: OpenApiResponse(api_serializers.ErrorSerializer, description="Rate limit reached."),
}
WRITE_ERRORS = {
    400: OpenApiResponse(api_serializers.ErrorSerializer, description="Invalid input."),
    401: OpenApiResponse(api_serializers.ErrorSerializer, description="No or bad token."),
    403: OpenApiResponse(api_serializers.ErrorSerializer, description="Missing scope or right."),
    404: OpenApiResponse(api_serializers.ErrorSerializer, description="Not found."),
    409: OpenApiResponse(
        api_serializers.ErrorSerializer, description="Stale `version` in the body."
    ),
    412: OpenApiResponse(api_serializers.ErrorSerializer, description="Stale If-Match."),
    413: OpenApiResponse(api_serializers.ErrorSerializer, description="Body over 1 MB."),
    422: OpenApiResponse(
        api_serializers.ErrorSerializer, description="Idempotency-Key reused with another body."
    ),
    428: OpenApiResponse(
        api_serializers.ErrorSerializer, description="An update without a version."
    ),
}
IF_MATCH = OpenApiParameter(
    "If-Match",
    {"type": "string", "pattern": r'^\s*(?:W/)?"*[0-9]+(?:"*|-.*)\s*$'},
    OpenApiParameter.HEADER,
    description="The ETag (or version number) of the record you edited.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string: retrying with it never creates twice.",
)


def _list_response(name: str, item):
    return inline_serializer(
        name,
        {
            "results": item(many=True),
            "next": drf_serializers.URLField(allow_null=True),
            "previous": drf_serializers.URLField(allow_null=True),
        },
    )


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


# ------------------------------------------------------------------------------ places


def _place_queryset():
    live = ServiceOffer.objects.exclude(status=ServiceOffer.Status.ENDED).select_related(
        "kind", "provider"
    )
    return (
        place_list(Place.objects.all())
        .select_related("schedule")
        .prefetch_related(Prefetch("offers", queryset=live.order_by("id"), to_attr="live_offers"))
    )


@extend_schema_view(
    list=extend_schema(
        summary="List places",
        description=(
            "Published places, filtered. Ordered by (updated_at, id), or by distance with "
            "`near`. Cursor pagination: follow `next` until it is null. With "
            "`updated_since`, archived places are included so you can delete them."
        ),
        parameters=[*PAGE_PARAMETERS, FORMAT_PARAMETER],
        responses={
            200: _list_response("PlaceList", api_serializers.PlaceSerializer),
            **ERRORS,
        },
        examples=[
            OpenApiExample(
                "Open places near Lyon Part-Dieu offering CAF help",
                value={
                    "results": [
                        {
                            "id": "1f0c8a52-3f5e-4b55-9d0e-0d8f5b7c2a11",
                            "slug": "france-services-lyon-3",
                            "name": "France Services Lyon 3",
                            "status": "published",
                            "typologies": ["france_services"],
                            "latitude": 45.7605,
                            "longitude": 4.8591,
                            "opening_hours": "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
                            "open_now": True,
                            "opening_status": "open",
                            "open_until": "2026-03-02T12:00:00+01:00",
                            "next_opening": None,
                            "url": "https://lieux.example.org/lieux/france-services-lyon-3/",
                            "distance_km": 0.42,
                            "updated_at": "2026-02-27T10:15:00+01:00",
                        }
                    ],
                    "next": "https://lieux.example.org/api/v1/places/?cursor=eyJrIjpb...",
                    "previous": None,
                },
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        summary="One place",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            FORMAT_PARAMETER,
        ],
        responses={200: api_serializers.PlaceSerializer, 304: None, 404: ERRORS[400]},
    ),
)
class PlaceViewSet(ApiViewSet):
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[0-9a-fA-F-]{32,36}"
    serializer_class = api_serializers.PlaceSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = api_filters.PlaceFilter
    renderer_classes = [JSONRenderer, GeoJSONRenderer, CSVRenderer]
    write_scope = PartnerToken.Scope.WRITE_PLACES

    def get_queryset(self):
        return _place_queryset()

    def _readable(self):
        """Published and archived places; a write:places token also sees its drafts."""
        condition = Q(status__in=[Place.Status.PUBLISHED, Place.Status.ARCHIVED])
        token = token_of(self.request)
        if token is not None and token.has_scope(PartnerToken.Scope.WRITE_PLACES):
            condition |= Q(organisation_id=token.organisation_id)
        return self.get_queryset().filter(condition)

    def _ordering(self, ranked=False):
        """Keyset order: most relevant first when `q` matched words, then nearest around
        `near`, else by change date; the id last, for uniqueness."""
        keys = [("relevance", "float")] if ranked else []
        if self.request.query_params.get("near"):
            keys.append(("distance_km", "float"))
        elif not ranked:
            keys.append(("updated_at", "datetime"))
        return [*keys, ("id", "int")]

    def _context(self, places, at=None):
        return {
            "request": self.request,
            "statuses": statuses_for(places, at or place_status.clock()),
        }

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if request.accepted_renderer.format == "csv":
            return self._stream_csv(queryset)
        ranked = "text_rank" in queryset.query.annotations
        if ranked:
            queryset = queryset.annotate(relevance=-F("text_rank"))
        page = paginate(request, queryset, self._ordering(ranked))
        data = api_serializers.PlaceSerializer(
            page.rows, many=True, context=self._context(page.rows)
        ).data
        return Response({"results": data, "next": page.next, "previous": page.previous})

    def _stream_csv(self, queryset):
        """The whole result, by keyset batches: memory stays flat whatever its size."""
        ordering = self._ordering()
        fields = [f for f, _k in ordering]

        def rows():
            after = None
            while True:
                batch_qs = queryset
                if after is not None:
                    batch_qs = batch_qs.filter(
                        Q(**{f"{fields[0]}__gt": after[0]})
                        | Q(**{fields[0]: after[0], "id__gt": after[1]})
                    )
                batch = list(batch_qs.order_by(*fields)[:CSV_BATCH])
                if not batch:
                    return
                context = self._context(batch)
                for item in api_serializers.PlaceSerializer(batch, many=True, context=context).data:
                    item.pop("offers", None)
                    item.pop("profiles", None)
                    yield item
                after = [getattr(batch[-1], f) for f in fields]
                if len(batch) < CSV_BATCH:
                    return

        response = StreamingHttpResponse(csv_rows(rows()), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="places.csv"'
        return response

    def retrieve(self, request, *args, **kwargs):
        place = get_object_or_404(self._readable(), public_id=kwargs["id"])
        self.etag_version = place.version
        self.last_modified = place.updated_at
        return Response(api_serializers.PlaceSerializer(place, context=self._context([place])).data)

    def _render_place(self, place: Place) -> dict:
        place = _place_queryset().get(pk=place.pk)
        return api_serializers.PlaceSerializer(place, context=self._context([place])).data

    def _own_place(self, token: PartnerToken, public_id) -> Place:
        """The place if this token may write it (places.access: 403 `not_your_place`)."""
        return access_place(self.request.user, public_id, write=True)

    @extend_schema(
        summary="Create a place (scope write:places)",
        request=api_serializers.PlaceWriteSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: api_serializers.PlaceSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "A new EPN",
                value={
                    "name": "EPN de la Guillotière",
                    "typologies": ["epn"],
                    "address": "12 rue de Marseille",
                    "postcode": "69007",
                    "commune": "Lyon",
                    "insee_code": "69387",
                    "latitude": 45.7541,
                    "longitude": 4.8427,
                    "profiles": {"mediation": {"access": "walk_in"}},
                },
                request_only=True,
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        return run_idempotent(request, self._create)

    def _create(self):
        token = self._token()
        serializer = self._validated(api_serializers.PlaceWriteSerializer)
        values = serializer.validated_data
        wanted = self.request.data.get("status", Place.Status.DRAFT)
        if wanted not in (Place.Status.DRAFT, Place.Status.PUBLISHED):
            raise ApiError(
                400,
                "invalid",
                _("A new place is a draft or published."),
                fields={"status": [_("Expected draft or published.")]},
            )
        place = place_actions.place_create(
            user=None,
            organisation=token.organisation,
            data=serializer.place_data(),
            typologies=values.get("typologies", []),
            networks=values.get("networks", []),
            profiles=values.get("profiles") or {},
            status=wanted,
            source=token.source,
        )
        data = self._with_warnings(self._render_place(place), serializer)
        response = Response(data, status=status.HTTP_201_CREATED)
        response["Location"] = self.request.build_absolute_uri(f"{place.public_id}/")
        return response

    @extend_schema(
        summary="Change a place (scope write:places)",
        request=api_serializers.PlaceWriteSerializer,
        parameters=[IF_MATCH, OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: api_serializers.PlaceSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        token = self._token()
        place = self._own_place(token, kwargs["id"])
        serializer = self._validated(api_serializers.PlaceWriteSerializer, partial=True)
        values = serializer.validated_data
        expected, how = self._expected_version(values.get("version"))
        try:
            place = place_actions.place_update(
                place=place,
                user=None,
                expected_version=expected,
                data=serializer.place_data(),
                typologies=values.get("typologies"),
                networks=values.get("networks"),
                profiles=values.get("profiles"),
                source=token.source,
            )
        except place_actions.StaleVersion as exc:
            raise self._stale(how, exc.messages[0], self._render_place(exc.current)) from None
        return Response(self._with_warnings(self._render_place(place), serializer))

    @extend_schema(
        summary="Set a place's opening hours (scope write:places)",
        request=api_serializers.ScheduleWriteSerializer,
        parameters=[IF_MATCH, OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: api_serializers.PlaceSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["put"], url_path="schedule")
    def schedule(self, request, *args, **kwargs):
        token = self._token()
        place = self._own_place(token, kwargs["id"])
        serializer = set_schedule(self, token, place=place)
        return Response(self._with_warnings(self._render_place(place), serializer))

    @extend_schema(
        summary="Materialised calendar of a place and of each of its offers",
        description=(
            "Open intervals (and events, closures) between `from` and `to`, as ISO 8601 "
            "date-times with their offset. Both must lie inside the materialised calendar "
            "window (about 120 days ahead), else 400 `outside_calendar_window`. "
            "`?format=ics` returns the same intervals as iCalendar."
        ),
        parameters=[
            OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            OpenApiParameter("from", DATE_TIME, description="Start (default: now)."),
            OpenApiParameter("to", DATE_TIME, description="End (default: 7 days after `from`)."),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "ics"]),
        ],
        responses={
            200: inline_serializer(
                "Calendar",
                {
                    "place": drf_serializers.UUIDField(),
                    "timezone": drf_serializers.CharField(),
                    "from": drf_serializers.DateTimeField(),
                    "to": drf_serializers.DateTimeField(),
                    "window": drf_serializers.DictField(),
                    "intervals": drf_serializers.ListField(child=drf_serializers.DictField()),
                    "offers": drf_serializers.ListField(child=drf_serializers.DictField()),
                },
            ),
            **ERRORS,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="calendar",
        renderer_classes=[JSONRenderer, ICalendarRenderer],
        filter_backends=[],
    )
    def calendar(self, request, *args, **kwargs):
        place = get_object_or_404(self._readable(), public_id=kwargs["id"])
        lo, hi = window_bounds()
        now = timezone.now()
        raw_from, raw_to = request.query_params.get("from"), request.query_params.get("to")
        start = api_filters.parse_instant("from", raw_from) if raw_from else max(now, lo)
        end = (
            api_filters.parse_instant("to", raw_to)
            if raw_to
            else min(start + datetime.timedelta(days=CALENDAR_DEFAULT_DAYS), hi)
        )
        window = {"start": api_serializers.iso(lo), "end": api_serializers.iso(hi)}
        for name, value in (("from", start), ("to", end)):
            if not lo <= value <= hi:
                message = _(
                    "The calendar is materialised from %(lo)s to %(hi)s; %(name)s is outside it."
                ) % {"lo": window["start"], "hi": window["end"], "name": name}
                raise ApiError(
                    400,
                    "outside_calendar_window",
                    message,
                    fields={name: [message]},
                    window=window,
                )
        if end <= start:
            raise api_filters._invalid("to", _("must be after `from`."))
        rows = list(
            OpeningInterval.objects.filter(place=place, start__lt=end, end__gt=start)
            .select_related("offer__kind", "offer__provider")
            .order_by("offer_id", "start", "id")
        )

        place_tz = place_zone(place)  # intervals read in the place's own clock

        def interval(row):
            return {
                "start": api_serializers.iso(row.start, place_tz),
                "end": api_serializers.iso(row.end, place_tz),
                "kind": row.kind,
                "comment": row.comment,
            }

        offers: dict[int, dict] = {}
        general = []
        for row in rows:
            if row.offer_id is None:
                general.append(interval(row))
            else:
                entry = offers.setdefault(
                    row.offer_id,
                    {
                        "id": row.offer_id,
                        "service_kind": row.offer.kind.slug,
                        "service_kind_name": row.offer.kind.name,
                        "provider": row.offer.provider.slug,
                        "intervals": [],
                    },
                )
                entry["intervals"].append(interval(row))
        self.last_modified = None
        if request.accepted_renderer.format == "ics":
            return Response(_ics(place, rows), content_type="text/calendar; charset=utf-8")
        return Response(
            {
                "place": str(place.public_id),
                "timezone": place.zone_name,
                "from": api_serializers.iso(start),
                "to": api_serializers.iso(end),
                "window": window,
                "intervals": general,
                "offers": list(offers.values()),
            }
        )


def _ics(place: Place, rows: list[OpeningInterval]) -> bytes:
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Lieux partagés//api//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", place.name)
    tz = place_zone(place)
    for row in rows:
        event = icalendar.Event()
        what = f"{row.offer.kind.name} — {place.name}" if row.offer_id else place.name
        if row.kind == OpeningInterval.Kind.CLOSED:
            what = _("Closed: %(what)s") % {"what": what}
        event.add("uid", f"interval-{row.pk}@lieux-partages")
        event.add("summary", f"{what}{' — ' + row.comment if row.comment else ''}")
        event.add("dtstart", timezone.localtime(row.start, tz))
        event.add("dtend", timezone.localtime(row.end, tz))
        event.add("dtstamp", timezone.now())
        if row.kind == OpeningInterval.Kind.CLOSED:
            event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


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
    return serializer


# ------------------------------------------------------------------------------ offers


def _offer_queryset():
    return ServiceOffer.objects.filter(
        place__status__in=[Place.Status.PUBLISHED, Place.Status.ARCHIVED]
    ).select_related("place", "kind", "provider", "schedule")


@extend_schema_view(
    list=extend_schema(
        summary="List service offers",
        description="Offers at published places, ordered by (updated_at, id).",
        parameters=[*PAGE_PARAMETERS, FORMAT_PARAMETER],
        responses={200: _list_response("OfferList", api_serializers.OfferSerializer), **ERRORS},
    ),
    retrieve=extend_schema(
        summary="One service offer",
        parameters=[FORMAT_PARAMETER],
        responses={200: api_serializers.OfferSerializer, 304: None, 404: ERRORS[400]},
    ),
)
class OfferViewSet(ApiViewSet):
    serializer_class = api_serializers.OfferSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = api_filters.OfferFilter
    renderer_classes = [JSONRenderer, GeoJSONRenderer, CSVRenderer]
    write_scope = PartnerToken.Scope.WRITE_OFFERS
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return _offer_queryset()

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        ordering = [("updated_at", "datetime"), ("id", "int")]
        if request.accepted_renderer.format == "csv":

            def rows():
                after = None
                while True:
                    batch_qs = queryset
                    if after is not None:
                        batch_qs = batch_qs.filter(
                            Q(updated_at__gt=after[0]) | Q(updated_at=after[0], id__gt=after[1])
                        )
                    batch = list(batch_qs.order_by("updated_at", "id")[:CSV_BATCH])
                    yield from api_serializers.OfferSerializer(batch, many=True).data
                    if len(batch) < CSV_BATCH:
                        return
                    after = (batch[-1].updated_at, batch[-1].id)

            response = StreamingHttpResponse(
                csv_rows(rows()), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = 'attachment; filename="offers.csv"'
            return response
        page = paginate(request, queryset, ordering)
        data = api_serializers.OfferSerializer(page.rows, many=True).data
        return Response({"results": data, "next": page.next, "previous": page.previous})

    def retrieve(self, request, *args, **kwargs):
        offer = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        self.etag_version = offer.version
        self.last_modified = offer.updated_at
        return Response(api_serializers.OfferSerializer(offer).data)

    def _provider_token(self) -> PartnerToken:
        token = self._token()
        if token.provider_id is None:
            raise ApiError(403, "no_provider", _("This token is not attached to a provider."))
        return token

    def _own_offer(self, token: PartnerToken, pk) -> ServiceOffer:
        offer = get_object_or_404(ServiceOffer.objects.select_related("place"), pk=pk)
        if offer.provider_id != token.provider_id:
            raise ApiError(
                403,
                "not_your_offer",
                _("This offer belongs to another provider."),
            )
        return offer

    @staticmethod
    def _render(offer: ServiceOffer) -> dict:
        offer = ServiceOffer.objects.select_related("place", "kind", "provider", "schedule").get(
            pk=offer.pk
        )
        return api_serializers.OfferSerializer(offer).data

    @extend_schema(
        summary="Create an offer of the token's provider (scope write:offers)",
        description=(
            "The place must have accepted the provider: an agreement recorded by the "
            "registry, or a live offer of the provider there already."
        ),
        request=api_serializers.OfferWriteSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: api_serializers.OfferSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "CAF help on appointment",
                value={
                    "place": "1f0c8a52-3f5e-4b55-9d0e-0d8f5b7c2a11",
                    "service_kind": "caf",
                    "level": "full",
                    "audiences": ["all"],
                    "access_modes": ["appointment"],
                    "appointment_url": "https://rdv.example.org/caf",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        return run_idempotent(request, self._create)

    def _create(self):
        token = self._provider_token()
        serializer = self._validated(api_serializers.OfferWriteSerializer)
        values = serializer.validated_data
        for name in ("place", "service_kind"):
            if name not in values:
                raise ApiError(
                    400,
                    "invalid",
                    _("The request was refused: see the fields."),
                    fields={name: [_("This field is required.")]},
                )
        place = Place.objects.filter(public_id=values["place"]).first()
        if place is None:
            raise ApiError(
                400,
                "invalid",
                _("Unknown place."),
                fields={"place": [_("Unknown place.")]},
            )
        kind = ServiceKind.objects.filter(slug=values["service_kind"]).first()
        if kind is None:
            raise ApiError(
                400,
                "invalid",
                _("The request was refused: see the fields."),
                fields={
                    "service_kind": [
                        _("Unknown service kind: %(value)s.") % {"value": values["service_kind"]}
                    ]
                },
            )
        if not _accepted(place, token.provider_id, kind):
            raise ApiError(
                403,
                "place_not_accepted",
                _("This place has not accepted offers from %(provider)s.")
                % {"provider": token.provider},
            )
        offer = offer_actions.offer_create(
            place=place,
            user=None,
            data={**serializer.offer_data(), "provider": token.provider},
            source=token.source,
        )
        response = Response(
            self._with_warnings(self._render(offer), serializer), status=status.HTTP_201_CREATED
        )
        response["Location"] = self.request.build_absolute_uri(f"{offer.pk}/")
        return response

    @extend_schema(
        summary="Change an offer of the token's provider (scope write:offers)",
        request=api_serializers.OfferWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: api_serializers.OfferSerializer, **WRITE_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        token = self._provider_token()
        offer = self._own_offer(token, kwargs["pk"])
        serializer = self._validated(api_serializers.OfferWriteSerializer, partial=True)
        if "place" in serializer.validated_data:
            raise ApiError(
                400,
                "invalid",
                _("An offer cannot move to another place."),
                fields={"place": [_("Create a new offer instead.")]},
            )
        new_kind = serializer.validated_data.get("service_kind")
        if new_kind and new_kind != offer.kind.slug:
            kind = ServiceKind.objects.filter(slug=new_kind).first()
            if kind is not None and not _accepted(offer.place, token.provider_id, kind):
                raise ApiError(
                    403,
                    "place_not_accepted",
                    _("This place has not accepted offers of this kind from %(provider)s.")
                    % {"provider": token.provider},
                )
        expected, how = self._expected_version(serializer.validated_data.get("version"))
        try:
            offer = offer_actions.offer_update(
                offer=offer,
                user=None,
                expected_version=expected,
                data=serializer.offer_data(),
                source=token.source,
            )
        except offer_actions.StaleOffer as exc:
            raise self._stale(how, exc.messages[0], self._render(exc.current)) from None
        return Response(self._with_warnings(self._render(offer), serializer))

    @extend_schema(
        summary="Set an offer's hours (scope write:offers)",
        request=api_serializers.ScheduleWriteSerializer,
        parameters=[IF_MATCH],
        responses={200: api_serializers.OfferSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["put"], url_path="schedule")
    def schedule(self, request, *args, **kwargs):
        token = self._provider_token()
        offer = self._own_offer(token, kwargs["pk"])
        serializer = set_schedule(self, token, offer=offer)
        return Response(self._with_warnings(self._render(offer), serializer))


def _accepted(place: Place, provider_id: int, kind: ServiceKind | None = None) -> bool:
    """Has the place accepted offers of this kind from this provider? (see docs/api.md)

    An agreement, when the pair has one, decides alone (its dates and kinds); without
    one, a live offer of the provider at the place is consent enough, as before.
    """
    allowed = agreement_allows(
        place=place, provider_id=provider_id, kind=kind, day=timezone.localdate()
    )
    if allowed is not None:
        return allowed
    return (
        ServiceOffer.objects.filter(place=place, provider_id=provider_id)
        .exclude(status=ServiceOffer.Status.ENDED)
        .exists()
    )


# ------------------------------------------------------------------- catalogue lists


class _SimpleList(ApiViewSet):
    ordering_field = "slug"
    lookup_field = "slug"
    lookup_url_kwarg = "id"
    filter_backends = [DjangoFilterBackend]

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = paginate(request, queryset, [(self.ordering_field, "str")])
        data = self.get_serializer(page.rows, many=True).data
        return Response({"results": data, "next": page.next, "previous": page.previous})

    def retrieve(self, request, *args, **kwargs):
        item = get_object_or_404(self.get_queryset(), slug=kwargs["id"])
        return Response(self.get_serializer(item).data)


@extend_schema_view(
    list=extend_schema(
        summary="The catalogue of service kinds",
        parameters=PAGE_PARAMETERS,
        responses={
            200: _list_response("ServiceKindList", api_serializers.ServiceKindSerializer),
            **ERRORS,
        },
    ),
    retrieve=extend_schema(summary="One service kind"),
)
class ServiceKindViewSet(_SimpleList):
    serializer_class = api_serializers.ServiceKindSerializer
    filterset_class = api_filters.ServiceKindFilter

    def get_queryset(self):
        return ServiceKind.objects.select_related("category")


@extend_schema_view(
    list=extend_schema(
        summary="Service providers",
        parameters=PAGE_PARAMETERS,
        responses={
            200: _list_response("ProviderList", api_serializers.ProviderSerializer),
            **ERRORS,
        },
    ),
    retrieve=extend_schema(summary="One provider"),
)
class ProviderViewSet(_SimpleList):
    serializer_class = api_serializers.ProviderSerializer
    filterset_class = api_filters.ProviderFilter

    def get_queryset(self):
        return Provider.objects.all()


@extend_schema_view(
    list=extend_schema(
        summary="Networks of places",
        parameters=PAGE_PARAMETERS,
        responses={
            200: _list_response("NetworkList", api_serializers.NetworkSerializer),
            **ERRORS,
        },
    ),
    retrieve=extend_schema(summary="One network"),
)
class NetworkViewSet(_SimpleList):
    serializer_class = api_serializers.NetworkSerializer
    filterset_class = api_filters.NetworkFilter

    def get_queryset(self):
        return Network.objects.all()


# ------------------------------------------------------------------------- suggestions


class SuggestionViewSet(ApiViewSet):
    """Residents' and partners' corrections and new places, moderated by staff."""

    serializer_class = api_serializers.SuggestionWriteSerializer
    write_scope = ANYONE  # no account needed; limited per address instead

    @extend_schema(
        summary="Suggest a correction or a new place (no account needed)",
        request=api_serializers.SuggestionWriteSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: inline_serializer(
                "SuggestionCreated",
                {"id": drf_serializers.IntegerField(), "status": drf_serializers.CharField()},
            ),
            **WRITE_ERRORS,
            429: OpenApiResponse(
                api_serializers.ErrorSerializer,
                description="Too many suggestions from this address (shared with the site's form).",
            ),
        },
        examples=[
            OpenApiExample(
                "A changed phone number",
                value={
                    "kind": "correction",
                    "place": "1f0c8a52-3f5e-4b55-9d0e-0d8f5b7c2a11",
                    "data": {"phone": "04 72 00 00 00"},
                    "message": "The number changed in January.",
                },
                request_only=True,
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        return run_idempotent(request, self._create)

    def _create(self):
        serializer = self._validated(api_serializers.SuggestionWriteSerializer)
        values = serializer.validated_data
        place = None
        if values.get("place"):
            place = Place.objects.filter(
                public_id=values["place"], status=Place.Status.PUBLISHED
            ).first()
            if place is None:
                raise ApiError(
                    400, "invalid", _("Unknown place."), fields={"place": [_("Unknown place.")]}
                )
        ip = ratelimits.client_ip(self.request)
        # The same counter as the directory's suggestion forms: one limit per address.
        if ratelimits.suggestion_over_limit(ip):
            raise Throttled(
                wait=ratelimits.limit_of("suggestion-address")[1],
                detail=_(
                    "Too many suggestions were sent from your connection. Please try again later."
                ),
            )
        suggestion: Suggestion = place_actions.suggestion_submit(
            kind=values["kind"],
            data=values.get("data") or {},
            place=place,
            message=values.get("message", ""),
            email=values.get("email", ""),
            ip=ip,
        )
        data = self._with_warnings({"id": suggestion.pk, "status": suggestion.status}, serializer)
        return Response(data, status=status.HTTP_201_CREATED)
