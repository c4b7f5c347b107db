"""Distance filtering for the API: a latitude/longitude box, then the haversine distance.

The box uses the indexed (latitude, longitude) columns; the distance is computed by the
database with functions both SQLite (registered by Django) and PostgreSQL provide.
"""

from __future__ import annotations

import math

from django.db.models import F, FloatField, QuerySet
from django.db.models.functions import ASin, Cast, Cos, Power, Radians, Sin, Sqrt

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.2


def bounding_box(latitude: float, longitude: float, radius_km: float):
    """(min_lat, min_lon, max_lat, max_lon) containing the circle (generously)."""
    dlat = radius_km / KM_PER_DEGREE * 1.01
    cos_lat = max(math.cos(math.radians(latitude)), 0.01)
    dlon = min(radius_km / (KM_PER_DEGREE * cos_lat) * 1.01, 360)
    return (latitude - dlat, longitude - dlon, latitude + dlat, longitude + dlon)


def places_near(
    queryset: QuerySet, latitude: float, longitude: float, radius_km: float, *, prefix: str = ""
) -> QuerySet:
    """Rows within `radius_km` of the point, annotated with `distance_km`.

    `prefix` reaches the coordinates through a relation (e.g. "place__" for offers).
    """
    min_lat, min_lon, max_lat, max_lon = bounding_box(latitude, longitude, radius_km)
    lat_f, lon_f = f"{prefix}latitude", f"{prefix}longitude"
    queryset = queryset.filter(
        **{
            f"{lat_f}__gte": min_lat,
            f"{lat_f}__lte": max_lat,
            f"{lon_f}__gte": min_lon,
            f"{lon_f}__lte": max_lon,
        }
    )
    lat = Radians(Cast(F(lat_f), FloatField()))
    lon = Radians(Cast(F(lon_f), FloatField()))
    lat0, lon0 = math.radians(latitude), math.radians(longitude)
    a = Power(Sin((lat - lat0) / 2), 2) + math.cos(lat0) * Cos(lat) * Power(
        Sin((lon - lon0) / 2), 2
    )
    distance = 2 * EARTH_RADIUS_KM * ASin(Sqrt(a))
    return queryset.annotate(distance_km=distance).filter(distance_km__lte=radius_km)


def in_bbox(
    queryset: QuerySet, min_lon: float, min_lat: float, max_lon: float, max_lat: float, *, prefix=""
) -> QuerySet:
    return queryset.filter(
        **{
            f"{prefix}latitude__gte": min_lat,
            f"{prefix}latitude__lte": max_lat,
            f"{prefix}longitude__gte": min_lon,
            f"{prefix}longitude__lte": max_lon,
        }
    )
