"""Public listing of spaces to share: rooms, desks and machines that places open to others.

Only public sharing offers of published places are listed. Filters: kind, capacity, a day
and time when the space must be shared, a point (and radius) to sort by distance.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from economics import selectors
from economics.filters import shared_space_query
from economics.models import Space


@require_GET
def shared_spaces(request):
    query, errors = shared_space_query(request.GET)
    results = [] if errors else selectors.shared_spaces(audience="public", **query)
    items = [{"item": item, "times": selectors.sharing_week_lines(item.offer)} for item in results]
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
