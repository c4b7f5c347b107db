"""Every exported record of the demo registry and of real files passes its official schema:
data·inclusion structures and services (the `data-inclusion-schema` package's models, its
warnings as errors) and HSDS 3.0 (Open Referral's table schemas).

The real files are department samples of the two médiation numérique files in
../shared/data, imported as the importer reads them, so every value a real file carries
(its services, fees, audiences, appointment links, labels, hours) reaches the exports.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from api.exports import export
from api.imports.pipeline import run_import
from places.models import Place
from services.models import ServiceOffer
from tests.api.test_hsds_schema import _errors as hsds_errors

pytestmark = pytest.mark.django_db

CNFS = "lieux-de-mediation-numerique.cnfs.json"
HUB = "20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json"


def department_sample(shared_data, tmp_path, name: str, department: str):
    """The rows of one department of a real LMN file, as a file the importer reads."""
    rows = json.loads((shared_data / name).read_text(encoding="utf-8"))
    sample = [r for r in rows if str(r.get("code_postal", "")).startswith(department)]
    path = tmp_path / f"{department}-{name}"
    path.write_text(json.dumps(sample, ensure_ascii=False), encoding="utf-8")
    return path, sample


def di_errors() -> tuple[int, int, list[str]]:
    """(structures, services, every validation error) of the data·inclusion exports."""
    from data_inclusion.schema.v1 import Service, Structure
    from pydantic import ValidationError

    errors = []
    structures = json.loads("".join(export("data-inclusion-structures")))
    services = json.loads("".join(export("data-inclusion-services")))
    for model, records in ((Structure, structures), (Service, services)):
        for record in records:
            try:
                model.model_validate(record, context={"ignore_warnings": False})
            except ValidationError as exc:
                errors.append(f"{model.__name__} {record['id']}: {exc}")
    return len(structures), len(services), errors


def test_demo_registry_exports_are_valid():
    call_command("load_demo", places=40, seed=2024)
    structures, services, errors = di_errors()
    assert structures == Place.objects.filter(status=Place.Status.PUBLISHED).count() > 0
    assert services > structures
    assert errors == []
    assert hsds_errors(json.loads("".join(export("hsds")))) == []


@pytest.mark.parametrize(("name", "department"), [(CNFS, "69"), (HUB, "84")])
def test_real_file_exports_are_valid(shared_data, tmp_path, organisation, name, department):
    path, sample = department_sample(shared_data, tmp_path, name, department)
    report = run_import(fmt="lmn", path=path, organisation=organisation)
    assert report.rejected == 0, report.as_dict()
    structures, services, errors = di_errors()
    assert structures == Place.objects.filter(status=Place.Status.PUBLISHED).count() > 0
    # Every imported offer is a data·inclusion service, and every one is valid.
    assert services == ServiceOffer.objects.count() > 0
    assert errors == []
    assert hsds_errors(json.loads("".join(export("hsds")))) == []
