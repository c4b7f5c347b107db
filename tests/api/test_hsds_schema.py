"""HSDS 3.0 export checked against Open Referral's own table schemas (tests/api/hsds_3_0/,
see SOURCE.md there): every row of every table, as exported, nothing removed first."""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path

import pytest
from django.test import override_settings
from jsonschema import Draft202012Validator, FormatChecker

from api.exports import export
from api.exports.hsds import OSM_DESCRIPTION, TABLES, hsds_id
from places.models import Place
from scheduling.actions import exception_add, schedule_set_osm, schedule_set_rules
from tests.api.test_exports import _place, registry  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).parent / "hsds_3_0"
SCHEMA_OF_TABLE = {
    "organizations": "organization.json",
    "services": "service.json",
    "locations": "location.json",
    "addresses": "address.json",
    "phones": "phone.json",
    "service_at_locations": "service_at_location.json",
    "schedules": "schedule.json",
}


def _schema(table: str) -> dict:
    return json.loads((SCHEMAS / SCHEMA_OF_TABLE[table]).read_text(encoding="utf-8"))


def _doc() -> dict:
    return json.loads("".join(export("hsds")))


def _errors(doc: dict) -> list[str]:
    """Every way the document's rows break the 3.0 table schemas, or [] when none does."""
    errors = []
    for table in TABLES:
        schema = _schema(table)
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        for row in doc[table]:
            errors += [f"{table} {row.get('id')}: {e.message}" for e in validator.iter_errors(row)]
            unknown = set(row) - set(schema["properties"])
            if unknown:
                errors.append(f"{table} {row.get('id')}: fields not in HSDS 3.0: {unknown}")
            missing = [f for f in schema.get("tabular_required", []) if f not in row]
            if missing:
                errors.append(f"{table} {row.get('id')}: tabular fields missing: {missing}")
            nulls = [k for k, v in row.items() if v is None]
            if nulls:
                errors.append(f"{table} {row.get('id')}: null fields {nulls}")
    return errors


def test_every_row_validates_against_the_hsds_3_0_schemas(registry):  # noqa: F811
    doc = _doc()
    assert all(doc[t] for t in TABLES)
    assert _errors(doc) == []
    # Ids are unique across the whole document.
    ids = [row["id"] for t in TABLES for row in doc[t]]
    assert len(ids) == len(set(ids))


def test_the_check_catches_a_null_an_unknown_field_and_a_wrong_type(registry):  # noqa: F811
    doc = _doc()
    doc["locations"][0]["alternate_name"] = None
    doc["services"][0]["last_modified"] = "2026-01-01"
    doc["schedules"][0]["timezone"] = "Europe/Paris"
    errors = _errors(doc)
    assert len(errors) == 4, errors  # the null is both a wrong type and a null


def test_overseas_schedules_carry_their_own_offset(organisation, registry_admin):
    place = _place(
        registry_admin,
        organisation,
        typologies=["epn"],
        name="EPN de Saint-Denis",
        commune="Saint-Denis",
        postcode="97400",
        insee_code="97411",
    )
    schedule_set_rules(
        user=registry_admin,
        place=place,
        rules=[{"kind": "weekly", "days": [2], "times": ["08:00-12:00"]}],
    )
    doc = _doc()
    (row,) = doc["schedules"]
    assert row["timezone"] == 4
    assert row["notes"].endswith("Times are local times in Indian/Reunion.")
    assert (row["freq"], row["byday"], row["opens_at"], row["closes_at"]) == (
        "WEEKLY",
        "WE",
        "08:00",
        "12:00",
    )
    assert _errors(doc) == []


def test_osm_text_schedules_say_so_and_are_listed_in_the_notes(organisation, registry_admin):
    place = _place(registry_admin, organisation, typologies=["epn"], name="EPN du Marais")
    hours = "Mo-Fr 09:00-12:00; week 1-20 Sa 10:00-12:00"
    schedule = schedule_set_osm(user=registry_admin, place=place, text=hours)
    assert schedule.mode == schedule.Mode.OSM, "this string must stay OSM text for the test"
    exception_add(
        user=registry_admin,
        schedule=schedule,
        kind="closure",
        start_date=datetime.date(2026, 8, 1),
        end_date=datetime.date(2026, 8, 15),
        title="Congés d'été",
    )
    doc = _doc()
    osm_row, closure = doc["schedules"]
    assert osm_row["description"] == OSM_DESCRIPTION.format(hours=hours)
    assert "freq" not in osm_row and "byday" not in osm_row
    assert closure["valid_from"] == "2026-08-01"
    place = Place.objects.get(pk=place.pk)
    assert doc["notes"] == [
        f"Schedule {osm_row['id']} (location {place.public_id}) is kept as OSM opening_hours "
        "text only (in its description): it has no RRULE fields."
    ]
    assert _errors(doc) == []


def test_ids_are_stable_and_belong_to_the_registry_namespace(registry):  # noqa: F811
    caf = registry["caf"]
    first = _doc()
    assert _doc() == first
    other = str(uuid.uuid5(uuid.NAMESPACE_DNS, "lieux.autre-ville.fr"))
    with override_settings(EXPORT_ID_NAMESPACE=other):
        second = _doc()
        assert {s["id"] for s in second["services"]} == {
            hsds_id("offer", caf.pk),
            hsds_id("offer", registry["workshop"].pk),
        }
    # Another registry (another namespace) exports other ids for the same keys; places
    # keep their own random UUIDs.
    assert not {s["id"] for s in first["services"]} & {s["id"] for s in second["services"]}
    assert [loc["id"] for loc in first["locations"]] == [loc["id"] for loc in second["locations"]]
    assert str(uuid.uuid5(uuid.UUID(other), f"offer:{caf.pk}")) in {
        s["id"] for s in second["services"]
    }
