"""GET /api/v1/places/<id>/calendar/: a place's materialised calendar, as JSON or iCalendar.

The rows come from scheduling.selectors.place_calendar and the .ics from
scheduling.ical.calendar_ics: the same file as the place page's agenda.ics.
"""

from __future__ import annotations

import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from api import filters as api_filters
from api import schema
from api import serializers as api_serializers
from api.errors import ApiError
from api.renderers import ICalendarRenderer
from places.timezones import place_zone
from scheduling.ical import calendar_ics
from scheduling.rules import DAY
from scheduling.selectors import place_calendar, window_bounds

CALENDAR_DEFAULT_DAYS = 7


# No docstring: the schema would take it as the description of every places operation.
class PlaceCalendar:  # the `calendar` action of the places' viewset (api/views/places.py)
    @schema.PLACE_CALENDAR
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
        place_tz = place_zone(place)  # intervals read in the place's own clock
        self.last_modified = None
        if request.accepted_renderer.format == "ics":
            # The place's one .ics; `from` and `to`, when given, narrow it to their local days.
            days = None
            if raw_from or raw_to:
                last = (end - datetime.timedelta(microseconds=1)).astimezone(place_tz).date()
                days = (start.astimezone(place_tz).date(), last + DAY)
            return Response(
                calendar_ics(place, days=days), content_type="text/calendar; charset=utf-8"
            )
        calendar = place_calendar(place, start, end)

        def interval(row):
            return {
                "start": api_serializers.iso(row.start, place_tz),
                "end": api_serializers.iso(row.end, place_tz),
                "kind": row.kind,
                "comment": row.comment,
            }

        return Response(
            {
                "place": str(place.public_id),
                "timezone": place.zone_name,
                "from": api_serializers.iso(start),
                "to": api_serializers.iso(end),
                "window": window,
                "intervals": [interval(row) for row in calendar.intervals],
                "offers": [
                    {
                        "id": entry.offer.pk,
                        "service_kind": entry.offer.kind.slug,
                        "service_kind_name": entry.offer.kind.name,
                        "provider": entry.offer.provider.slug,
                        "intervals": [interval(row) for row in entry.intervals],
                    }
                    for entry in calendar.offers
                ],
            }
        )
