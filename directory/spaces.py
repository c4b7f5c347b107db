"""Public listing of spaces to share: rooms, desks and machines that places open to others.

Only public sharing offers of published places are listed. Filters: kind, capacity, a day
and time when the space must be shared and not taken by an accepted use, a point (and
radius) to sort by distance. Every filter stays in the URL; pages keep them. A map shows
the places of the page's spaces (Leaflet, static/js/directory-map.js); the list has all.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from directory.signage import share_links
from economics import selectors
from economics.filters import shared_space_query
from economics.models import Space

PER_PAGE = 20


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and int(raw) > 0 else 1


@require_GET
def shared_spaces(request):
    query, errors = shared_space_query(request.GET)
    results = [] if errors else selectors.shared_spaces(audience="public", **query)
    paginator = Paginator(results, PER_PAGE)
    number = _page_number(request.GET.get("page"))
    message = ""
    if number > paginator.num_pages:
        message = _(
            "Page %(asked)s does not exist: there are %(pages)s pages. Here is the last."
        ) % {
            "asked": number,
            "pages": paginator.num_pages,
        }
        number = paginator.num_pages
    page = paginator.page(number)
    items = [
        {
            "item": item,
            "times": selectors.sharing_week_lines(item.offer),
            # Shared as the space's own page, where its request form is.
            "share": share_links(
                request.build_absolute_uri(reverse("directory:space", args=[item.space.pk])),
                f"{item.space.name} — {item.place.name}",
            ),
        }
        for item in page
    ]
    markers: dict[int, dict] = {}
    for entry in items:
        place = entry["item"].place
        if not place.has_location:
            continue
        marker = markers.setdefault(
            place.pk,
            {
                "lat": float(place.latitude),
                "lon": float(place.longitude),
                "name": place.name,
                "spaces": [],
            },
        )
        marker["spaces"].append(
            {
                "name": entry["item"].space.name,
                "url": reverse("directory:space", args=[entry["item"].space.pk]),
            }
        )
    pairs = [(k, v) for k, values in request.GET.lists() if k != "page" for v in values]
    return render(
        request,
        "directory/spaces.html",
        {
            "items": items,
            "markers": list(markers.values()),
            "count": paginator.count,
            "page": page,
            "page_message": message,
            "query_no_page": urlencode(pairs),
            "errors": errors,
            "kinds": Space.Kind.choices,
            "params": request.GET,
            "selected_kinds": query.get("kinds", []),
        },
        status=400 if errors else 200,
    )
