"""Public listing of spaces to share: rooms, desks and machines that places open to others.

Only public sharing offers of published places are listed. Filters: kind, capacity, a day
and time when the space must be shared, a point (and radius) to sort by distance.
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from directory.signage import share_links
from economics import selectors
from economics.filters import shared_space_query
from economics.models import Space


@require_GET
def shared_spaces(request):
    query, errors = shared_space_query(request.GET)
    results = [] if errors else selectors.shared_spaces(audience="public", **query)
    listing = request.build_absolute_uri(reverse("directory:shared_spaces"))
    items = [
        {
            "item": item,
            "times": selectors.sharing_week_lines(item.offer),
            # Each card has an anchor of its own in the listing, which the share links name.
            "share": share_links(
                f"{listing}#space-{item.offer.pk}", f"{item.space.name} — {item.place.name}"
            ),
        }
        for item in results
    ]
    return render(
        request,
        "directory/spaces.html",
        {
            "items": items,
            "errors": errors,
            "kinds": Space.Kind.choices,
            "params": request.GET,
            "selected_kinds": query.get("kinds", []),
        },
        status=400 if errors else 200,
    )
