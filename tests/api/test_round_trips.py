"""Round trips on real data: a department sample of each médiation numérique file is
imported, exported, the registry emptied, the export imported again and exported once
more: the records are identical (ids and dates aside), services and labels included."""

from __future__ import annotations

import json

import pytest

from api.exports import export
from api.imports.pipeline import run_import
from places.models import Place
from services.models import ServiceOffer
from tests.api.test_export_validity import CNFS, HUB, department_sample
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

VOLATILE = {"id", "date_maj"}
SAMPLES = [(CNFS, "69"), (HUB, "84")]


def _empty_and_import(fmt: str, path) -> None:
    places = Place.objects.count()
    Place.objects.all().delete()
    organisation = OrganisationFactory(slug="reimport", name="Réimport")
    report = run_import(fmt=fmt, path=path, organisation=organisation, user=UserFactory())
    assert (report.created, report.rejected) == (places, 0), report.as_dict()


def _rows(name: str, volatile=VOLATILE) -> list[dict]:
    rows = json.loads("".join(export(name)))
    # Sorted by name: the re-import creates places in the file's order, which is the
    # export's, but the ids that order the export are new.
    return sorted(
        ({k: v for k, v in r.items() if k not in volatile} for r in rows),
        key=lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False),
    )


@pytest.mark.parametrize(("name", "department"), SAMPLES)
def test_lmn_round_trip_on_a_real_file(shared_data, tmp_path, organisation, name, department):
    path, sample = department_sample(shared_data, tmp_path, name, department)
    run_import(fmt="lmn", path=path, organisation=organisation)
    before = _rows("lmn-json")
    # Rows the importer merged or queued as possible duplicates are not places.
    assert len(sample) - 10 < len(before) == Place.objects.count()
    assert sum("services" in r for r in before) > len(before) // 2
    assert ServiceOffer.objects.exists()
    exported = tmp_path / "export.json"
    exported.write_text("".join(export("lmn-json")), encoding="utf-8")
    offers = ServiceOffer.objects.count()
    _empty_and_import("lmn", exported)
    assert _rows("lmn-json") == before
    assert ServiceOffer.objects.count() == offers


@pytest.mark.parametrize(("name", "department"), SAMPLES)
def test_data_inclusion_round_trip_on_a_real_file(
    shared_data, tmp_path, organisation, name, department
):
    path, _sample = department_sample(shared_data, tmp_path, name, department)
    run_import(fmt="lmn", path=path, organisation=organisation)
    structures = _rows("data-inclusion-structures")
    # The structure's UUID is in a service's id and structure_id: new on import.
    services = _rows("data-inclusion-services", VOLATILE | {"structure_id"})
    assert services
    folder = tmp_path / "di"
    folder.mkdir()
    (folder / "structures.json").write_text(
        "".join(export("data-inclusion-structures")), encoding="utf-8"
    )
    (folder / "services.json").write_text(
        "".join(export("data-inclusion-services")), encoding="utf-8"
    )
    _empty_and_import("data-inclusion", folder)
    assert _rows("data-inclusion-structures") == structures
    assert _rows("data-inclusion-services", VOLATILE | {"structure_id"}) == services
