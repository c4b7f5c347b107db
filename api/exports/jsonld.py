"""schema.org JSON-LD of every published place (scheduling.jsonld.place_jsonld), as a
JSON array: the same description the place page embeds."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import NoReverseMatch, reverse

from api.exports.source import PlaceBundle, iter_bundles
from api.exports.writers import json_array
from scheduling.jsonld import place_jsonld


def place_url(place, base_url: str) -> str:
    """The resident's page of the place (the directory's route, when it is mounted)."""
    try:
        path = reverse("directory:place_detail", kwargs={"slug": place.slug})
    except NoReverseMatch:
        path = f"/lieux/{place.slug}/"
    return base_url.rstrip("/") + path


def document(bundle: PlaceBundle, base_url: str) -> dict:
    return place_jsonld(
        bundle.place,
        url=place_url(bundle.place, base_url),
        offers=bundle.offers,
        schedule=bundle.schedule,
        exceptions=bundle.exceptions,
    )


def export_jsonld(
    queryset=None, *, chunk_size: int | None = None, base_url: str = ""
) -> Iterator[str]:
    bundles = iter_bundles(queryset, **({"chunk_size": chunk_size} if chunk_size else {}))
    return json_array(document(b, base_url) for b in bundles)
