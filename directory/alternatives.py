"""What a resident is offered when a search finds nothing: never a dead end.

Why nothing matched, in plain words; the nearest places meeting the need that open next
(with day and time); and the same search with a wider radius or at any time, each only
when it gives results. Composes the search and the scheduling selectors; owns no rule.
Costs queries only when the answer is empty.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.forms import RADIUS_CHOICES
from directory.geo import distance_km
from directory.search import Search, run_search
from places.models import Typology
from places.timezones import place_zone
from scheduling.materialise import local_zone
from scheduling.selectors import format_time, next_availability
from services.needs import NEEDS_BY_SLUG
from services.selectors import available_offers, kinds_offered_anywhere, service_kinds

# How many places near the person are probed for their next opening, and how many shown.
PROBED = 20
SHOWN = 3
TIME_PARAMETERS = ("open", "date", "time")


@dataclass
class Alternatives:
    reasons: list[str] = field(default_factory=list)
    # The services asked for that no place of the directory offers at all, at any time.
    absent: list[str] = field(default_factory=list)
    upcoming: list[dict] = field(default_factory=list)  # {"place", "label", "when", "km"}
    links: list[dict] = field(default_factory=list)  # {"text", "query"}

    def __bool__(self) -> bool:
        return bool(self.reasons or self.absent or self.upcoming or self.links)


def moment_words(moment: datetime.datetime, place=None) -> str:
    """ "Thursday 12 March at 15 h" in the reader's language, on the place's clock when
    a place is given (an opening in La Réunion is told in Réunion time)."""
    local = timezone.localtime(moment, place_zone(place) if place is not None else local_zone())
    return _("%(day)s at %(time)s") % {
        "day": date_format(local.date(), "l j F"),
        "time": format_time(local.hour * 60 + local.minute),
    }


def _reasons(search: Search, data: dict, radius_km: float) -> list[str]:
    """Each condition the empty answer had to meet, in words."""
    out = []
    needs = [str(NEEDS_BY_SLUG[s].label) for s in data.get("need") or [] if s in NEEDS_BY_SLUG]
    if needs:
        out.append(_("offering: %(needs)s") % {"needs": "; ".join(needs)})
    if search.point is not None:
        out.append(_("within %(km)s km of the chosen point") % {"km": f"{radius_km:g}"})
    if search.at is not None:
        out.append(_("available on %(when)s") % {"when": moment_words(search.at)})
    reading = getattr(search, "reading", None)
    if reading is not None and (reading.kinds or reading.typologies):
        # The words of the query read as services or kinds of places ("salle de réunion").
        named = [str(kind) for kind in service_kinds().filter(slug__in=reading.kinds)]
        named += [str(Typology.Code(code).label) for code in sorted(reading.typologies)]
        out.append(_("offering: %(needs)s") % {"needs": "; ".join(named)})
    words = reading.words if reading is not None else (data.get("q") or "").split()
    if words:
        out.append(_("matching the words “%(q)s”") % {"q": " ".join(words)[:80]})
    return out


def _upcoming(search: Search, now: datetime.datetime) -> list[dict]:
    """The nearest places meeting every condition but the time, by their next opening."""
    after = search.at or now
    queryset = search.untimed
    if search.kinds:
        offers = (
            available_offers(on=timezone.localdate(after))
            .filter(kind__slug__in=search.kinds)
            .select_related("kind")
        )
        queryset = queryset.prefetch_related(
            Prefetch("offers", queryset=offers, to_attr="matching_offers")
        )
    places = list(queryset[:PROBED])
    if not places:
        return []
    offers = [offer for place in places for offer in getattr(place, "matching_offers", [])]
    found = next_availability(after, offers=offers, places=[] if search.kinds else places)
    rows = []
    for place in places:
        if search.kinds:
            candidates = [
                (found[("offer", o.pk)], str(o.kind))
                for o in place.matching_offers
                if ("offer", o.pk) in found
            ]
        else:
            candidates = [(found[("place", place.pk)], "")] if ("place", place.pk) in found else []
        if candidates:
            when, label = min(candidates)
            rows.append({"place": place, "label": label, "start": when, "km": distance_km(place)})
    rows.sort(key=lambda row: (row["start"], row["km"] or 0))
    for row in rows:
        row["when"] = moment_words(row["start"], row["place"])
    return rows[:SHOWN]


def _absent(search: Search) -> list[str]:
    """The kinds asked for that no published place offers live at any time (one query):
    the resident is told so instead of being sent to other times or distances."""
    if not search.kinds:
        return []
    if kinds_offered_anywhere(search.kinds):
        return []
    return [str(kind) for kind in service_kinds().filter(slug__in=search.kinds)]


def _query(params: QueryDict, **changes) -> QueryDict:
    query = params.copy()
    query.pop("page", None)
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return query


def for_empty_search(form, search: Search, params: QueryDict, now, **choices) -> Alternatives:
    """Alternatives for a search that found nothing (`form` valid, `params` its query)."""
    data = form.cleaned_data
    help = Alternatives(reasons=_reasons(search, data, form.radius_km), absent=_absent(search))
    if help.absent:
        return help  # no other time, distance or wording would find it
    if search.untimed is not None and (search.at is not None or search.errors):
        help.upcoming = _upcoming(search, now)
        count = search.untimed.count()
        if count:
            query = _query(params, **dict.fromkeys(TIME_PARAMETERS))
            help.links.append(
                {
                    "text": ngettext("At any time: %(n)s place", "At any time: %(n)s places", count)
                    % {"n": count},
                    "query": query.urlencode(),
                }
            )
    if search.point is not None:
        for value, _label in RADIUS_CHOICES:
            if float(value) <= form.radius_km:
                continue
            wider = form.__class__(_query(params, radius=value), **choices)
            if not wider.is_valid():
                break
            count = run_search(wider, now=now).queryset.count()
            if count:
                help.links.append(
                    {
                        "text": ngettext(
                            "Within %(km)s km: %(n)s place",
                            "Within %(km)s km: %(n)s places",
                            count,
                        )
                        % {"km": value, "n": count},
                        "query": _query(params, radius=value).urlencode(),
                    }
                )
                break
    return help
