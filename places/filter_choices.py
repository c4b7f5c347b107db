"""The public search's filter choices (networks and communes that have published places),
precomputed in the shared cache so that a search page costs no query over the registry.

The answer is stored with the generation it was computed for; every write that can change
it draws a new generation (at once, and again when its transaction commits), so a reader
never serves an answer computed before the last committed change, even one written by a
request that raced with the writer. The writes that send Django's model signals (the
actions, the admin, factories) are caught by the receivers connected in `PlacesConfig`;
bulk paths that skip signals (imports, the demo) call `forget_filter_choices()` themselves.
"""

from __future__ import annotations

import logging
import uuid
from typing import NamedTuple

from django.core.cache import cache
from django.db import router, transaction

from places.models import Network, Place

logger = logging.getLogger(__name__)

KEY = "places:filter-choices"
GENERATION_KEY = "places:filter-choices:generation"
# A safety net for writes made outside the application (SQL by hand): at worst a day old.
TIMEOUT = 24 * 3600


class NetworkChoice(NamedTuple):
    slug: str
    name: str


def published_filter_choices() -> tuple[list[NetworkChoice], list[tuple[str, str]]]:
    """Networks and communes (INSEE code, name) that have published places, by name.

    One cache round trip when the stored answer is current; two queries otherwise.
    """
    try:
        found = cache.get_many([GENERATION_KEY, KEY])
    except Exception:  # noqa: BLE001 - each cache backend raises its own connection errors
        # The search keeps answering while the cache server is away, at the old cost.
        logger.warning("Cache unreachable: filter choices read from the database", exc_info=True)
        return _as_choices(_compute())
    generation = found.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        generation = cache.get(GENERATION_KEY)
    stored = found.get(KEY)
    if stored is not None and stored[0] == generation:
        return _as_choices(stored[1])
    computed = _compute()
    cache.set(KEY, (generation, computed), TIMEOUT)
    return _as_choices(computed)


def _as_choices(stored) -> tuple[list[NetworkChoice], list[tuple[str, str]]]:
    networks, communes = stored
    return [NetworkChoice(*n) for n in networks], [tuple(c) for c in communes]


def _compute() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    from places.selectors import communes_in_registry

    # Read from the primary: an answer read from a lagging replica would be stored as current.
    alias = router.db_for_write(Place)
    published = Place.objects.using(alias).filter(status=Place.Status.PUBLISHED)
    networks = list(
        Network.objects.using(alias)
        .filter(places__status=Place.Status.PUBLISHED)
        .distinct()
        .order_by("name", "slug")
        .values_list("slug", "name")
    )
    return networks, communes_in_registry(published)


def _new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def forget_filter_choices() -> None:
    """Make the next reader compute the choices again: now, and once the transaction commits.

    The immediate change serves reads inside the writing transaction; the one on commit
    makes sure no answer computed from the data before the commit is served after it.
    """
    _new_generation()
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return  # the write is already committed
    if any(entry[1] is _new_generation for entry in connection.run_on_commit):
        return  # already due when this transaction commits
    transaction.on_commit(_new_generation)


# ---------------------------------------------------------------- signal receivers


def registry_changed(sender, **kwargs) -> None:
    forget_filter_choices()


def place_networks_changed(sender, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        forget_filter_choices()
