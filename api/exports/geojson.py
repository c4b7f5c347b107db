"""Published places as a GeoJSON FeatureCollection (RFC 7946), streamed.

A place without coordinates (an itinerant desk, say) is a feature with a null geometry,
which RFC 7946 allows, so the collection lists every published place.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from api.exports.source import PlaceBundle, iter_bundles, osm_hours
from api.exports.writers import buffered, dumps


def feature(bundle: PlaceBundle) -> dict[str, Any]:
    place = bundle.place
    geometry = None
    if place.has_location:
        # RFC 7946: longitude first.
        geometry = {"type": "Point", "coordinates": [float(place.longitude), float(place.latitude)]}
    return {
        "type": "Feature",
        "id": str(place.public_id),
        "geometry": geometry,
        "properties": {
            "name": place.name,
            "slug": place.slug,
            "short_description": place.short_description,
            "typologies": [t.code for t in bundle.typologies],
            "networks": [n.slug for n in bundle.networks],
            "address": place.address,
            "postcode": place.postcode,
            "commune": place.commune,
            "insee_code": place.insee_code,
            "itinerant": place.itinerant,
            "phone": place.phone,
            "email": place.email,
            "website": place.website,
            "wheelchair": place.wheelchair,
            "opening_hours": osm_hours(bundle.schedule),
            "services": sorted({o.kind.slug for o in bundle.offers}),
            "updated_at": place.updated_at.isoformat(),
        },
    }


def export_geojson(queryset=None, *, chunk_size: int | None = None) -> Iterator[str]:
    def parts() -> Iterator[str]:
        yield '{"type":"FeatureCollection","features":['
        first = True
        bundles = iter_bundles(queryset, **({"chunk_size": chunk_size} if chunk_size else {}))
        for bundle in bundles:
            yield ("\n" if first else ",\n") + dumps(feature(bundle))
            first = False
        yield "\n]}\n"

    return buffered(parts())
