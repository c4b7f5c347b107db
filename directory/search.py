"""The residents' search: composes the domain selectors; owns no business rule.

`run_search` turns a valid SearchForm into a queryset of published places; `page_cards`
loads what the result cards show for one page in a fixed number of queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, FloatField, Min, OuterRef, Prefetch, QuerySet, Sum
from django.db.models import Value as V
from django.db.models.functions import Cast, Floor
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.geo import distance_km, within
from places.filter_choices import NetworkChoice, published_filter_choices
from places.models import Place, Typology
from places.selectors import search_places
from scheduling.selectors import OutsideWindow, open_places, places_offering_at, window_bounds
from scheduling.status import offer_statuses_for, statuses_for
from services.models import ServiceOffer
from services.needs import kinds_for
from services.selectors import available_offers
from services.vocabulary import Interpretation, match_words, understand

PER_PAGE = 20
# Results are counted up to this many; past it the page says "more than" (decision 0035).
RESULT_COUNT_CAP = 1000


def published() -> QuerySet[Place]:
    return Place.objects.filter(status=Place.Status.PUBLISHED)


def filter_choices() -> tuple[list[NetworkChoice], list[tuple[str, str]]]:
    """Networks and communes that have published places, precomputed (no query when current)."""
    return published_filter_choices()


def _text_search(queryset: QuerySet[Place], reading: Interpretation, search: Search):
    """The leftover words of the query (services.vocabulary.match_words), noted on `search`."""
    found = match_words(queryset, reading)
    search.ranked, search.tolerant = found.ranked, found.tolerant
    search.unknown_words, search.words_left_out = found.unknown_words, found.words_left_out
    return found.queryset


@dataclass
class Search:
    queryset: QuerySet[Place]
    at: datetime.datetime | None = None
    point: tuple[float, float] | None = None
    kinds: set[str] = field(default_factory=set)
    tolerant: bool = False  # results found with close spellings
    # The same search without its time condition (for the alternatives of an empty answer).
    untimed: QuerySet[Place] | None = None
    reading: Interpretation = field(default_factory=Interpretation)
    unknown_words: list[str] = field(default_factory=list)  # typed words matching nothing
    words_left_out: bool = False  # ...left out because the rest of the query was understood
    ranked: bool = False  # results carry `text_rank` (most relevant first)
    errors: list[str] = field(default_factory=list)
    at_from_words: bool = False  # `at` was named in the words ("samedi matin")
    at_wall: datetime.datetime | None = None  # `at` on the searched place's clock, naive


def window_text() -> str:
    lo, hi = window_bounds()
    first = timezone.localtime(lo).date()
    last = timezone.localtime(hi).date() - datetime.timedelta(days=1)
    return _("Opening hours are known from %(first)s to %(last)s: choose a day in between.") % {
        "first": _date_words(first),
        "last": _date_words(last),
    }


def _date_words(day: datetime.date) -> str:
    from django.utils.formats import date_format

    return date_format(day, "DATE_FORMAT")


def run_search(form, *, now: datetime.datetime, fixed: dict | None = None) -> Search:
    """Filters of one filter combine with OR, filters with AND; `fixed` adds embed filters.

    `form` is a valid SearchForm (or EmbedForm); its cleaned data drive the query.
    """
    data = {**form.cleaned_data, **(fixed or {})}

    def listed(name):
        value = data.get(name) or []
        return [value] if isinstance(value, str) else list(value)

    q = (data.get("q") or "").strip()
    # The words of `q` naming needs or kinds of places join those filters; the rest is text.
    reading = understand(q) if q else Interpretation()
    queryset = search_places(
        published(),
        typologies=sorted({*listed("typology"), *reading.typologies}),
        profiles=listed("profile"),
        communes=listed("commune"),
        networks=listed("network"),
    )
    search = Search(queryset)
    kinds = kinds_for(listed("need")) | reading.kinds
    search.kinds = kinds
    search.reading = reading
    at = form.wanted_instant(now, reading.when)
    search.at_from_words = bool(at and reading.time_words and not data.get("open"))
    if at is not None:
        # Shown on the clock where the person searches (naive: templates keep it as is).
        search.at_wall = timezone.localtime(at, form.point_zone()).replace(tzinfo=None)
    offers = None
    if kinds or data.get("free"):
        offers = available_offers(on=timezone.localdate(at or now))
        if kinds:
            offers = offers.filter(kind__slug__in=kinds)
        if data.get("free"):
            offers = offers.filter(fees=ServiceOffer.Fees.FREE)
    if data.get("wheelchair"):
        queryset = queryset.filter(wheelchair=Place.Wheelchair.YES)
    if reading.words:
        queryset = _text_search(queryset, reading, search)
    # The circle before the hours: around a point, each place left in it is probed.
    point = getattr(form, "point", None)
    if point is not None:
        queryset = within(queryset, point[0], point[1], form.radius_km)
        search.point = point
    else:
        queryset = queryset.order_by("name", "pk")
    with_offer = (
        queryset.filter(Exists(offers.filter(place_id=OuterRef("pk"))))
        if offers is not None
        else queryset
    )
    if search.ranked:
        # Most relevant first, then the order above (distance around a point, else name).
        with_offer = with_offer.order_by("-text_rank", *with_offer.query.order_by)
        queryset = queryset.order_by("-text_rank", *queryset.query.order_by)
    search.untimed = with_offer
    if at is not None:
        try:
            if kinds:
                # A need and a time: the matched service must be available then, not
                # merely the place open (a CAF desk on Tuesday mornings only).
                queryset = places_offering_at(at, queryset, offers)
            else:
                queryset = open_places(at, with_offer, narrowed=point is not None)
            search.at = at
        except OutsideWindow:
            search.errors.append(window_text())
            queryset = queryset.none()
    else:
        queryset = with_offer
    if search.ranked:
        queryset = first_found(queryset)
    search.queryset = queryset
    return search


def first_found(queryset: QuerySet[Place]) -> QuerySet[Place]:
    """The places of a ranked search among the first RESULT_COUNT_CAP + 1 found (decision
    0035): when fewer match, all of them, ranked exactly; when more (words found all over
    the country), the page says "more than 1,000" and ranks those, so its cost stays that
    of the page and not of every match."""
    found = queryset.order_by().values("pk")[: RESULT_COUNT_CAP + 1]
    return queryset.filter(pk__in=found)


def page_cards(places: list[Place], search: Search, now: datetime.datetime) -> list[dict]:
    """What each result card shows, for one page: the place's status and, when a need was
    asked, each matching service with its own status ("CAF: opens Tuesday at 9 h").

    The places come from a queryset with `typologies` and matching offers prefetched
    (see `card_queryset`): 3 queries for the places' statuses, 3 more for the offers'.
    """
    at = search.at or now
    statuses = statuses_for(places, at)
    offers = [offer for place in places for offer in getattr(place, "matching_offers", [])]
    offer_statuses = offer_statuses_for(offers, at, place_statuses=statuses) if offers else {}
    return [
        {
            "place": place,
            "distance_km": distance_km(place),
            "status": statuses[place.pk],
            "offers": [
                {"offer": offer, "status": offer_statuses[offer.pk]}
                for offer in getattr(place, "matching_offers", [])
            ],
        }
        for place in places
    ]


def card_queryset(queryset: QuerySet[Place], search: Search, now) -> QuerySet[Place]:
    """Prefetch the typologies and, when a need is chosen, the offers that meet it."""
    queryset = queryset.prefetch_related(
        Prefetch("typologies", queryset=Typology.objects.order_by("position"))
    )
    if search.kinds:
        offers = (
            available_offers(on=timezone.localdate(search.at or now))
            .filter(kind__slug__in=search.kinds)
            .select_related("kind", "provider")
            .order_by("kind__position", "provider__name", "pk")
        )
        queryset = queryset.prefetch_related(
            Prefetch("offers", queryset=offers, to_attr="matching_offers")
        )
    return queryset


# -- map markers ------------------------------------------------------------------------

# A grid cell is a quarter of a map tile (64 px), so markers never overlap much.
CELLS_PER_TILE = 4


def map_markers(queryset: QuerySet[Place], bbox: tuple[float, float, float, float], zoom: int):
    """Markers in a bounding box, grouped in SQL by grid cell: one query at any size.

    Returns dicts: {"lat", "lon", "count"} plus "name" and "slug" for a cell of one place.
    """
    west, south, east, north = bbox
    cell = 360.0 / (2**zoom) / CELLS_PER_TILE
    lat = Cast(F("latitude"), FloatField())
    lon = Cast(F("longitude"), FloatField())
    rows = (
        queryset.filter(
            latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east
        )
        .order_by()
        .annotate(cx=Floor((lon - V(west)) / V(cell)), cy=Floor((lat - V(south)) / V(cell)))
        .values("cx", "cy")
        .annotate(
            count=Count("pk"),
            lat_sum=Sum(lat, output_field=FloatField()),
            lon_sum=Sum(lon, output_field=FloatField()),
            name=Min("name"),
            slug=Min("slug"),
        )
    )
    markers = []
    for row in rows:
        marker = {
            "lat": round(row["lat_sum"] / row["count"], 6),
            "lon": round(row["lon_sum"] / row["count"], 6),
            "count": row["count"],
        }
        if row["count"] == 1:
            marker.update({"name": row["name"], "slug": row["slug"]})
        markers.append(marker)
    return markers
