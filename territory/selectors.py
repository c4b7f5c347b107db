"""Reads of the territory: communes of an area, coverage runs, what-if gains, suggestions."""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from places.geo import haversine_km
from places.models import Place
from scheduling.materialise import current_window
from scheduling.models import Schedule
from scheduling.preview import osm_export
from services.models import ServiceKind, ServiceOffer
from services.selectors import available_offers
from territory.coverage import (
    TIME_CONDITIONS,
    ConditionError,
    Coverage,
    Subject,
    candidate_places,
    compute,
    hours_open_at,
    instants,
)
from territory.models import Commune, Scenario

COMMUNE_COLUMNS = ("insee_code", "name", "department", "population", "latitude", "longitude")


def departments() -> list[str]:
    """Department codes of the loaded communes, in order (one query)."""
    return list(
        Commune.objects.order_by("department").values_list("department", flat=True).distinct()
    )


def regions() -> list[str]:
    return list(Commune.objects.order_by("region").values_list("region", flat=True).distinct())


def departments_of_region(region: str) -> list[str]:
    return list(
        Commune.objects.filter(region=region)
        .order_by("department")
        .values_list("department", flat=True)
        .distinct()
    )


def communes_of(*, department: str = "", region: str = "") -> list[tuple]:
    """(insee code, name, department, population, latitude, longitude) of an area."""
    queryset = Commune.objects.all()
    if department:
        queryset = queryset.filter(department=department)
    if region:
        queryset = queryset.filter(region=region)
    return list(queryset.order_by("insee_code").values_list(*COMMUNE_COLUMNS))


def dataset_summary() -> dict:
    """How many communes and residents are loaded, from which source, recorded when."""
    found = Commune.objects.aggregate(
        population=Sum("population"), recorded_on=Max("recorded_on"), source=Max("source")
    )
    found["communes"] = Commune.objects.count()
    return found


@dataclass(frozen=True)
class Hypothesis:
    """A place that does not exist: a point, what it offers, its weekly hours (OSM).

    With `replaces` (a real place's id), it is that place with other hours for `kinds`:
    the real place no longer counts for those kinds, the hypothesis does in its stead.
    """

    latitude: float
    longitude: float
    kinds: frozenset[str]  # service kind slugs
    hours: str
    label: str = ""
    replaces: int | None = None

    def concerns(self, subject: Subject) -> bool:
        return subject.kind == "kind" and subject.code in self.kinds

    def offers(self, subject: Subject, at: list[datetime.datetime], department: str = "") -> bool:
        return self.concerns(subject) and hours_open_at(self.hours, at, department)


def coverage(
    subject: Subject,
    time: str,
    *,
    department: str = "",
    region: str = "",
    radius_km: float = 10,
    on: datetime.date | None = None,
    hypotheses: Iterable[Hypothesis] = (),
    communes: list[tuple] | None = None,
    progress: Callable[[int], object] | None = None,
) -> Coverage:
    """Coverage of the communes of a department (or region) for one condition.

    Queries: the calendar window (1), the candidate places (1), the communes (1, none when
    `communes` is given); for a profile or a typology, `open_places` also reads the window
    once per sampled instant. None per commune or per place. Hypothetical places offering
    the subject at that time count as candidates too (the what-if); a real place a
    hypothesis replaces counts only through it. Raises ConditionError for a condition out
    of reach.
    """
    hypotheses = list(hypotheses)
    window = current_window()
    at = instants(time, on=on, department=department, window=window)
    points = candidate_places(subject, at)
    replaced = {h.replaces for h in hypotheses if h.replaces is not None and h.concerns(subject)}
    if replaced:
        points = [point for point in points if point[2] not in replaced]
    for n, hypothesis in enumerate(hypotheses):
        if hypothesis.offers(subject, at, department):
            points.append(
                (
                    hypothesis.latitude,
                    hypothesis.longitude,
                    f"hypothesis-{n}",
                    hypothesis.label or _("the new place"),
                )
            )
    if communes is None:
        communes = communes_of(department=department, region=region)
    result = compute(communes, points, radius_km=radius_km, progress=progress)
    result.instants = at
    return result


def check_hypothesis(*, kinds, hours: str) -> dict[str, str]:
    """What a scenario is missing, by field: service kinds, hours, or readable hours."""
    import opening_hours

    errors = {}
    if not kinds:
        errors["kinds"] = _("Choose at least one service kind the new place would offer.")
    if not (hours or "").strip():
        errors["opening_hours"] = _(
            "Give the weekly hours of the new place, for example “Mo-Fr 09:00-17:00; Sa "
            "09:00-12:00”."
        )
    else:
        try:
            opening_hours.OpeningHours(hours)
        except (opening_hours.ParserError, SyntaxError, ValueError):
            errors["opening_hours"] = _(
                "These weekly hours cannot be read: write them like “Mo-Fr 09:00-17:00; Sa "
                "09:00-12:00”."
            )
    return errors


def what_if(
    hypothesis: Hypothesis,
    *,
    department: str,
    radius_km: float = 10,
    on: datetime.date | None = None,
    times: Iterable[str] = tuple(TIME_CONDITIONS),
) -> dict[str, dict[str, int | None]]:
    """{kind slug: {time condition: residents brought within `radius_km`}}.

    Each figure is the difference of two coverage runs of the department, without and with
    the hypothetical place; None where the time condition is out of the calendar's reach.
    Nothing is written. Queries: the communes (1), then per condition 2 or 3.
    """
    communes = communes_of(department=department)
    gains: dict[str, dict[str, int | None]] = {}
    for slug in sorted(hypothesis.kinds):
        subject = Subject("kind", slug)
        gains[slug] = {}
        for time in times:
            try:
                before = coverage(
                    subject,
                    time,
                    department=department,
                    radius_km=radius_km,
                    on=on,
                    communes=communes,
                )
            except ConditionError:
                gains[slug][time] = None
                continue
            after = coverage(
                subject,
                time,
                department=department,
                radius_km=radius_km,
                on=on,
                communes=communes,
                hypotheses=[hypothesis],
            )
            gains[slug][time] = before.population_beyond(radius_km) - after.population_beyond(
                radius_km
            )
    return gains


def suggestions(result: Coverage, *, limit: int = 10) -> list[dict]:
    """Communes where a new place would bring the most residents within the radius.

    A new place at a commune's point reaches the communes now beyond the radius whose
    point is within the radius of it: their residents, summed, rank the candidates.
    """
    radius = result.radius_km
    far = [r for r in result.rows if r.beyond(radius)]
    if not far:
        return []
    index = _Cells([(r.latitude, r.longitude, r) for r in far], radius)
    ranked = []
    for candidate in result.rows:
        reached = [
            r
            for r in index.near(candidate.latitude, candidate.longitude)
            if haversine_km(candidate.latitude, candidate.longitude, r.latitude, r.longitude)
            <= radius
        ]
        gain = sum(r.population for r in reached)
        if gain:
            ranked.append({"commune": candidate, "gain": gain, "communes": len(reached)})
    ranked.sort(key=lambda s: (-s["gain"], s["commune"].insee_code))
    return ranked[:limit]


# The extra opening a suggestion proposes for a time condition (added to the hours kept,
# as an OSM additional rule), where one simple rule expresses it.
EXTRA_OPENINGS = {
    "weekdays": "Mo-Fr 10:00-16:00",
    "evenings": "Mo-Fr 18:00-20:00",
    "saturday_morning": "Sa 09:00-12:00",
}


def opening_suggestions(result: Coverage, subject: Subject, *, limit: int = 10) -> list[dict]:
    """Existing places that offer the subject, but not at this time: the residents now
    beyond the radius each would bring within it if it opened then too, most first.

    Nothing for "any time" (every place offering the subject already counts). One query
    (the places offering the subject at any time).
    """
    radius = result.radius_km
    far = [r for r in result.rows if r.beyond(radius)]
    if not result.instants or not far:
        return []
    index = _Cells([(r.latitude, r.longitude, r) for r in far], radius)
    ranked = []
    for lat, lon, pk, name in candidate_places(subject, []):
        if pk in result.place_keys:
            continue
        reached = [
            r
            for r in index.near(lat, lon)
            if haversine_km(lat, lon, r.latitude, r.longitude) <= radius
        ]
        gain = sum(r.population for r in reached)
        if gain:
            ranked.append({"place_id": pk, "name": name, "gain": gain, "communes": len(reached)})
    ranked.sort(key=lambda s: (-s["gain"], s["name"], s["place_id"]))
    return ranked[:limit]


def published_place(value: str):
    """The published, located place whose id or slug is `value`, or None."""
    places = Place.objects.filter(status=Place.Status.PUBLISHED, latitude__isnull=False)
    if value.isdigit() and len(value) < 19:
        found = places.filter(pk=int(value)).first()
        if found is not None:
            return found
    return places.filter(slug=value).first()


def kinds_offered(place) -> list:
    """The service kinds of a place's live offers, in the catalogue's order."""
    live = available_offers(ServiceOffer.objects.filter(place=place))
    return list(
        ServiceKind.objects.filter(pk__in=live.values("kind_id")).order_by("position", "pk")
    )


def hours_kept(place, kinds) -> str:
    """The weekly hours (OSM) a place keeps today for these service kinds: the own
    schedule of its first live offer of them that has one, else the place's hours; ""
    when there are none or they have no exact OSM form (exceptions aside)."""
    slugs = [k.slug for k in kinds]
    offer = (
        available_offers(ServiceOffer.objects.filter(place=place, kind__slug__in=slugs))
        .filter(schedule__isnull=False)
        .order_by("pk")
        .first()
    )
    schedule = (
        Schedule.objects.filter(offer=offer).first()
        if offer is not None
        else Schedule.objects.filter(place=place).first()
    )
    text, _why = osm_export(schedule)
    return text


def extra_opening(place, kinds, time: str) -> str:
    """The hours kept, plus the opening a suggestion proposes for `time` (OSM): added as an
    additional rule (", "), before the public-holiday rules so these still apply."""
    extra = EXTRA_OPENINGS.get(time, "")
    kept = hours_kept(place, kinds)
    if not extra or not kept:
        return kept or extra
    rules = [rule.strip() for rule in kept.split(";") if rule.strip()]
    holidays = [rule for rule in rules if rule.startswith("PH")]
    others = [rule for rule in rules if not rule.startswith("PH")]
    if not others:
        return "; ".join([extra, *holidays])
    return "; ".join(["; ".join(others) + ", " + extra, *holidays])


class _Cells:
    """Points in cells as wide as the radius: the near ones are in the 3 × 3 around."""

    def __init__(self, points, radius_km: float):
        self.lat_step = radius_km / 111.0
        self.cells: dict[tuple[int, int], list] = {}
        for lat, lon, item in points:
            self.cells.setdefault(self._cell(lat, lon), []).append(item)

    def _cell(self, lat, lon):
        # A longitude cell three times as many degrees: wider than the radius up to 70°N/S.
        return (math.floor(lat / self.lat_step), math.floor(lon / self.lat_step / 3))

    def near(self, lat: float, lon: float):
        i, j = self._cell(lat, lon)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                yield from self.cells.get((i + di, j + dj), ())


def scenarios_for_compare(pks: Iterable[int]) -> list[Scenario]:
    return list(Scenario.objects.filter(pk__in=list(pks)).prefetch_related("kinds").order_by("pk"))
