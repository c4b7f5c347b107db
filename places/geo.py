"""Distances and boxes on the earth, in degrees and kilometres: the one place for them.

`haversine_km` is the exact great-circle distance; `bounding_box` / `in_bounding_box`
narrow a query to the indexed latitude/longitude columns (`place_lat_lon`) around a
circle before anything costlier. SQL distance expressions built on these (the API's
haversine, the directory's equirectangular ordering) live with their callers.
"""

from __future__ import annotations

import math

from django.db.models import QuerySet

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
# One degree of latitude, in km; the longitude degree shrinks with cos(latitude).
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(
    latitude: float, longitude: float, radius_km: float
) -> tuple[float, float, float, float] | tuple[float, float, None, None]:
    """(min_lat, max_lat, min_lon, max_lon) of a box containing the circle.

    The longitude bounds are None when the circle reaches a pole or crosses the 180th
    meridian: the box is then a band of latitude, still correct, only less selective.
    """
    # A hair wider than the circle, so decimal rounding of the bounds loses no point.
    dlat = radius_km / KM_PER_DEGREE + 1e-6
    min_lat, max_lat = latitude - dlat, latitude + dlat
    if min_lat <= -90 or max_lat >= 90:
        return max(min_lat, -90.0), min(max_lat, 90.0), None, None
    # The circle is widest in longitude at the latitude nearest a pole.
    widest = max(abs(min_lat), abs(max_lat))
    dlon = radius_km / (KM_PER_DEGREE * math.cos(math.radians(widest))) + 1e-6
    if longitude - dlon < -180 or longitude + dlon > 180:
        return min_lat, max_lat, None, None
    return min_lat, max_lat, longitude - dlon, longitude + dlon


def in_bounding_box(
    queryset: QuerySet, latitude: float, longitude: float, radius_km: float, *, prefix: str = ""
) -> QuerySet:
    """Rows of `queryset` in the box around a circle (a superset of the circle).

    Filters on the indexed latitude/longitude columns (index `place_lat_lon`), in one
    `filter()`. Apply it before costlier filters (subqueries), so the database tests those
    only in the box. `prefix` reaches the coordinates through a relation ("place__" for
    offers).
    """
    min_lat, max_lat, min_lon, max_lon = bounding_box(
        float(latitude), float(longitude), float(radius_km)
    )
    bounds = {f"{prefix}latitude__gte": min_lat, f"{prefix}latitude__lte": max_lat}
    if min_lon is not None:
        bounds |= {f"{prefix}longitude__gte": min_lon, f"{prefix}longitude__lte": max_lon}
    return queryset.filter(**bounds)
