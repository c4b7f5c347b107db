"""GET /api/v1/places/<id>/calendar/: a place's materialised calendar, as JSON or iCalendar."""

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
from places.models import Place
from places.timezones import place_zone
from scheduling.models import OpeningInterval
from scheduling.selectors import window_bounds

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
