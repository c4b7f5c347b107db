"""The residents' directory: home, search (list and map), place, network, commune, embed.

Public pages, no login. Views parse input, call the search composition or a selector, and
render; bad input gets a helpful page with the person's filters kept, never an error 500.
"""

from __future__ import annotations

import datetime
import json

from django.core.paginator import Paginator
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from directory.alternatives import for_empty_search
from directory.forms import EmbedForm, SearchForm
from directory.middleware import embeddable
from directory.presenters import place_sections
from directory.search import (
    PER_PAGE,
    RESULT_COUNT_CAP,
    card_queryset,
    filter_choices,
    map_markers,
    page_cards,
    published,
    run_search,
)
from directory.signage import share_links
from initiatives import selectors as initiative_selectors
from places.models import Network, Place, PlaceSlugAlias
from places.selectors import place_list
from scheduling import status as place_status
from scheduling.agenda import place_agenda, visit_openings
from scheduling.ical import calendar_ics, visit_ics
from scheduling.jsonld import place_jsonld
from scheduling.models import Schedule
from scheduling.selectors import OutsideWindow, upcoming_exceptions, week_timetable
from services.models import ServiceOffer
from services.needs import NEEDS
from services.selectors import available_offers, offers_of_place


def _query_without(request, *names) -> str:
    """The current query string minus some parameters (to build page and view links)."""
    pairs = [(k, v) for k, values in request.GET.lists() if k not in names for v in values]
    return urlencode(pairs)


class CappedPaginator(Paginator):
    """Counts the results up to `cap` (decision 0035): past it the page says "more than
    1,000 places" and pages through the first 1,000 only, so a search matching places all
    over the country costs what the page shows, not what matches."""

    cap = RESULT_COUNT_CAP

    @cached_property
    def found(self) -> int:
        # One more than the cap tells "more than"; no ORDER BY, which would rank them all.
        return self.object_list.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.found, self.cap)

    @property
    def capped(self) -> bool:
        return self.found > self.cap


def _paginate(request, queryset, page_number):
    """(page, message): a page beyond the last shows the last one, saying so."""
    paginator = CappedPaginator(queryset, PER_PAGE)
    number = page_number or 1
    message = ""
    if number > paginator.num_pages:
        message = _(
            "Page %(asked)s does not exist: there are %(pages)s pages. Here is the last."
        ) % {
            "asked": number,
            "pages": paginator.num_pages,
        }
        number = paginator.num_pages
    return paginator.page(number), message


def _where_links(request, form) -> dict:
    """Links that give the same search around one commune, for what `where` resolved to.

    Ambiguous text lists each matching commune; a postcode serving several communes
    lists the others; an unknown name lists the close names.
    """
    location = getattr(form, "location", None)
    if location is None:
        return {}
    base = [
        (k, v)
        for k, values in request.GET.lists()
        if k not in ("where", "lat", "lon", "page")
        for v in values
    ]

    def link(label, where):
        return {"label": label, "url": "?" + urlencode([*base, ("where", where)])}

    choices = location.communes if location.status == "choices" else ()
    return {
        "where_label": location.label if location.found else "",
        "where_choices": [link(_commune_choice_label(c), c.query) for c in choices],
        "where_alternatives": [link(c.label, c.query) for c in location.alternatives],
        "where_suggestions": [link(name, name) for name in location.suggestions],
    }


def _commune_choice_label(commune) -> str:
    postcodes = ", ".join(commune.postcodes[:3])
    if postcodes:
        return _("%(commune)s, postcode %(postcodes)s") % {
            "commune": commune.label,
            "postcodes": postcodes,
        }
    return commune.label


@require_GET
def home(request):
    networks, communes = filter_choices()
    form = SearchForm(networks=networks, communes=communes)
    return render(
        request,
        "directory/home.html",
        {
            "form": form,
            "needs": NEEDS,
            "networks": networks,
            "communes": communes,
            # Two small reads: the published guides and the number of open calls.
            "guides": initiative_selectors.published_guides()[:6],
            "open_call_count": initiative_selectors.open_calls().count(),
        },
    )


def _results(request, search, page_number, now):
    """One page of result cards: count, page rows, prefetches, then the statuses."""
    page, page_message = _paginate(
        request, card_queryset(search.queryset, search, now), page_number
    )
    return page, page_message, page_cards(list(page.object_list), search, now)


@require_GET
def search(request):
    networks, communes = filter_choices()
    form = SearchForm(request.GET, networks=networks, communes=communes)
    view_mode = "map" if request.GET.get("view") == "map" else "list"
    context = {
        "form": form,
        "view_mode": view_mode,
        "query_no_page": _query_without(request, "page"),
        "query_no_view": _query_without(request, "page", "view"),
        "searched": bool(request.GET),
    }
    valid = form.is_valid()
    context.update(_where_links(request, form))
    if not valid:
        return render(request, "directory/search.html", context, status=400)
    now = place_status.clock()
    result = run_search(form, now=now)
    page, page_message, cards = _results(request, result, form.cleaned_data.get("page"), now)
    alternatives = None
    if not cards:
        alternatives = for_empty_search(
            form, result, request.GET, now, networks=networks, communes=communes
        )
    context.update(
        {
            "search": result,
            "page": page,
            "page_message": page_message,
            "cards": cards,
            "errors": result.errors,
            "alternatives": alternatives,
        }
    )
    return render(request, "directory/search.html", context, status=400 if result.errors else 200)


def _bbox(raw: str):
    try:
        west, south, east, north = (float(v) for v in raw.split(","))
    except ValueError:
        return None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        return None
    return west, south, east, north


@require_GET
def map_data(request):
    """Markers for the map view, grouped by grid cell server-side (JSON)."""
    networks, communes = filter_choices()
    form = SearchForm(request.GET, networks=networks, communes=communes)
    bbox = _bbox(request.GET.get("bbox", ""))
    try:
        zoom = int(request.GET.get("zoom", ""))
    except ValueError:
        zoom = -1
    problems = []
    if bbox is None:
        problems.append(_("bbox must be west,south,east,north in degrees."))
    if not 0 <= zoom <= 19:
        problems.append(_("zoom must be a whole number from 0 to 19."))
    if not form.is_valid():
        problems += [f"{name}: {' '.join(errs)}" for name, errs in form.errors.items()]
    if problems:
        return JsonResponse({"errors": problems}, status=400)
    result = run_search(form, now=place_status.clock())
    markers = map_markers(result.queryset, bbox, zoom)
    for marker in markers:
        if "slug" in marker:
            marker["url"] = reverse("directory:place", args=[marker["slug"]])
    return JsonResponse({"markers": markers, "errors": result.errors})


def _published_place(slug: str) -> Place:
    return get_object_or_404(place_list(published()), slug=slug)


def _resolve(slug: str):
    """(place, None) for a current slug, (None, redirect) for an old one, else 404."""
    place = place_list(published()).filter(slug=slug).first()
    if place is not None:
        return place, None
    alias = PlaceSlugAlias.objects.filter(slug=slug, place__status=Place.Status.PUBLISHED).first()
    if alias is None:
        raise Http404(_("No published place has this address."))
    return None, alias.place_id


NEIGHBOURS_SHOWN = 10


def _network_neighbours(place) -> list[dict]:
    """Each network of the place with up to ten of its other published places, in one query
    whatever the size of the network (a window function ranks places within each network)."""
    networks = list(place.networks.all())
    rows = (
        Place.networks.through.objects.filter(
            network_id__in=[n.pk for n in networks], place__status=Place.Status.PUBLISHED
        )
        .exclude(place_id=place.pk)
        .annotate(
            rank=Window(RowNumber(), partition_by=F("network_id"), order_by=F("place__name").asc())
        )
        .filter(rank__lte=NEIGHBOURS_SHOWN + 1)
        .values("network_id", "rank", "place__slug", "place__name", "place__commune")
    )
    found: dict[int, list[dict]] = {}
    for row in rows:
        found.setdefault(row["network_id"], []).append(
            {
                "slug": row["place__slug"],
                "name": row["place__name"],
                "commune": row["place__commune"],
            }
        )
    return [
        {
            "network": n,
            "places": sorted(found.get(n.pk, []), key=lambda p: p["name"])[:NEIGHBOURS_SHOWN],
            "more": len(found.get(n.pk, [])) > NEIGHBOURS_SHOWN,
        }
        for n in networks
    ]


def _short_lines(timetable):
    """The timetable with each line's leading day name dropped (the row names the day)."""
    if timetable is None:
        return None
    for day in timetable["days"]:
        prefix = f"{day['name']} "
        day["short_lines"] = [
            line[len(prefix) :] if line.startswith(prefix) else line for line in day["lines"]
        ]
    return timetable


def _report_url(place) -> str:
    try:
        return reverse("directory:suggest_correction", args=[place.slug])
    except NoReverseMatch:
        return ""


def _jsonld_script(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1)
    # Nothing in the data may close the script element.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308


@require_GET
def place(request, slug):
    place, moved_to = _resolve(slug)
    if place is None:
        current = Place.objects.only("slug").get(pk=moved_to)
        return redirect("directory:place", slug=current.slug, permanent=True)
    now = place_status.clock()
    today = timezone.localdate(now)
    offers = list(available_offers(offers_of_place(place, include_ended=False), on=today))
    # Dated days and statuses of the place and of every offer, in a fixed number of queries.
    agenda = place_agenda(place, offers, now)
    offer_rows = [{"offer": offer, "agenda": agenda.for_offer(offer)} for offer in offers]
    schedule = Schedule.objects.filter(place=place).first()
    exceptions = list(upcoming_exceptions(place, today)) if schedule else []
    networks = _network_neighbours(place)
    url = request.build_absolute_uri(reverse("directory:place", args=[place.slug]))
    jsonld = place_jsonld(place, url=url, offers=offers, schedule=schedule, exceptions=exceptions)
    return render(
        request,
        "directory/place.html",
        {
            "place": place,
            "canonical_url": url,
            "status": agenda.place.status,
            "agenda": agenda.place,
            "timetable": _short_lines(week_timetable(place, today)) if schedule else None,
            "report_url": _report_url(place),
            "exceptions": exceptions,
            "offer_rows": offer_rows,
            "networks": networks,
            "sections": place_sections(place),
            "jsonld": _jsonld_script(jsonld),
            "share": share_links(url, place.name),
        },
    )


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _visit(request, place, offer):
    """The .ics of one visit when `?date=` (and optionally `&time=HH:MM`) is given, a 400
    response with a plain message when they are not understood, None without `date`."""
    raw_date = request.GET.get("date", "").strip()
    raw_time = request.GET.get("time", "").strip()
    if not raw_date and not raw_time:
        return None

    def refuse(message, status=400):
        return HttpResponse(message, content_type="text/plain; charset=utf-8", status=status)

    try:
        day = datetime.date.fromisoformat(raw_date)
    except ValueError:
        return refuse(_("Give the date of the visit as YYYY-MM-DD, e.g. 2026-12-09."))
    start = None
    if raw_time:
        try:
            start = datetime.time.fromisoformat(raw_time)
        except ValueError:
            return refuse(_("Give the time of the visit as HH:MM, e.g. 09:00."))
    try:
        openings = visit_openings(place, offer, day, start)
    except OutsideWindow as exc:
        return refuse(str(exc))
    if not openings:
        return refuse(
            _("Nothing opens on %(date)s at this address: choose another day.")
            % {"date": day.isoformat()},
            status=404,
        )
    name = f"{place.slug}-{offer.pk}" if offer else place.slug
    return _ics_response(visit_ics(place, offer, openings), f"{name}-{day.isoformat()}.ics")


@require_GET
def place_ics(request, slug):
    place = _published_place(slug)
    visit = _visit(request, place, None)
    if visit is not None:
        return visit
    return _ics_response(calendar_ics(place), f"{place.slug}.ics")


@require_GET
def offer_ics(request, slug, offer_id):
    place = _published_place(slug)
    offer = get_object_or_404(
        available_offers(ServiceOffer.objects.filter(place=place)).select_related("kind", "place"),
        pk=offer_id,
    )
    visit = _visit(request, place, offer)
    if visit is not None:
        return visit
    return _ics_response(calendar_ics(offer), f"{place.slug}-{offer.pk}.ics")


def _listing(request, queryset, template, extra):
    """A network's or a commune's places, paginated, with the same cards as the search."""
    from directory.search import Search

    page_raw = request.GET.get("page", "1")
    try:
        number = int(page_raw)
        if number < 1:
            raise ValueError
    except ValueError:
        number = 1
    now = place_status.clock()
    search = Search(queryset.order_by("name", "pk"))
    page, page_message, cards = _results(request, search, number, now)
    return render(
        request, template, {"page": page, "page_message": page_message, "cards": cards, **extra}
    )


@require_GET
def network(request, slug):
    network = get_object_or_404(Network, slug=slug)
    places = published().filter(networks=network)
    return _listing(request, places, "directory/network.html", {"network": network})


@require_GET
def commune(request, insee_code):
    places = published().filter(insee_code=insee_code)
    first = places.order_by("commune").values_list("commune", flat=True).first()
    if first is None:
        raise Http404(_("No published place in this commune."))
    return _listing(
        request,
        places,
        "directory/commune.html",
        {"commune_name": first, "insee_code": insee_code},
    )


def _embed_fixed(form) -> dict:
    data = form.cleaned_data
    fixed = {}
    for name in ("network", "commune", "profile", "need"):
        if data.get(name):
            fixed[name] = [data[name]]
    return fixed


@require_GET
@embeddable
def embed(request):
    networks, communes = filter_choices()
    form = EmbedForm(request.GET, networks=networks, communes=communes)
    if not form.is_valid():
        return render(
            request,
            "directory/embed.html",
            {"form": form, **_where_links(request, form)},
            status=400,
        )
    now = place_status.clock()
    result = run_search(form, now=now, fixed=_embed_fixed(form))
    page, page_message, cards = _results(request, result, form.cleaned_data.get("page"), now)
    return render(
        request,
        "directory/embed.html",
        {
            "form": form,
            "cards": cards,
            "page": page,
            "page_message": page_message,
            "query_no_page": _query_without(request, "page"),
            **_where_links(request, form),
        },
    )


@require_GET
def embed_builder(request):
    """Choose the filters, copy the iframe snippet (this page itself refuses framing)."""
    networks, communes = filter_choices()
    form = EmbedForm(request.GET or None, networks=networks, communes=communes)
    snippet = ""
    src = ""
    if form.is_bound and form.is_valid():
        # The typed place stays text: the embed resolves it again (lat/lon are its reading).
        params = {
            k: v for k, v in form.cleaned_data.items() if v and k not in ("page", "lat", "lon")
        }
        src = request.build_absolute_uri(reverse("directory:embed"))
        if params:
            src += "?" + urlencode(params)
        title = _("Shared places directory")
        snippet = (
            f'<iframe src="{escape(src)}" title="{escape(title)}" '
            'width="100%" height="600" style="border:0" loading="lazy"></iframe>'
        )
    return render(
        request, "directory/embed_builder.html", {"form": form, "snippet": snippet, "src": src}
    )
