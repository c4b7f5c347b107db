"""Exports: exact records per format, official data·inclusion validation, round trips
through the importer, streaming (queries per chunk), the command and the HTTP endpoint."""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal

import holidays as pyholidays
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.exports import FORMATS, export
from api.exports.hsds import hsds_id
from api.exports.lmn import LMN_CSV_IMPORT_MAPPING
from api.imports.pipeline import run_import
from api.models import ImportedValue
from places.actions import place_archive, place_create, place_publish
from places.models import Network, Place
from scheduling.actions import exception_add, schedule_set_osm, schedule_set_rules
from scheduling.materialise import default_window
from services.actions import offer_create, offer_end
from services.models import Provider
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

RIGHTS = "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"
ADMIN = "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"


def _today() -> str:
    return timezone.now().astimezone(datetime.UTC).date().isoformat()


def _place(user, organisation, *, typologies, networks=(), **data):
    place = place_create(
        user=user, organisation=organisation, data=data, typologies=typologies, networks=networks
    )
    return place_publish(place=place, user=user, expected_version=None) or place


@pytest.fixture
def registry(organisation, registry_admin):
    """Two published places with offers and schedules, plus a draft and an archived one."""
    user = registry_admin
    network, _ = Network.objects.get_or_create(
        slug="france-services", defaults={"name": "France Services"}
    )
    fs = _place(
        user,
        organisation,
        typologies=["france_services"],
        networks=[network],
        name="France Services Lyon 3",
        short_description="Un guichet pour vos démarches.",
        address="12 rue Paul Bert",
        postcode="69003",
        commune="Lyon",
        insee_code="69383",
        latitude=Decimal("45.760000"),
        longitude=Decimal("4.850000"),
        phone="04 72 00 00 00",
        email="lyon3@france-services.example.org",
        website="https://lyon3.example.org/",
        legal_id="77556026100015",
        acceslibre_url="https://acceslibre.beta.gouv.fr/app/erp/france-services-lyon-3/",
    )
    library = _place(
        user,
        organisation,
        typologies=["mediatheque"],
        name="Médiathèque Jean Macé",
        address="2 rue Domer",
        postcode="69007",
        commune="Lyon",
        insee_code="69387",
        itinerant=True,
    )
    draft = place_create(
        user=user,
        organisation=organisation,
        data={"name": "Brouillon"},
        typologies=["epn"],
    )
    archived = _place(user, organisation, typologies=["epn"], name="Ancien EPN")
    place_archive(place=Place.objects.get(pk=archived.pk), user=user, expected_version=None)

    caf = offer_create(
        place=fs,
        user=user,
        data={
            "kind": "caf",
            "provider": Provider.objects.get(slug="caf"),
            "level": "full",
            "audiences": ["all"],
            "access_modes": ["walk_in", "appointment"],
            "appointment_url": "https://rdv.example.org/caf",
        },
    )
    workshop = offer_create(
        place=library,
        user=user,
        data={
            "kind": "numerique-bases",
            "provider": Provider.objects.get(slug="la-poste"),
            "level": "information",
            "audiences": ["seniors", "job_seekers", "associations"],
            "access_modes": ["walk_in", "online"],
            "fees": "paid",
            "fees_details": "5 € la séance",
            "description": "Ateliers d'initiation à l'ordinateur, le mardi.",
        },
    )
    ended = offer_create(
        place=fs,
        user=user,
        data={"kind": "impots", "provider": Provider.objects.get(slug="dgfip")},
    )
    offer_end(offer=ended, user=user)

    fs_hours = schedule_set_rules(
        user=user,
        place=fs,
        rules=[
            {"kind": "weekly", "days": [0, 1, 2, 3, 4], "times": ["09:00-12:00", "14:00-17:00"]}
        ],
    )
    closure = exception_add(
        user=user,
        schedule=fs_hours,
        kind="closure",
        start_date=datetime.date(2026, 12, 24),
        end_date=datetime.date(2026, 12, 26),
        title="Fermeture de fin d'année",
    )
    schedule_set_rules(
        user=user,
        offer=caf,
        rules=[{"kind": "nth_weekday", "days": [1], "nth": [1, -1], "times": ["14:00-16:00"]}],
    )
    library_hours = schedule_set_rules(
        user=user,
        place=library,
        rules=[
            {
                "kind": "every_n_weeks",
                "days": [5],
                "interval": 2,
                "anchor": "2026-01-03",
                "times": ["10:00-12:00"],
            }
        ],
        public_holidays="open",
    )
    return {
        "fs": Place.objects.get(pk=fs.pk),
        "library": Place.objects.get(pk=library.pk),
        "draft": draft,
        "caf": caf,
        "workshop": workshop,
        "closure": closure,
        "fs_hours": fs_hours,
        "library_hours": library_hours,
    }


def _json(name: str, **kwargs):
    return json.loads("".join(export(name, **kwargs)))


# --- data·inclusion -------------------------------------------------------------------


def test_data_inclusion_structures_exact(registry):
    fs, library = registry["fs"], registry["library"]
    records = _json("data-inclusion-structures")
    assert [r["id"] for r in records] == [str(fs.public_id), str(library.public_id)]
    assert records[0] == {
        "source": "lieux-partages",
        "id": str(fs.public_id),
        "nom": "France Services Lyon 3",
        "date_maj": _today(),
        "description": "Un guichet pour vos démarches.",
        "lien_source": None,
        "siret": "77556026100015",
        "commune": "Lyon",
        "code_postal": "69003",
        "code_insee": "69383",
        "adresse": "12 rue Paul Bert",
        "complement_adresse": None,
        "longitude": 4.85,
        "latitude": 45.76,
        "telephone": "04 72 00 00 00",
        "courriel": "lyon3@france-services.example.org",
        "site_web": "https://lyon3.example.org/",
        "horaires_accueil": "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
        "accessibilite_lieu": "https://acceslibre.beta.gouv.fr/app/erp/france-services-lyon-3/",
        "reseaux_porteurs": ["france-service"],
        "typologie": "RFS",
    }
    # Every two weeks has no exact OSM form: no hours rather than wrong ones.
    assert records[1]["horaires_accueil"] is None
    assert records[1]["typologie"] == "BIB"
    assert records[1]["latitude"] is None and records[1]["description"] is None


def test_data_inclusion_services_exact(registry):
    fs, library, caf, workshop = (
        registry["fs"],
        registry["library"],
        registry["caf"],
        registry["workshop"],
    )
    records = _json("data-inclusion-services")
    # The ended offer is left out.
    assert [r["id"] for r in records] == [
        f"{fs.public_id}--{caf.pk}",
        f"{library.public_id}--{workshop.pk}",
    ]
    first = records[0]
    assert first == {
        "source": "lieux-partages",
        "structure_id": str(fs.public_id),
        "id": f"{fs.public_id}--{caf.pk}",
        "nom": "Prestations familiales et sociales (CAF)",
        "description": (
            "Prestations familiales et sociales (CAF) — Caisse d'allocations familiales (CAF), "
            "France Services Lyon 3"
        ),
        "lien_source": None,
        "date_maj": _today(),
        "type": "accompagnement",
        "thematiques": sorted([RIGHTS, ADMIN]),
        "frais": "gratuit",
        "frais_precisions": None,
        "publics": ["tous-publics"],
        "publics_precisions": None,
        "conditions_acces": None,
        "commune": "Lyon",
        "code_postal": "69003",
        "code_insee": "69383",
        "adresse": "12 rue Paul Bert",
        "complement_adresse": None,
        "longitude": 4.85,
        "latitude": 45.76,
        "telephone": "04 72 00 00 00",
        "courriel": "lyon3@france-services.example.org",
        "modes_accueil": ["en-presentiel"],
        "zone_eligibilite": None,
        "contact_nom_prenom": None,
        "lien_mobilisation": "https://rdv.example.org/caf",
        "modes_mobilisation": ["se-presenter", "utiliser-lien-mobilisation"],
        "mobilisable_par": ["usagers"],
        "mobilisation_precisions": None,
        "volume_horaire_hebdomadaire": None,
        "nombre_semaines": None,
        "horaires_accueil": "Tu[-1,1] 14:00-16:00; PH off",
    }
    second = records[1]
    assert second["description"] == "Ateliers d'initiation à l'ordinateur, le mardi."
    assert (second["type"], second["frais"], second["frais_precisions"]) == (
        "information",
        "payant",
        "5 € la séance",
    )
    # "associations" has no data·inclusion public; the others are mapped.
    assert second["publics"] == ["demandeurs-emploi", "seniors"]
    assert second["modes_accueil"] == ["a-distance", "en-presentiel"]
    # Online without a link nor a phone: only walking in mobilises the service.
    assert second["modes_mobilisation"] == ["se-presenter"]
    assert second["thematiques"] == ["numerique--maitriser-les-fondamentaux-du-numerique"]
    assert second["horaires_accueil"] is None


def test_every_data_inclusion_record_validates_against_the_official_schema(registry):
    from data_inclusion.schema.v1 import Service, Structure

    structures = _json("data-inclusion-structures")
    services = _json("data-inclusion-services")
    assert structures and services
    # ignore_warnings=False turns the schema's warnings (a name ending with a full stop...)
    # into errors too.
    for record in structures:
        Structure.model_validate(record, context={"ignore_warnings": False})
        assert set(record) - set(Structure.model_fields) == {"typologie"}
    for record in services:
        Service.model_validate(record, context={"ignore_warnings": False})
        assert set(record) <= set(Service.model_fields)


def test_data_inclusion_awkward_values_still_validate(organisation, registry_admin):
    from data_inclusion.schema.v1 import Structure

    _place(
        registry_admin,
        organisation,
        typologies=["other"],
        name="FL.",
        short_description="Oui",
        legal_id="W691234567",
    )
    (record,) = _json("data-inclusion-structures")
    Structure.model_validate(record, context={"ignore_warnings": False})
    # No trailing full stop, short names completed, an RNA is not a SIRET, 3-letter
    # descriptions are below the schema's minimum.
    assert record["nom"] == "FL (lieux-partages)"
    assert (record["siret"], record["description"], record["typologie"]) == (None, None, None)


# --- LMN -----------------------------------------------------------------------------


def test_lmn_json_and_csv_exact(registry):
    fs, library = registry["fs"], registry["library"]
    rows = _json("lmn-json")
    assert rows[0] == {
        "id": str(fs.public_id),
        "nom": "France Services Lyon 3",
        "services": "Aide aux démarches administratives",
        "pivot": "77556026100015",
        "commune": "Lyon",
        "code_postal": "69003",
        "adresse": "12 rue Paul Bert",
        "code_insee": "69383",
        "latitude": 45.76,
        "longitude": 4.85,
        "telephone": "04 72 00 00 00",
        "site_web": "https://lyon3.example.org/",
        "horaires": "Mo-Fr 09:00-12:00,14:00-17:00; PH off",
        "courriels": "lyon3@france-services.example.org",
        "labels_nationaux": "France Services",
        "frais_a_charge": "Gratuit",
        "publics_accueillis": "Tout public",
        # Walking in; the appointment is `prise_rdv`.
        "modalites_acces": "Se présenter",
        "prise_rdv": "https://rdv.example.org/caf",
        "presentation_resume": "Un guichet pour vos démarches.",
        "source": "lieux-partages",
        "date_maj": _today(),
    }
    # Empty values are left out, as in the Cartographie nationale's files.
    assert rows[1] == {
        "id": str(library.public_id),
        "nom": "Médiathèque Jean Macé",
        "services": "Maîtrise des outils numériques du quotidien",
        "commune": "Lyon",
        "code_postal": "69007",
        "adresse": "2 rue Domer",
        "code_insee": "69387",
        "frais_a_charge": "Payant",
        # "associations" has no word in the schema.
        "publics_accueillis": "Demandeurs d'emploi|Seniors (+ 65 ans)",
        "modalites_acces": "Contacter par mail|Se présenter",
        # The offers' description, which the importer fills from this field.
        "modalites_accompagnement": "Ateliers d'initiation à l'ordinateur|le mardi.",
        "source": "lieux-partages",
        "date_maj": _today(),
    }
    text = "".join(export("lmn-csv"))
    assert text.startswith("id,nom,services,pivot,commune,code_postal,adresse,code_insee,")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 2
    assert table[0]["horaires"] == "Mo-Fr 09:00-12:00,14:00-17:00; PH off"
    assert (table[0]["latitude"], table[1]["latitude"], table[1]["pivot"]) == ("45.76", "", "")


# --- HSDS ----------------------------------------------------------------------------


def test_hsds_tables(registry):
    fs, library, caf = registry["fs"], registry["library"], registry["caf"]
    doc = _json("hsds")
    assert doc["hsds_version"] == "3.0"
    assert [loc["id"] for loc in doc["locations"]] == [str(fs.public_id), str(library.public_id)]
    names = sorted(o["name"] for o in doc["organizations"])
    assert names == ["Caisse d'allocations familiales (CAF)", "La Poste", "Ville de Lyon"]
    service_ids = {s["id"] for s in doc["services"]}
    assert service_ids == {hsds_id("offer", caf.pk), hsds_id("offer", registry["workshop"].pk)}
    links = {(sal["service_id"], sal["location_id"]) for sal in doc["service_at_locations"]}
    assert (hsds_id("offer", caf.pk), str(fs.public_id)) in links
    assert doc["addresses"][0]["state_province"] == "69"
    assert doc["addresses"][0]["postal_code"] == "69003"

    def rows(**owner):
        key, value = next(iter(owner.items()))
        return [s for s in doc["schedules"] if s.get(key) == value]

    weekly = rows(location_id=str(fs.public_id))
    assert [
        (r["freq"], r["interval"], r["byday"], r["opens_at"], r["closes_at"]) for r in weekly[:2]
    ] == [
        ("WEEKLY", 1, "MO,TU,WE,TH,FR", "09:00", "12:00"),
        ("WEEKLY", 1, "MO,TU,WE,TH,FR", "14:00", "17:00"),
    ]
    assert weekly[0]["notes"] == "Closed on public holidays. Times are local times in Europe/Paris."
    # HSDS 3.0 `timezone` is a UTC offset (a number): Paris's standard one.
    assert {r["timezone"] for r in doc["schedules"]} == {1}
    closure = weekly[2]
    assert (closure["valid_from"], closure["valid_to"]) == ("2026-12-24", "2026-12-26")
    # A closure has no recurrence nor times: the keys are absent, never null.
    assert not {"freq", "opens_at", "closes_at"} & set(closure)
    assert closure["description"] == "Fermeture de fin d'année"
    assert closure["notes"] == "Closed. Times are local times in Europe/Paris."
    (monthly,) = rows(service_at_location_id=hsds_id("service_at_location", caf.pk))
    assert (monthly["freq"], monthly["byday"], monthly["opens_at"], monthly["closes_at"]) == (
        "MONTHLY",
        "-1TU,1TU",
        "14:00",
        "16:00",
    )
    (fortnightly,) = rows(location_id=str(library.public_id))
    assert (fortnightly["freq"], fortnightly["interval"], fortnightly["dtstart"]) == (
        "WEEKLY",
        2,
        "2025-12-29",
    )
    assert fortnightly["notes"].startswith("Usual hours on public holidays.")
    # Ids are stable from one export to the next.
    assert _json("hsds") == doc


# --- GeoJSON and JSON-LD ---------------------------------------------------------------


def test_geojson_feature_collection(registry):
    fs = registry["fs"]
    doc = _json("geojson")
    assert doc["type"] == "FeatureCollection"
    first, second = doc["features"]
    assert first["id"] == str(fs.public_id)
    assert first["geometry"] == {"type": "Point", "coordinates": [4.85, 45.76]}
    assert first["properties"]["typologies"] == ["france_services"]
    assert first["properties"]["networks"] == ["france-services"]
    assert first["properties"]["services"] == ["caf"]
    assert first["properties"]["opening_hours"] == "Mo-Fr 09:00-12:00,14:00-17:00; PH off"
    assert second["geometry"] is None and second["properties"]["itinerant"] is True


def test_jsonld_is_the_place_page_description(registry):
    (first, _second) = _json("jsonld", base_url="https://lieux.example.fr")
    assert first["@context"] == "https://schema.org"
    assert first["identifier"] == str(registry["fs"].public_id)
    assert first["url"].startswith("https://lieux.example.fr/")


def _window_days():
    first, end = default_window()
    return [first + datetime.timedelta(days=k) for k in range((end - first).days)]


def test_jsonld_hours_are_opening_hours_specifications_with_dated_closures(registry):
    first, second = _json("jsonld", base_url="https://lieux.example.fr")
    assert "openingHours" not in first and "openingHours" not in second
    weekdays = [
        f"https://schema.org/{d}" for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
    ]
    assert first["openingHoursSpecification"] == [
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": weekdays,
            "opens": "09:00",
            "closes": "12:00",
        },
        {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": weekdays,
            "opens": "14:00",
            "closes": "17:00",
        },
    ]
    # "Closed on public holidays": each holiday of the window is a day with opens = closes
    # = 00:00 (schema.org's closed); the staff's closure follows, as a date range.
    holidays = [d for d in _window_days() if d in pyholidays.France(years={d.year})]
    assert holidays, "the window of 122 days always holds a public holiday"
    closure = {
        "@type": "OpeningHoursSpecification",
        "validFrom": "2026-12-24",
        "validThrough": "2026-12-26",
        "opens": "00:00",
        "closes": "00:00",
        "description": "Fermeture de fin d'année",
    }
    assert first["specialOpeningHoursSpecification"] == [
        {
            "@type": "OpeningHoursSpecification",
            "validFrom": d.isoformat(),
            "validThrough": d.isoformat(),
            "opens": "00:00",
            "closes": "00:00",
        }
        for d in holidays
    ] + [closure]
    # Every other Saturday has no weekly form: its Saturdays in the window are listed (the
    # library keeps its hours on holidays, so no holiday is closed).
    anchor_week = datetime.date(2025, 12, 29)
    saturdays = [
        d for d in _window_days() if d.weekday() == 5 and ((d - anchor_week).days // 7) % 2 == 0
    ]
    assert "openingHoursSpecification" not in second
    assert second["specialOpeningHoursSpecification"] == [
        {
            "@type": "OpeningHoursSpecification",
            "validFrom": d.isoformat(),
            "validThrough": d.isoformat(),
            "opens": "10:00",
            "closes": "12:00",
        }
        for d in saturdays
    ]


def test_jsonld_never_writes_osm_syntax(organisation, registry_admin):
    place = _place(registry_admin, organisation, typologies=["epn"], name="EPN du Marais")
    schedule_set_osm(
        user=registry_admin, place=place, text="Mo-Fr 09:00-12:00; week 1-20 Sa 10:00-12:00"
    )
    (document,) = _json("jsonld", base_url="https://lieux.example.fr")
    text = json.dumps(document)
    assert "openingHours" not in document and "week 1-20" not in text


def test_nothing_but_published_places(registry):
    ids = {f["id"] for f in _json("geojson")["features"]}
    assert str(registry["draft"].public_id) not in ids
    assert len(ids) == 2
    assert Place.objects.count() == 4


# --- round trips through the importer ---------------------------------------------------


VOLATILE = {"id", "date_maj"}


def _reimport(tmp_path, name: str, import_format: str, **kwargs):
    """Export, empty the registry, import the file, export again."""
    path = tmp_path / f"export-{name}"
    path.write_text("".join(export(name)), encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    Place.objects.all().delete()
    organisation = OrganisationFactory(slug="reimport", name="Réimport")
    report = run_import(
        fmt=import_format, path=path, organisation=organisation, user=UserFactory(), **kwargs
    )
    assert (report.created, report.rejected, report.queued) == (2, 0, 0), report.as_dict()
    return before, "".join(export(name))


def test_lmn_round_trip(registry, tmp_path):
    before, after = _reimport(tmp_path, "lmn-json", "lmn")

    def comparable(text):
        return [{k: v for k, v in row.items() if k not in VOLATILE} for row in json.loads(text)]

    # Everything comes back: services (the offers), labels (the networks), fees,
    # audiences, access, appointment link, descriptions and hours.
    assert comparable(after) == comparable(before)
    first = comparable(before)[0]
    assert {"services", "labels_nationaux", "frais_a_charge", "prise_rdv", "horaires"} <= set(first)
    assert len(first) >= 17


def test_lmn_csv_reads_back_with_the_generic_csv_importer(registry, tmp_path):
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(LMN_CSV_IMPORT_MAPPING), encoding="utf-8")
    before, after = _reimport(tmp_path, "lmn-csv", "csv", mapping_path=mapping)
    # The generic CSV importer reads places, not offers nor networks.
    lost = {
        "services",
        "frais_a_charge",
        "publics_accueillis",
        "modalites_acces",
        "modalites_accompagnement",
        "prise_rdv",
        "labels_nationaux",
        "labels_autres",
    }

    def comparable(text):
        return [
            {k: v for k, v in row.items() if k not in VOLATILE | lost}
            for row in csv.DictReader(io.StringIO(text))
        ]

    assert comparable(after) == comparable(before)


def _di_round_trip(tmp_path):
    """Export structures and services to a folder, empty the registry, import the folder,
    export again: (before, after) of both files."""
    folder = tmp_path / "data-inclusion"
    folder.mkdir()
    before = {}
    for name, file_name in (
        ("data-inclusion-structures", "structures.json"),
        ("data-inclusion-services", "services.json"),
    ):
        before[name] = "".join(export(name))
        (folder / file_name).write_text(before[name], encoding="utf-8")
    Place.objects.all().delete()
    organisation = OrganisationFactory(slug="reimport", name="Réimport")
    report = run_import(
        fmt="data-inclusion", path=folder, organisation=organisation, user=UserFactory()
    )
    assert (report.created, report.rejected, report.queued) == (2, 0, 0), report.as_dict()
    after = {name: "".join(export(name)) for name in before}
    return before, after


def test_data_inclusion_round_trip(registry, tmp_path):
    before, after = _di_round_trip(tmp_path)

    def structures(text):
        return [{k: v for k, v in r.items() if k not in VOLATILE} for r in json.loads(text)]

    def services(text):
        # A service's id and structure_id hold the place's UUID, new on import. An offer's
        # own hours (the CAF's "Tu[-1,1] 14:00-16:00") are not read back: imported offers
        # follow their place's hours (decision 0011), so the value is kept as provenance.
        volatile = VOLATILE | {"structure_id", "horaires_accueil"}
        return [{k: v for k, v in r.items() if k not in volatile} for r in json.loads(text)]

    assert structures(after["data-inclusion-structures"]) == structures(
        before["data-inclusion-structures"]
    )
    assert [r["typologie"] for r in json.loads(after["data-inclusion-structures"])] == [
        "RFS",
        "BIB",
    ]
    # Services come back as offers, with their kind, type, fees, audiences, access and
    # description.
    assert services(after["data-inclusion-services"]) == services(before["data-inclusion-services"])
    assert len(json.loads(after["data-inclusion-services"])) == 2
    kept = ImportedValue.objects.filter(field="service.horaires_accueil").values_list(
        "value", flat=True
    )
    assert list(kept) == ["Tu[-1,1] 14:00-16:00; PH off"]


# --- streaming, command, HTTP ----------------------------------------------------------


def test_queries_grow_with_chunks_not_places(organisation, registry_admin):
    for n in range(12):
        _place(registry_admin, organisation, typologies=["epn"], name=f"Espace {n:02d}")

    def queries(chunk_size):
        with CaptureQueriesContext(connection) as ctx:
            out = "".join(export("geojson", chunk_size=chunk_size))
        assert len(json.loads(out)["features"]) == 12
        return len(ctx.captured_queries)

    # One query reads the places (fetched chunk by chunk from its cursor); then, per chunk,
    # typologies, networks and offers (exceptions are skipped when there is no schedule).
    per_chunk = queries(12) - 1
    assert per_chunk == 3
    assert queries(4) == 1 + 3 * per_chunk


def test_export_is_lazy(registry):
    chunks = export("geojson")
    with CaptureQueriesContext(connection) as ctx:
        pass
    assert not ctx.captured_queries
    assert next(chunks).startswith('{"type":"FeatureCollection"')


def test_command_to_file_and_stdout(registry, tmp_path):
    path = tmp_path / "places.geojson"
    call_command("export_places", "--format", "geojson", "--output", str(path))
    assert len(json.loads(path.read_text(encoding="utf-8"))["features"]) == 2
    out = io.StringIO()
    call_command("export_places", "--format", "lmn-json", "--output", "-", stdout=out)
    assert [r["nom"] for r in json.loads(out.getvalue())] == [
        "France Services Lyon 3",
        "Médiathèque Jean Macé",
    ]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_http_export_streams(client, registry, name):
    response = client.get(f"/api/v1/exports/{name}/")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == FORMATS[name].content_type
    body = b"".join(response.streaming_content).decode()
    if name == "lmn-csv":
        assert len(list(csv.DictReader(io.StringIO(body)))) == 2
    else:
        assert json.loads(body)


def test_http_export_unknown_format_and_method(client, registry):
    assert client.get("/api/v1/exports/shapefile/").status_code == 404
    assert client.post("/api/v1/exports/geojson/").status_code == 405
