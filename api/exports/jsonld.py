"""schema.org JSON-LD of every published place (scheduling.jsonld.place_jsonld), as a
JSON array: the place page's description, plus dated opening items (public holidays,
rules with no weekly form) for each day of the calendar window, yesterday to +120 days."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import NoReverseMatch, reverse

from api.exports.source import PlaceBundle, iter_bundles
from api.exports.writers import json_array
from scheduling.jsonld import place_jsonld
from scheduling.materialise import default_window


def place_url(place, base_url: str) -> str:
    """The resident's page of the place (the directory's route, when it is mounted)."""
    try:
        path = reverse("directory:place_detail", kwargs={"slug": place.slug})
    except NoReverseMatch:
        path = f"/lieux/{place.slug}/"
    return base_url.rstrip("/") + path


def document(bundle: PlaceBundle, base_url: str, window=None) -> dict:
    return place_jsonld(
        bundle.place,
        url=place_url(bundle.place, base_url),
        offers=bundle.offers,
        schedule=bundle.schedule,
        exceptions=bundle.exceptions,
        window=window,
    )


def export_jsonld(
    queryset=None, *, chunk_size: int | None = None, base_url: str = ""
) -> Iterator[str]:
    bundles = iter_bundles(queryset, **({"chunk_size": chunk_size} if chunk_size else {}))

    def documents():
        window = default_window()  # read when the export starts, not when it is built
        for bundle in bundles:
            yield document(bundle, base_url, window)

    return json_array(documents())
