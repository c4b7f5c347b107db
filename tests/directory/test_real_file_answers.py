"""The resident's question on a real file: need + time + where, in their own words.

The Hub du Sud export (646 digital-mediation places of Provence-Alpes-Côte d'Azur, with
their services and OSM hours) is imported, then residents ask the directory. Each answer
is checked against an expectation computed another way: the imported offers of the named
kinds, the calendar read place by place (`is_open`), and the great-circle distance.
"""

from __future__ import annotations

import datetime
import html
import re
import zoneinfo

import pytest
from django.utils import timezone

from api.imports.pipeline import run_import
from places.communes import resolve_location
from places.geo import haversine_km
from places.models import Place
from scheduling.selectors import is_open
from services.models import ServiceOffer

HUB = "20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def next_weekday(weekday: int, hour: int) -> datetime.datetime:
    today = timezone.localdate()
    day = today + datetime.timedelta(days=(weekday - today.weekday()) % 7 or 7)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=PARIS)


def all_names(client, query: str) -> tuple[int, list[str]]:
    """(status, every result name over every page) of a directory search."""
    names, page = [], 1
    while True:
        response = client.get(f"/lieux/?{query}&page={page}", HTTP_ACCEPT_LANGUAGE="fr")
        body = response.content.decode()
        found = re.findall(r'class="place-card-title"><a href="/lieux/[^/]+/">([^<]+)</a>', body)
        names += [html.unescape(name) for name in found]
        if response.status_code != 200 or f"page={page + 1}" not in body or not found:
            return response.status_code, names
        page += 1


def expected(kinds: set[str], at: datetime.datetime, point, radius_km: float) -> list[str]:
    out = []
    for place in Place.objects.filter(status=Place.Status.PUBLISHED, latitude__isnull=False):
        if haversine_km(*point, float(place.latitude), float(place.longitude)) > radius_km:
            continue
        offers = ServiceOffer.objects.filter(place=place, kind__slug__in=kinds, status="active")
        # Imported offers follow their place's hours (no schedule of their own).
        if offers.exists() and is_open(place, at):
            out.append(place.name)
    return sorted(out)


@pytest.mark.django_db
def test_residents_questions_on_the_hub_du_sud_file(client, shared_data, organisation):
    run_import(fmt="lmn", path=shared_data / HUB, organisation=organisation)
    marseille = resolve_location("Marseille").point
    nice = resolve_location("06000").point
    tuesday_10 = next_weekday(1, 10)
    saturday_10 = next_weekday(5, 10)
    online = {"demarches-en-ligne", "numerique-bases"}
    questions = [
        # (typed words, where, radius, instant, the kinds those words name)
        ("aide démarches en ligne", "Marseille", 10, tuesday_10, online),
        ("ordinateur", "06000", 5, tuesday_10, {"acces-equipement"}),
        ("démarches", "Marseille", 20, saturday_10, {"demarches-en-ligne"}),
    ]
    answered = 0
    for words, where, radius, at, kinds in questions:
        point = marseille if where == "Marseille" else nice
        query = (
            f"q={words}&where={where}&radius={radius}&open=at"
            f"&date={at.date().isoformat()}&time={at:%H:%M}"
        )
        status, names = all_names(client, query)
        assert status == 200, words
        assert sorted(names) == expected(kinds, at, point, radius), words
        answered += bool(names)
    # The questions are not all answered by nothing.
    assert answered >= 2
