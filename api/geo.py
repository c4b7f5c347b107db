"""Distance filtering for the API: a latitude/longitude box, then the haversine distance.

The box is `places.geo.in_bounding_box` on the indexed (latitude, longitude) columns; the
distance is computed by the database with functions both SQLite (registered by Django) and
PostgreSQL provide, so counting and paging stay in SQL.
"""

from __future__ import annotations

import math

from django.db.models import F, FloatField, QuerySet
from django.db.models.functions import ASin, Cast, Cos, Power, Radians, Sin, Sqrt

from places.geo import EARTH_RADIUS_KM, in_bounding_box


def places_near(
    queryset: QuerySet, latitude: float, longitude: float, radius_km: float, *, prefix: str = ""
) -> QuerySet:
    """Rows within `radius_km` of the point, annotated with `distance_km`.

    `prefix` reaches the coordinates through a relation (e.g. "place__" for offers).
    """
    queryset = in_bounding_box(queryset, latitude, longitude, radius_km, prefix=prefix)
    lat_f, lon_f = f"{prefix}latitude", f"{prefix}longitude"
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
