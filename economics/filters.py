"""Query parameters of the "spaces to share" listing, shared by the directory and the API."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from economics.models import Space

DEFAULT_RADIUS_KM = 10.0


def shared_space_query(params) -> tuple[dict, dict[str, list[str]]]:
    """(keyword arguments for selectors.shared_spaces, errors by parameter).

    Parameters: kind (repeatable or comma-separated), capacity (at least), day
    (YYYY-MM-DD) and time (HH:MM) — free then, in local time —, lat and lon (a point) with
    radius_km (default 10).
    """
    errors: dict[str, list[str]] = {}
    kinds = []
    for raw in params.getlist("kind") if hasattr(params, "getlist") else [params.get("kind")]:
        kinds += [k.strip() for k in (raw or "").split(",") if k.strip()]
    unknown = [k for k in kinds if k not in Space.Kind.values]
    if unknown:
        errors["kind"] = [_("Unknown kind: %(k)s.") % {"k": ", ".join(unknown)}]
    query: dict = {"kinds": kinds}
    capacity = (params.get("capacity") or "").strip()
    if capacity:
        if capacity.isdigit():
            query["min_capacity"] = int(capacity)
        else:
            errors["capacity"] = [_("The capacity is a whole number.")]
    day, time = (params.get("day") or "").strip(), (params.get("time") or "").strip()
    if day or time:
        try:
            date_value = datetime.date.fromisoformat(day)
            time_value = datetime.time.fromisoformat(time)
            query["at"] = datetime.datetime.combine(date_value, time_value)
        except ValueError:
            errors["day"] = [_("Give a day (YYYY-MM-DD) and a time (HH:MM) together.")]
    lat, lon = (params.get("lat") or "").strip(), (params.get("lon") or "").strip()
    if lat or lon:
        try:
            point = (float(Decimal(lat)), float(Decimal(lon)))
            if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
                raise ValueError
            query["near"] = point
        except (InvalidOperation, ValueError):
            errors["lat"] = [_("Give a latitude and a longitude in decimal degrees.")]
    # Used with a point; checked without one too, so that no value is silently ignored.
    radius = (params.get("radius_km") or "").strip()
    try:
        radius_km = float(Decimal(radius)) if radius else DEFAULT_RADIUS_KM
        if not 0 < radius_km <= 200:
            raise ValueError
        if "near" in query:
            query["radius_km"] = radius_km
    except (InvalidOperation, ValueError):
        errors["radius_km"] = [_("The radius is a number of km between 0 and 200.")]
    return query, errors
