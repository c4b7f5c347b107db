"""Source formats: how each file is read and how one of its rows becomes a Record.

Cleaning rules shared by every format live in `RowCleaner`: a value that cannot be used
is dropped with a warning, except the name and the coordinates, whose problems reject
the row (a place without a name, or placed in the wrong hemisphere, would mislead).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext as _

from api.imports.hours import FS_DAY_COLUMNS, HoursError, check_osm, france_services_to_osm
from api.imports.readers import (
    DamagedRow,
    ImportFileError,
    detect_encoding,
    iter_csv,
    iter_json_array,
    read_csv_header,
)
from api.imports.records import Issue, Record, RowRejected
from api.imports.vocabulary import (
    ACCESS_MODES,
    AUDIENCES,
    FEES,
    FRANCE_SERVICES_OFFERS,
    LABELS,
    LMN_SERVICES,
    OWN_PROVIDER,
    normalize_value,
    split_values,
)
from places.models import Place, Typology
from places.validators import validate_insee_code, validate_siret
from services.models import AccessMode, Audience, ServiceKind, ServiceOffer

FRANCE_SERVICES_NETWORK = ("france-services", "France Services")
SIX_PLACES = Decimal("0.000001")
PLACEHOLDER_SIRET = "00000000000000"
PLACEHOLDER_DATE = "1970-01-01"


def _max_length(name: str) -> int:
    return Place._meta.get_field(name).max_length


class RowCleaner:
    """Turns raw cell values into place field values, collecting warnings for one row."""

    def __init__(self, row: int, external_id: str):
        self.row = row
        self.external_id = external_id
        self.warnings: list[Issue] = []
        # Set by osm_hours: the column read, and the text when it cannot be read.
        self.hours_field = "opening_hours"
        self.hours_text: str | None = None

    def reject(self, code: str, field_name: str, message: str) -> RowRejected:
        return RowRejected(code, field_name, message, external_id=self.external_id)

    def warn(self, code: str, field_name: str, message: str) -> None:
        self.warnings.append(Issue(self.row, self.external_id, code, field_name, message))

    @staticmethod
    def raw(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            return "|".join(str(v) for v in value if v is not None)
        return " ".join(str(value).split())

    def text(self, field_name: str, value: Any, target: str) -> str:
        text = self.raw(value)
        limit = _max_length(target)
        if limit and len(text) > limit:
            self.warn(
                "text_truncated",
                field_name,
                _("%(field)s: %(length)s characters, cut to %(limit)s")
                % {"field": field_name, "length": len(text), "limit": limit},
            )
            text = text[:limit].rstrip()
        return text

    def name(self, field_name: str, value: Any) -> str:
        name = self.text(field_name, value, "name")
        if not name:
            raise self.reject(
                "name_missing",
                field_name,
                _("%(field)s: empty: row rejected") % {"field": field_name},
            )
        return name

    def _coordinate(self, field_name: str, value: Any, bound: int) -> Decimal | None:
        text = self.raw(value).replace(",", ".")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise self.reject(
                "coordinates_invalid",
                field_name,
                _("%(field)s: %(value)r is not a number: row rejected")
                % {"field": field_name, "value": text},
            ) from None
        if not number.is_finite() or not -bound <= number <= bound:
            raise self.reject(
                "coordinates_out_of_range",
                field_name,
                _("%(field)s: %(value)s out of range: row rejected")
                % {"field": field_name, "value": text},
            )
        return number.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)

    def coordinates(
        self, lat_field: str, lat: Any, lon_field: str, lon: Any
    ) -> tuple[Decimal | None, Decimal | None]:
        latitude = self._coordinate(lat_field, lat, 90)
        longitude = self._coordinate(lon_field, lon, 180)
        if (latitude is None) != (longitude is None):
            missing = lat_field if latitude is None else lon_field
            raise self.reject(
                "coordinates_incomplete",
                missing,
                _("%(field)s: missing while the other coordinate is given: row rejected")
                % {"field": missing},
            )
        if latitude is None:
            self.warn(
                "coordinates_missing",
                lat_field,
                _("%(lat)s/%(lon)s: missing: the place is not on the map")
                % {"lat": lat_field, "lon": lon_field},
            )
        return latitude, longitude

    def postcode(self, field_name: str, value: Any) -> str:
        text = self.raw(value).replace(" ", "")
        if re.fullmatch(r"\d{4}", text):
            text = "0" + text  # a spreadsheet ate the leading zero (01200 -> 1200)
        if not text or re.fullmatch(r"\d{5}", text):
            return text
        self.warn(
            "postcode_invalid",
            field_name,
            _("%(field)s: %(value)r is not a French postcode: dropped")
            % {"field": field_name, "value": text},
        )
        return ""

    def insee(self, field_name: str, value: Any) -> str:
        text = self.raw(value).upper()
        if re.fullmatch(r"\d{4}", text):
            text = "0" + text
        if not text:
            return ""
        try:
            validate_insee_code(text)
        except ValidationError:
            self.warn(
                "insee_invalid",
                field_name,
                _("%(field)s: %(value)r is not an INSEE commune code: dropped")
                % {"field": field_name, "value": text},
            )
            return ""
        return text

    def siret(self, field_name: str, value: Any) -> str:
        text = self.raw(value).replace(" ", "")
        if not text or text == PLACEHOLDER_SIRET:
            return ""
        try:
            validate_siret(text)
        except ValidationError:
            self.warn(
                "siret_invalid",
                field_name,
                _("%(field)s: %(value)r is not a valid SIRET: dropped")
                % {"field": field_name, "value": text},
            )
            return ""
        return text

    def email(self, field_name: str, value: Any) -> str:
        addresses = [a for a in re.split(r"[|;,\s]+", self.raw(value)) if a]
        if not addresses:
            return ""
        if len(addresses) > 1:
            self.warn(
                "email_extra",
                field_name,
                _("%(field)s: %(count)s addresses, the first one is kept")
                % {"field": field_name, "count": len(addresses)},
            )
        address = addresses[0]
        try:
            EmailValidator()(address)
        except ValidationError:
            self.warn(
                "email_invalid",
                field_name,
                _("%(field)s: %(value)r is not an email address: dropped")
                % {"field": field_name, "value": address},
            )
            return ""
        return address

    def url(self, field_name: str, value: Any) -> str:
        text = self.raw(value).split(" ")[0] if self.raw(value) else ""
        if not text:
            return ""
        if not re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
            text = "http://" + text  # "www.example.fr": http works everywhere, https may not
        try:
            URLValidator(schemes=["http", "https"])(text)
            if len(text) > _max_length("website"):
                raise ValidationError("too long")
        except ValidationError:
            self.warn(
                "url_invalid",
                field_name,
                _("%(field)s: %(value)r is not a usable web address: dropped")
                % {"field": field_name, "value": self.raw(value)},
            )
            return ""
        return text

    def phone(self, field_name: str, value: Any) -> str:
        text = self.raw(value)
        if len(text) > _max_length("phone"):
            self.warn(
                "phone_invalid",
                field_name,
                _("%(field)s: %(value)r is too long for a phone number: dropped")
                % {"field": field_name, "value": text},
            )
            return ""
        return text

    def osm_hours(self, field_name: str, value: Any) -> str | None:
        self.hours_field = field_name
        text = self.raw(value)
        if not text:
            return None
        try:
            return check_osm(text)
        except HoursError as exc:
            self.warn(
                "hours_unreadable",
                field_name,
                _("%(field)s: %(value)r cannot be read: kept as text, no calendar (%(error)s)")
                % {"field": field_name, "value": text, "error": exc},
            )
            self.hours_text = text
            return None

    def unmapped(self, field_name: str, value: str) -> list[str]:
        """A value the registry has no equivalent for: warned about, kept as provenance."""
        self.warn(
            "value_unmapped",
            field_name,
            _("%(field)s: %(value)r matches nothing in the registry: kept as provenance")
            % {"field": field_name, "value": value},
        )
        return [field_name, value]

    def date(self, value: Any) -> str | None:
        text = self.raw(value)
        return None if not text or text.startswith(PLACEHOLDER_DATE) else text


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values: an empty cell never erases what the registry already knows."""
    return {k: v for k, v in data.items() if v not in ("", None)}


# --- tiers-lieux 2019 (CGET) ---------------------------------------------------------


def tiers_lieux_2019(row: Mapping[str, str], number: int) -> Record:
    clean = RowCleaner(number, row.get("ID", "").strip())
    if not clean.external_id:
        raise RowRejected("id_missing", "ID", _("ID: empty: row rejected"))
    name = clean.name("NOM_TL", row.get("NOM_TL"))
    latitude, longitude = clean.coordinates("LAT", row.get("LAT"), "LONG", row.get("LONG"))
    typo = clean.raw(row.get("TYPO")).casefold()
    if "coworking" in typo:
        typology = Typology.Code.COWORKING
    elif "fablab" in typo or "fab lab" in typo:
        typology = Typology.Code.FABLAB
    else:
        if typo:
            clean.warn(
                "typology_unknown",
                "TYPO",
                _("TYPO: %(value)r is not a known kind: typology 'other'")
                % {"value": row.get("TYPO")},
            )
        typology = Typology.Code.OTHER
    data = _compact(
        {
            "name": name,
            "address": clean.text("ADRESSE", row.get("ADRESSE"), "address"),
            "postcode": clean.postcode("CP", row.get("CP")),
            "commune": clean.text("NOMCOM", row.get("NOMCOM"), "commune"),
            "insee_code": clean.insee("INSEECOM", row.get("INSEECOM")),
            "latitude": latitude,
            "longitude": longitude,
            "website": clean.url("WEB", row.get("WEB")),
        }
    )
    return Record(
        row=number,
        source="tiers-lieux-2019",
        external_id=clean.external_id,
        data=data,
        typologies=[typology],
        provenance={"geocoder_precision": clean.raw(row.get("PRECISION")) or None},
        warnings=clean.warnings,
    )


# --- France Services (ANCT) ----------------------------------------------------------

ITINERANT_FORMATS = {"itinérante", "bus_équivalent"}


# The mediation profile's access, as access modes of the France Services offers.
FS_ACCESS_MODES = {"both": ["walk_in", "appointment"], "walk_in": ["walk_in"], "": []}


def france_services(row: Mapping[str, str], number: int) -> Record:
    clean = RowCleaner(number, row.get("id_fs", "").strip())
    if not clean.external_id:
        raise RowRejected("id_missing", "id_fs", _("id_fs: empty: row rejected"))
    name = clean.name("lib_fs", row.get("lib_fs"))
    latitude, longitude = clean.coordinates(
        "latitude", row.get("latitude"), "longitude", row.get("longitude")
    )
    address = ", ".join(
        filter(None, (clean.raw(row.get("adresse")), clean.raw(row.get("complement_adresse"))))
    )
    hours = None
    try:
        hours, notes = france_services_to_osm(row)
        for note in notes:
            clean.warn("hours_tidied", "h_lundi..h_samedi", note)
        if hours:
            check_osm(hours)
    except HoursError as exc:
        clean.warn(
            "hours_unreadable",
            "h_lundi..h_samedi",
            _("%(error)s: kept as text, no calendar") % {"error": exc},
        )
        hours = None
        clean.hours_text = "; ".join(
            f"{column}: {clean.raw(row.get(column))}"
            for column, _day in FS_DAY_COLUMNS
            if clean.raw(row.get(column))
        )
    clean.hours_field = "h_lundi..h_samedi"
    rdv = clean.raw(row.get("prise_rdv")).casefold()
    # The France Services charter requires a walk-in counter; "Oui" adds appointments.
    access = {"oui": "both", "non": "walk_in"}.get(rdv, "")
    data = _compact(
        {
            "name": name,
            "address": clean.text("adresse", address, "address"),
            "postcode": clean.postcode("code_postal", row.get("code_postal")),
            "commune": clean.text("lib_com", row.get("lib_com"), "commune"),
            "insee_code": clean.insee("insee_com", row.get("insee_com")),
            "latitude": latitude,
            "longitude": longitude,
            "phone": clean.phone("telephone", row.get("telephone")),
            "email": clean.email("mail", row.get("mail")),
            "description": (row.get("commentaire") or "").strip(),
        }
    )
    data["itinerant"] = clean.raw(row.get("format_fs")).casefold() in ITINERANT_FORMATS
    return Record(
        row=number,
        source="france-services",
        external_id=clean.external_id,
        data=data,
        typologies=[Typology.Code.FRANCE_SERVICES],
        networks=[FRANCE_SERVICES_NETWORK[0]],
        profiles={"mediation": {"access": access}} if access else {},
        offers=[
            {"kind": kind, "provider": provider, "access_modes": FS_ACCESS_MODES[access]}
            for kind, provider in FRANCE_SERVICES_OFFERS
        ],
        hours=hours,
        hours_text=clean.hours_text,
        hours_field=clean.hours_field,
        provenance={
            "type_fs": clean.raw(row.get("type_fs")) or None,
            "format_fs": clean.raw(row.get("format_fs")) or None,
            "labellisation_fs": clean.raw(row.get("labellisation_fs")) or None,
        },
        warnings=clean.warnings,
    )


# --- lieux de médiation numérique (2022 and 2023 layouts) -----------------------------


def _split(value: Any, separators: str) -> list[str]:
    return split_values(value, separators)


def labels_to_networks(
    clean: RowCleaner, field_name: str, labels: list[str]
) -> tuple[list[str], list[list[str]]]:
    """Network slugs of the labels the registry knows; the others kept as provenance."""
    slugs: list[str] = []
    unmapped: list[list[str]] = []
    for label in labels:
        known = LABELS.get(normalize_value(label))
        if known is None:
            unmapped.append(clean.unmapped(field_name, label))
        elif known[0] not in slugs:
            slugs.append(known[0])
    return slugs, unmapped


def lmn_offers(
    clean: RowCleaner, row: Mapping[str, Any], separators: str
) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """The offers a médiation numérique row gives: one per service kind its `services`
    name, with the row's fees, audiences, access and appointment link as their terms."""
    unmapped: list[list[str]] = []
    kinds: list[str] = []
    for value in _split(row.get("services"), separators):
        kind = LMN_SERVICES.get(normalize_value(value))
        if kind is None:
            unmapped.append(clean.unmapped("services", value))
        elif kind not in kinds:
            kinds.append(kind)
    terms: dict[str, Any] = {}
    fee_key = "frais_a_charge" if row.get("frais_a_charge") else "conditions_access"
    fees = []
    for value in _split(row.get(fee_key), r"[|;]|,\s+"):
        known = FEES.get(normalize_value(value))
        if known is None:
            unmapped.append(clean.unmapped(fee_key, value))
        elif known not in fees:
            fees.append(known)
    if len(fees) == 1:
        terms["fees"], terms["fees_details"] = fees[0]
    elif fees:
        # "Gratuit|Payant": it depends, and the details say on what.
        terms["fees"] = "conditions"
        terms["fees_details"] = ", ".join(v for v in _split(row.get(fee_key), r"[|;]|,\s+"))[:255]
    audiences: list[str] = []
    for key in ("publics_accueillis", "publics_specifiquement_adresses"):
        for value in _split(row.get(key), r"[|;]|,\s+"):
            known = AUDIENCES.get(normalize_value(value))
            if known is None:
                unmapped.append(clean.unmapped(key, value))
            elif known not in audiences:
                audiences.append(known)
    if audiences:
        terms["audiences"] = sorted(audiences)
    modes: list[str] = []
    for value in _split(row.get("modalites_acces"), r"[|;]|,\s+"):
        known = ACCESS_MODES.get(normalize_value(value))
        if known is None:
            unmapped.append(clean.unmapped("modalites_acces", value))
        elif known not in modes:
            modes.append(known)
    rdv = RowCleaner.raw(row.get("prise_rdv"))
    if rdv:
        try:
            URLValidator(schemes=["http", "https"])(rdv)
            if len(rdv) > 200:
                raise ValidationError("too long")
        except ValidationError:
            unmapped.append(clean.unmapped("prise_rdv", rdv))
        else:
            terms["appointment_url"] = rdv
            if "appointment" not in modes:
                modes.append("appointment")
    if modes:
        terms["access_modes"] = sorted(modes)
    # How the help is given (one to one, workshops, on one's own): no field of the
    # registry says it, so the offers' description does, verbatim.
    support = _split(row.get("modalites_accompagnement"), r"[|;]|,\s+")
    if support:
        terms["description"] = ", ".join(support)
    offers = [{"kind": kind, "provider": OWN_PROVIDER, **terms} for kind in kinds]
    return offers, unmapped


def lmn(row: Any, number: int) -> Record:
    if not isinstance(row, dict):
        raise RowRejected("not_an_object", "", _("the record is not a JSON object: row rejected"))
    clean = RowCleaner(number, RowCleaner.raw(row.get("id")))
    if not clean.external_id:
        raise RowRejected("id_missing", "id", _("id: empty: row rejected"))
    # 2023 layout: `courriels`, `frais_a_charge`, "|" between values; 2022: ", ".
    layout_2023 = any(k in row for k in ("courriels", "frais_a_charge", "code_insee")) or "|" in (
        RowCleaner.raw(row.get("services"))
    )
    separators = r"\|" if layout_2023 else r",\s+"
    name = clean.name("nom", row.get("nom"))
    latitude, longitude = clean.coordinates(
        "latitude", row.get("latitude"), "longitude", row.get("longitude")
    )
    row_source = RowCleaner.raw(row.get("source"))
    labels = _split(row.get("labels_nationaux"), r"[|;,]")
    is_france_services = any(normalize_label(lbl) == "france services" for lbl in labels) or (
        row_source == "france-services"
    )
    if is_france_services:
        typology = Typology.Code.FRANCE_SERVICES
    elif row_source == "france-tiers-lieux":
        # France Tiers-Lieux covers coworkings, fab labs, friches...: the kind is unknown.
        typology = Typology.Code.OTHER
    else:
        typology = Typology.Code.EPN
    networks, unmapped = labels_to_networks(clean, "labels_nationaux", labels)
    other_labels = _split(row.get("labels_autres"), r"[|;,]")
    more, unmapped_other = labels_to_networks(clean, "labels_autres", other_labels)
    networks += [n for n in more if n not in networks]
    if is_france_services and FRANCE_SERVICES_NETWORK[0] not in networks:
        networks.append(FRANCE_SERVICES_NETWORK[0])
    offers, unmapped_offers = lmn_offers(clean, row, separators)
    email_key = "courriels" if "courriels" in row else "courriel"
    data = _compact(
        {
            "name": name,
            "address": clean.text("adresse", row.get("adresse"), "address"),
            "postcode": clean.postcode("code_postal", row.get("code_postal")),
            "commune": clean.text("commune", row.get("commune"), "commune"),
            "insee_code": clean.insee("code_insee", row.get("code_insee")),
            "latitude": latitude,
            "longitude": longitude,
            "phone": clean.phone("telephone", row.get("telephone")),
            "email": clean.email(email_key, row.get(email_key)),
            "website": clean.url("site_web", row.get("site_web")),
            "legal_id": clean.siret("pivot", row.get("pivot")),
            "short_description": clean.text(
                "presentation_resume", row.get("presentation_resume"), "short_description"
            ),
            "description": (RowCleaner.raw(row.get("presentation_detail")) or "").strip(),
        }
    )
    return Record(
        row=number,
        source="lmn",
        external_id=clean.external_id,
        data=data,
        typologies=[typology],
        networks=networks,
        offers=offers,
        unmapped=unmapped + unmapped_other + unmapped_offers,
        hours=clean.osm_hours("horaires", row.get("horaires")),
        hours_text=clean.hours_text,
        hours_field=clean.hours_field,
        provenance={
            "layout": "2023" if layout_2023 else "2022",
            "source": row_source or None,
            "date_maj": clean.date(row.get("date_maj")),
            "services": _split(row.get("services"), separators),
            "labels": labels,
            "fees": RowCleaner.raw(row.get("frais_a_charge") or row.get("conditions_access"))
            or None,
        },
        warnings=clean.warnings,
    )


def normalize_label(value: str) -> str:
    return " ".join(value.casefold().replace("-", " ").split())


# --- data·inclusion structures (schema v1) --------------------------------------------

# data·inclusion `typologie` codes that name one of our kinds; anything else is "other".
DATA_INCLUSION_TYPOLOGIES = {
    "RFS": Typology.Code.FRANCE_SERVICES,  # Réseau France Services
    "MSAP": Typology.Code.FRANCE_SERVICES,
    "BIB": Typology.Code.MEDIATHEQUE,
    "MJC": Typology.Code.MJC,
    "MQ": Typology.Code.MJC,
    "TIERS_LIEUX": Typology.Code.OTHER,
}


# data·inclusion v1 service values -> the offers' terms (the inverse of
# api/exports/data_inclusion.py); a value not here is kept as provenance.
DI_TYPES = {"information": "information", "accompagnement": "partial"}
DI_FRAIS = {"gratuit": ServiceOffer.Fees.FREE, "payant": ServiceOffer.Fees.PAID}
DI_PUBLICS = {
    "tous-publics": Audience.ALL,
    "jeunes": Audience.YOUNG,
    "seniors": Audience.SENIORS,
    "demandeurs-emploi": Audience.JOB_SEEKERS,
    "familles": Audience.FAMILIES,
    "personnes-en-situation-de-handicap": Audience.DISABLED,
    "personnes-exilees": Audience.NEWCOMERS,
    "actifs": Audience.ENTREPRENEURS,
}
DI_MOBILISATION = {
    "se-presenter": AccessMode.WALK_IN,
    "telephoner": AccessMode.PHONE,
    "envoyer-un-courriel": AccessMode.ONLINE,
    "utiliser-lien-mobilisation": AccessMode.APPOINTMENT,
}


def service_kinds_by_name() -> dict[str, str]:
    """{normalised name (French or English) or sorted thematiques: kind slug} of the
    catalogue, to read data·inclusion services (which name their service, not a code)."""
    found: dict[str, str] = {}
    by_thematiques: dict[str, list[str]] = {}
    for slug, name, name_en, codes in ServiceKind.objects.values_list(
        "slug", "name", "name_en", "data_inclusion_thematiques"
    ):
        for value in (name, name_en):
            if value:
                found.setdefault(normalize_value(value).rstrip("."), slug)
        if codes:
            by_thematiques.setdefault("|".join(sorted(codes)), []).append(slug)
    # Thematiques name a kind only when no other kind has the same ones.
    found.update({key: slugs[0] for key, slugs in by_thematiques.items() if len(slugs) == 1})
    return found


def data_inclusion_offers(
    clean: RowCleaner,
    services: list[dict[str, Any]],
    kinds: Mapping[str, str],
    structure_hours: str = "",
) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """The offers of a structure's data·inclusion services: the kind from the service's
    name (else its thematiques), run by the importing organisation's own provider.

    Imported offers follow their place's hours (decision 0011): a service's own
    `horaires_accueil` is kept as provenance."""
    offers: list[dict[str, Any]] = []
    unmapped: list[list[str]] = []
    for service in services:
        hours = RowCleaner.raw(service.get("horaires_accueil"))
        if hours and hours != structure_hours:
            unmapped.append(clean.unmapped("service.horaires_accueil", hours))
        name = RowCleaner.raw(service.get("nom"))
        codes = service.get("thematiques") or []
        kind = kinds.get(normalize_value(name).rstrip(".")) or kinds.get(
            "|".join(sorted(str(c) for c in codes))
        )
        if kind is None:
            unmapped.append(clean.unmapped("services", name))
            continue
        offer: dict[str, Any] = {"kind": kind, "provider": OWN_PROVIDER}
        service_type = RowCleaner.raw(service.get("type"))
        if service_type in DI_TYPES:
            offer["level"] = DI_TYPES[service_type]
        elif service_type:
            unmapped.append(clean.unmapped("type", service_type))
        frais = RowCleaner.raw(service.get("frais"))
        details = RowCleaner.raw(service.get("frais_precisions"))
        if frais in DI_FRAIS:
            offer["fees"] = DI_FRAIS[frais]
        elif details:
            offer["fees"] = ServiceOffer.Fees.CONDITIONS  # "it depends": the details say on what
        if details:
            offer["fees_details"] = details[:255]
        audiences = []
        for public in service.get("publics") or []:
            if public in DI_PUBLICS:
                audiences.append(DI_PUBLICS[public])
            else:
                unmapped.append(clean.unmapped("publics", str(public)))
        if audiences:
            offer["audiences"] = sorted(set(audiences))
        modes = {
            DI_MOBILISATION[m]
            for m in service.get("modes_mobilisation") or []
            if m in DI_MOBILISATION
        }
        link = RowCleaner.raw(service.get("lien_mobilisation"))
        if link:
            offer["appointment_url"] = link
            modes.add(AccessMode.APPOINTMENT)
        if "a-distance" in (service.get("modes_accueil") or []) and AccessMode.PHONE not in modes:
            modes.add(AccessMode.ONLINE)
        if modes:
            offer["access_modes"] = sorted(modes)
        description = RowCleaner.raw(service.get("description")).strip()
        if description:
            offer["description"] = description
        offers.append(offer)
    return offers, unmapped


DATA_INCLUSION_RESEAUX = {
    "france-service": Typology.Code.FRANCE_SERVICES,
    "espaces-publics-numeriques": Typology.Code.EPN,
    "mjc": Typology.Code.MJC,
}


def data_inclusion(
    row: Any,
    number: int,
    services: list[dict[str, Any]] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> Record:
    """A data·inclusion structure, with the offers of its services when the services
    file was given (`services`, read beside it, and the catalogue's `kinds`)."""
    if not isinstance(row, dict):
        raise RowRejected("not_an_object", "", _("the record is not a JSON object: row rejected"))
    row_source = RowCleaner.raw(row.get("source"))
    raw_id = RowCleaner.raw(row.get("id"))
    clean = RowCleaner(number, f"{row_source}:{raw_id}" if row_source and raw_id else raw_id)
    if not raw_id:
        raise RowRejected("id_missing", "id", _("id: empty: row rejected"))
    name = clean.name("nom", row.get("nom"))
    latitude, longitude = clean.coordinates(
        "latitude", row.get("latitude"), "longitude", row.get("longitude")
    )
    code = RowCleaner.raw(row.get("typologie")).upper()
    raw_labels = _split(row.get("labels_nationaux"), r"[|;,]")
    labels = [normalize_label(v) for v in raw_labels]
    typology = DATA_INCLUSION_TYPOLOGIES.get(code, Typology.Code.OTHER)
    # Schema v1 names networks in `reseaux_porteurs`: an EPN or MJC said there is one,
    # whatever its typologie (the EPN's is TIERS_LIEUX); France Services the same.
    reseaux = _split(row.get("reseaux_porteurs"), r"[|;,]")
    unmapped_reseaux = []
    for reseau in reseaux:
        if reseau in DATA_INCLUSION_RESEAUX:
            if typology == Typology.Code.OTHER or reseau == "france-service":
                typology = DATA_INCLUSION_RESEAUX[reseau]
        else:
            unmapped_reseaux.append(clean.unmapped("reseaux_porteurs", reseau))
    if "france service" in labels or "france services" in labels:
        typology = Typology.Code.FRANCE_SERVICES
    networks, unmapped = labels_to_networks(clean, "labels_nationaux", raw_labels)
    more, unmapped_other = labels_to_networks(
        clean, "labels_autres", _split(row.get("labels_autres"), r"[|;,]")
    )
    networks += [n for n in more if n not in networks]
    if typology == Typology.Code.FRANCE_SERVICES and FRANCE_SERVICES_NETWORK[0] not in networks:
        networks.append(FRANCE_SERVICES_NETWORK[0])
    offers, unmapped_offers = data_inclusion_offers(
        clean, services or [], kinds or {}, RowCleaner.raw(row.get("horaires_accueil"))
    )
    data = _compact(
        {
            "name": name,
            "address": clean.text(
                "adresse",
                ", ".join(
                    filter(
                        None,
                        (
                            RowCleaner.raw(row.get("adresse")),
                            RowCleaner.raw(row.get("complement_adresse")),
                        ),
                    )
                ),
                "address",
            ),
            "postcode": clean.postcode("code_postal", row.get("code_postal")),
            "commune": clean.text("commune", row.get("commune"), "commune"),
            "insee_code": clean.insee("code_insee", row.get("code_insee")),
            "latitude": latitude,
            "longitude": longitude,
            "phone": clean.phone("telephone", row.get("telephone")),
            "email": clean.email("courriel", row.get("courriel")),
            "website": clean.url("site_web", row.get("site_web")),
            "legal_id": clean.siret("siret", row.get("siret")),
            "short_description": clean.text(
                "presentation_resume", row.get("presentation_resume"), "short_description"
            ),
            # Schema v1 has one `description`; v0 had `presentation_detail`.
            "description": (
                RowCleaner.raw(row.get("presentation_detail") or row.get("description")) or ""
            ).strip(),
            "acceslibre_url": clean.url("accessibilite_lieu", row.get("accessibilite_lieu")),
        }
    )
    return Record(
        row=number,
        source="data-inclusion",
        external_id=clean.external_id,
        data=data,
        typologies=[typology],
        networks=networks,
        offers=offers,
        unmapped=unmapped + unmapped_other + unmapped_reseaux + unmapped_offers,
        hours=clean.osm_hours("horaires_accueil", row.get("horaires_accueil")),
        hours_text=clean.hours_text,
        hours_field=clean.hours_field,
        provenance={
            "source": row_source or None,
            "typologie": code or None,
            "date_maj": clean.date(row.get("date_maj")),
        },
        warnings=clean.warnings,
    )


# --- generic CSV with a column mapping ------------------------------------------------

CSV_FIELDS = {
    "id",
    "name",
    "address",
    "postcode",
    "commune",
    "insee_code",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website",
    "legal_id",
    "description",
    "short_description",
    "opening_hours",
    "typology",
}
CSV_OPTIONS = {"delimiter", "encoding", "source", "default_typology"}


def load_mapping(path: Path | None) -> dict[str, str]:
    """Read and check a column mapping file: {"name": "NOM", "latitude": "LAT", ...}."""
    if path is None:
        raise ImportFileError(_("The csv format needs --mapping MAPPING.json."))
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFileError(
            _("The mapping file %(path)s cannot be read: %(error)s.") % {"path": path, "error": exc}
        ) from None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise ImportFileError(_("The mapping must be a JSON object of strings."))
    unknown = set(mapping) - CSV_FIELDS - CSV_OPTIONS
    if unknown:
        raise ImportFileError(
            _("Unknown mapping keys: %(keys)s (fields: %(fields)s).")
            % {"keys": ", ".join(sorted(unknown)), "fields": ", ".join(sorted(CSV_FIELDS))}
        )
    for required in ("id", "name"):
        if required not in mapping:
            raise ImportFileError(
                _("The mapping must name the %(key)r column.") % {"key": required}
            )
    default = mapping.get("default_typology", Typology.Code.OTHER)
    if default not in Typology.Code.values:
        raise ImportFileError(_("default_typology: %(code)r is unknown.") % {"code": default})
    return mapping


def generic_csv(mapping: Mapping[str, str]) -> Callable[[Mapping[str, str], int], Record]:
    source = mapping.get("source") or "csv"

    def convert(row: Mapping[str, str], number: int) -> Record:
        def cell(key: str) -> str:
            return row.get(mapping[key], "") if key in mapping else ""

        clean = RowCleaner(number, cell("id").strip())
        if not clean.external_id:
            raise RowRejected(
                "id_missing",
                mapping["id"],
                _("%(field)s: empty: row rejected") % {"field": mapping["id"]},
            )
        name = clean.name(mapping["name"], cell("name"))
        latitude, longitude = clean.coordinates(
            mapping.get("latitude", "latitude"),
            cell("latitude"),
            mapping.get("longitude", "longitude"),
            cell("longitude"),
        )
        typology = mapping.get("default_typology", Typology.Code.OTHER)
        raw_typology = clean.raw(cell("typology")).casefold()
        if raw_typology:
            if raw_typology in Typology.Code.values:
                typology = raw_typology
            else:
                clean.warn(
                    "typology_unknown",
                    mapping["typology"],
                    _("%(field)s: %(value)r is not a typology code: %(default)r used")
                    % {"field": mapping["typology"], "value": raw_typology, "default": typology},
                )

        def col(key: str) -> str:
            return mapping.get(key, key)

        data = _compact(
            {
                "name": name,
                "address": clean.text(col("address"), cell("address"), "address"),
                "postcode": clean.postcode(col("postcode"), cell("postcode")),
                "commune": clean.text(col("commune"), cell("commune"), "commune"),
                "insee_code": clean.insee(col("insee_code"), cell("insee_code")),
                "latitude": latitude,
                "longitude": longitude,
                "phone": clean.phone(col("phone"), cell("phone")),
                "email": clean.email(col("email"), cell("email")),
                "website": clean.url(col("website"), cell("website")),
                "legal_id": clean.siret(col("legal_id"), cell("legal_id")),
                "short_description": clean.text(
                    col("short_description"), cell("short_description"), "short_description"
                ),
                "description": (cell("description") or "").strip(),
            }
        )
        return Record(
            row=number,
            source=source,
            external_id=clean.external_id,
            data=data,
            typologies=[typology],
            hours=clean.osm_hours(col("opening_hours"), cell("opening_hours")),
            hours_text=clean.hours_text,
            hours_field=clean.hours_field,
            warnings=clean.warnings,
        )

    return convert


# --- the format table -----------------------------------------------------------------


@dataclass
class Source:
    """An opened source file: its rows (streamed on each call) and how to convert them."""

    rows: Callable[[], Iterator[Any]]
    convert: Callable[[Any, int], Record]
    notes: list[str]


def _lined(convert: Callable[[Any, int], Record]) -> Callable[[Any, int], Record]:
    """`convert`, refusing the rows the reader could not read and giving every rejection
    the line its row starts on."""

    def read(raw: Any, number: int) -> Record:
        if isinstance(raw, DamagedRow):
            raise RowRejected(raw.code, raw.field, raw.message, line=raw.line)
        try:
            return convert(raw, number)
        except RowRejected as exc:
            exc.line = exc.line or getattr(raw, "line", 0)
            raise

    return read


FORMATS = ("lmn", "data-inclusion", "france-services", "tiers-lieux-2019", "csv")
REQUIRED_COLUMNS = {
    "tiers-lieux-2019": ("ID", "NOM_TL", "LAT", "LONG"),
    "france-services": ("id_fs", "lib_fs", "latitude", "longitude"),
}


def data_inclusion_folder(folder: Path) -> Source:
    """A data·inclusion folder as the platform publishes one: `structures.json` and, when
    present, `services.json`, whose services become the offers of their structures."""
    structures = folder / "structures.json"
    if not structures.is_file():
        raise ImportFileError(_("No such file: %(path)s.") % {"path": structures})
    by_structure: dict[tuple[str, str], list[dict[str, Any]]] = {}
    services = folder / "services.json"
    if services.is_file():
        # Read first and kept in memory: a source's services are a few per structure.
        for service in iter_json_array(services):
            if isinstance(service, dict):
                key = (
                    RowCleaner.raw(service.get("source")),
                    RowCleaner.raw(service.get("structure_id")),
                )
                by_structure.setdefault(key, []).append(service)
    kinds = service_kinds_by_name()

    def convert(row: Any, number: int) -> Record:
        key = (
            (RowCleaner.raw(row.get("source")), RowCleaner.raw(row.get("id")))
            if isinstance(row, dict)
            else ("", "")
        )
        return data_inclusion(row, number, services=by_structure.get(key, []), kinds=kinds)

    return Source(rows=lambda: iter_json_array(structures), convert=convert, notes=[])


def open_source(
    fmt: str,
    path: Path,
    *,
    mapping_path: Path | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Source:
    """Check the file (encoding, header, mapping) and return its row stream and converter."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ImportFileError(_("Unknown format %(fmt)r.") % {"fmt": fmt})
    if fmt == "data-inclusion" and path.is_dir():
        return data_inclusion_folder(path)
    if not path.is_file():
        raise ImportFileError(_("No such file: %(path)s.") % {"path": path})
    if fmt in ("lmn", "data-inclusion"):
        convert = lmn if fmt == "lmn" else data_inclusion
        return Source(rows=lambda: iter_json_array(path), convert=_lined(convert), notes=[])
    mapping: dict[str, str] = {}
    if fmt == "csv":
        mapping = load_mapping(mapping_path)
        encoding = encoding or mapping.get("encoding")
        delimiter = delimiter or mapping.get("delimiter")
    delimiter = delimiter or ","
    if len(delimiter) != 1:
        raise ImportFileError(_("The delimiter must be one character."))
    encoding, note = detect_encoding(path, encoding)
    header = read_csv_header(path, encoding=encoding, delimiter=delimiter)
    if fmt == "csv":
        required = [mapping[k] for k in sorted(CSV_FIELDS) if k in mapping]
        convert = generic_csv(mapping)
    else:
        required = list(REQUIRED_COLUMNS[fmt])
        convert = tiers_lieux_2019 if fmt == "tiers-lieux-2019" else france_services
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportFileError(
            _("Missing column(s): %(missing)s. The file has: %(header)s.")
            % {"missing": ", ".join(missing), "header": ", ".join(header)}
        )
    return Source(
        rows=lambda: iter_csv(path, encoding=encoding, delimiter=delimiter),
        convert=_lined(convert),
        notes=[note] if note else [],
    )
