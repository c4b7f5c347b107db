"""Reconciliation, bad input and staff decisions, on small hand-made files."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from api.imports.duplicates import duplicate_dismiss, duplicate_merge
from api.imports.hours import HoursError, france_services_to_osm
from api.imports.pipeline import run_import
from api.imports.readers import ImportFileError
from api.models import PossibleDuplicate
from places.models import ExternalId, Place

pytestmark = pytest.mark.django_db


def _lmn(tmp_path, rows, name="lmn.json"):
    path = tmp_path / name
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def _row(id_, nom="Espace numérique", lat=45.76, lon=4.85, **extra):
    return {
        "id": id_,
        "nom": nom,
        "commune": "Lyon",
        "code_postal": "69003",
        "adresse": "1 rue A",
        "latitude": lat,
        "longitude": lon,
        **extra,
    }


def test_same_external_id_updates(tmp_path, organisation):
    run_import(fmt="lmn", path=_lmn(tmp_path, [_row("a1")]), organisation=organisation)
    report = run_import(
        fmt="lmn",
        path=_lmn(tmp_path, [_row("a1", telephone="0472000000")]),
        organisation=organisation,
    )
    assert (report.created, report.updated) == (0, 1)
    place = Place.objects.get()
    assert place.phone == "0472000000" and place.version == 3


def test_same_siret_matches_another_source(tmp_path, organisation):
    run_import(
        fmt="lmn",
        path=_lmn(tmp_path, [_row("a1", pivot="77556026100015")]),
        organisation=organisation,
    )
    csv_path = tmp_path / "p.csv"
    csv_path.write_text(
        "ID;NOM;SIRET;LAT;LON\nx9;Espace numérique Lyon;77556026100015;45.7601;4.8501\n"
    )
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps(
            {
                "id": "ID",
                "name": "NOM",
                "legal_id": "SIRET",
                "latitude": "LAT",
                "longitude": "LON",
                "delimiter": ";",
            }
        )
    )
    report = run_import(fmt="csv", path=csv_path, mapping_path=mapping, organisation=organisation)
    assert (report.created, report.updated) == (0, 1)
    assert set(ExternalId.objects.values_list("source", flat=True)) == {"lmn", "csv"}


def test_same_siret_very_different_name_is_queued(tmp_path, organisation):
    run_import(
        fmt="lmn",
        path=_lmn(tmp_path, [_row("a1", pivot="77556026100015")]),
        organisation=organisation,
    )
    report = run_import(
        fmt="lmn",
        path=_lmn(tmp_path, [_row("b2", nom="Mairie annexe", pivot="77556026100015")]),
        organisation=organisation,
    )
    assert report.queued == 1 and Place.objects.count() == 1
    assert PossibleDuplicate.objects.get().reason == "siret_name_differs"


def test_same_name_within_100_m_matches(tmp_path, organisation):
    run_import(fmt="lmn", path=_lmn(tmp_path, [_row("a1")]), organisation=organisation)
    path = tmp_path / "di.json"
    path.write_text(
        json.dumps(
            [
                {
                    "id": "s1",
                    "source": "dora",
                    "nom": "ESPACE NUMERIQUE",
                    "latitude": 45.7605,
                    "longitude": 4.8500,
                }
            ]
        )
    )
    report = run_import(fmt="data-inclusion", path=path, organisation=organisation)
    assert (report.created, report.updated, report.queued) == (0, 1, 0)
    assert ExternalId.objects.filter(source="data-inclusion", external_id="dora:s1").exists()


def test_same_name_500_m_away_is_queued_then_resolved(tmp_path, organisation, registry_admin):
    run_import(fmt="lmn", path=_lmn(tmp_path, [_row("a1")]), organisation=organisation)
    far = _lmn(tmp_path, [_row("a2", lat=45.7645, telephone="0400000000")], "far.json")
    report = run_import(fmt="lmn", path=far, organisation=organisation)
    assert (report.created, report.queued) == (0, 1)
    duplicate = PossibleDuplicate.objects.get()
    assert duplicate.reason == "name_nearby" and duplicate.status == "open"
    assert run_import(fmt="lmn", path=far, organisation=organisation).unchanged == 1

    place = duplicate_merge(duplicate=duplicate, user=registry_admin)
    assert place.phone == "0400000000" and duplicate.status == "merged"
    assert run_import(fmt="lmn", path=far, organisation=organisation).unchanged == 1


def test_dismissed_duplicate_becomes_its_own_place(tmp_path, organisation, registry_admin):
    run_import(fmt="lmn", path=_lmn(tmp_path, [_row("a1")]), organisation=organisation)
    far = _lmn(tmp_path, [_row("a2", lat=45.7645)], "far.json")
    run_import(fmt="lmn", path=far, organisation=organisation)
    place = duplicate_dismiss(duplicate=PossibleDuplicate.objects.get(), user=registry_admin)
    assert place.latitude == Decimal("45.764500") and Place.objects.count() == 2
    assert run_import(fmt="lmn", path=far, organisation=organisation).unchanged == 1


def test_malformed_json_stores_nothing(tmp_path, organisation):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([_row("a1")])[:-1] + ', {"id": "x",}]')
    with pytest.raises(ImportFileError, match="malformed at line 1"):
        run_import(fmt="lmn", path=path, organisation=organisation)
    assert not Place.objects.exists()


def test_latin1_csv_is_detected_and_decoded(tmp_path, organisation):
    path = tmp_path / "latin.csv"
    path.write_bytes("ID;NOM;LAT;LON\n1;Médiathèque Éluard;45.7;4.8\n".encode("latin-1"))
    mapping = tmp_path / "m.json"
    mapping.write_text(
        json.dumps(
            {"id": "ID", "name": "NOM", "latitude": "LAT", "longitude": "LON", "delimiter": ";"}
        )
    )
    report = run_import(fmt="csv", path=path, mapping_path=mapping, organisation=organisation)
    assert report.created == 1 and report.warning_counts()["encoding_guessed"] == 1
    assert Place.objects.get().name == "Médiathèque Éluard"
    with pytest.raises(ImportFileError, match="cannot be read as utf-8"):
        run_import(
            fmt="csv", path=path, mapping_path=mapping, organisation=organisation, encoding="utf-8"
        )


def test_missing_column_is_a_clear_error(tmp_path, organisation):
    path = tmp_path / "fs.csv"
    path.write_text('"id_fs","lib_fs","latitude"\n"1","FS","45"\n', encoding="utf-8")
    with pytest.raises(CommandError, match="Missing column\\(s\\): longitude"):
        call_command(
            "import_places",
            "--format",
            "france-services",
            str(path),
            "--organisation",
            organisation.slug,
        )
    assert not Place.objects.exists()


def test_coordinates_out_of_range_reject_the_row(tmp_path, organisation):
    path = _lmn(tmp_path, [_row("a1", lat=123.4), _row("a2", nom="Autre", pivot="123")])
    report = run_import(fmt="lmn", path=path, organisation=organisation)
    assert (report.created, report.rejected) == (1, 1)
    assert report.rejections[0].message == "latitude: 123.4 out of range: row rejected"
    assert report.rejections[0].row == 1
    assert str(report.warnings[0]) == "row 2 [a2]: pivot: '123' is not a valid SIRET: dropped"


def test_france_services_hours_converter():
    row = {
        "h_lundi": "09:00 - 12:00 / 13:30 - 17:00",
        "h_mardi": "09:00 - 12:00 / 13:30 - 17:00",
        "h_mercredi": "",
        "h_jeudi": "00:00 - 00:00 / 14:00 - 16:00",
        "h_samedi": "09:00 - 12:00",
    }
    assert france_services_to_osm(row) == (
        "Mo-Tu 09:00-12:00,13:30-17:00; Th 14:00-16:00; Sa 09:00-12:00",
        [],
    )
    with pytest.raises(HoursError, match="h_mardi: '9h - 12h'"):
        france_services_to_osm({"h_mardi": "9h - 12h"})


def test_command_prints_summary_and_writes_report(tmp_path, organisation):
    from io import StringIO

    out = StringIO()
    report_path = tmp_path / "r.json"
    call_command(
        "import_places",
        "--format",
        "lmn",
        str(_lmn(tmp_path, [_row("a1")])),
        "--organisation",
        organisation.slug,
        "--status",
        "draft",
        "--report",
        str(report_path),
        stdout=out,
    )
    assert "1 created" in out.getvalue()
    assert json.loads(report_path.read_text())["counts"]["created"] == 1
    assert Place.objects.get().status == "draft"


# -- opening hours -------------------------------------------------------------------------


def _versions():
    from scheduling.models import Schedule

    return list(Schedule.objects.order_by("pk").values_list("pk", "version", "osm_source"))


def test_hours_become_a_schedule_and_a_reimport_changes_nothing(tmp_path, organisation):
    from scheduling.models import OpeningInterval

    path = _lmn(tmp_path, [_row("a1", horaires="Mo-Fr 09:00-12:00; PH off")])
    run_import(fmt="lmn", path=path, organisation=organisation)
    place = Place.objects.get()
    assert place.schedule.mode == "rules" and place.schedule.version == 1
    assert place.schedule.osm_source == "Mo-Fr 09:00-12:00; PH off"
    assert place.changes.filter(target="schedule:place", source="import:lmn").count() == 1
    before, rows = _versions(), list(OpeningInterval.objects.values_list("pk", flat=True))
    assert rows
    report = run_import(fmt="lmn", path=path, organisation=organisation)
    assert report.unchanged == 1
    assert _versions() == before
    assert list(OpeningInterval.objects.values_list("pk", flat=True)) == rows  # no churn
    # New hours from the owning source replace the schedule (version 2).
    path = _lmn(tmp_path, [_row("a1", horaires="Mo-Sa 10:00-18:00")])
    run_import(fmt="lmn", path=path, organisation=organisation)
    place.schedule.refresh_from_db()
    assert (place.schedule.version, place.schedule.osm_source) == (2, "Mo-Sa 10:00-18:00")


def test_hours_the_scheduler_refuses_are_kept_as_text(tmp_path, organisation):
    from api.models import ImportedHoursText
    from scheduling.models import Schedule

    sh = 'Mo 09:00-12:00; Tu 10:00-11:00 "sur rdv"; SH off'
    alsace = "Mo-Fr 09:00-12:00; PH 10:00-11:00; easter off"
    rows = [
        _row("a1", horaires=sh),
        _row("a2", nom="Médiathèque", lat=48.58, lon=7.75, code_postal="67000", horaires=alsace),
        _row("a3", nom="Maison de quartier", lat=45.8, horaires="Th 08:30-12:00-13:30"),
    ]
    path = _lmn(tmp_path, rows)
    report = run_import(fmt="lmn", path=path, organisation=organisation)
    assert report.created == 3
    assert report.warning_counts()["hours_refused"] == 2
    assert report.warning_counts()["hours_unreadable"] == 1
    messages = [w.message for w in report.warnings if w.code.startswith("hours_")]
    assert all(m.startswith("horaires: ") and "kept as text, no calendar" in m for m in messages)
    assert any("'Th 08:30-12:00-13:30' cannot be read" in m for m in messages)
    assert not Schedule.objects.exists()
    kept = ImportedHoursText.objects.values_list("text", flat=True)
    assert sorted(kept) == sorted([sh, alsace, "Th 08:30-12:00-13:30"])
    assert set(ImportedHoursText.objects.values_list("source", flat=True)) == {"lmn"}
    stamps = list(ImportedHoursText.objects.order_by("pk").values_list("pk", "updated_at"))

    again = run_import(fmt="lmn", path=path, organisation=organisation)
    assert again.unchanged == 3 and again.warning_counts() == report.warning_counts()
    assert list(ImportedHoursText.objects.order_by("pk").values_list("pk", "updated_at")) == stamps

    # Readable hours later: the schedule is made and the kept text goes.
    rows[2]["horaires"] = "Th 08:30-12:00"
    run_import(fmt="lmn", path=_lmn(tmp_path, rows), organisation=organisation)
    assert Schedule.objects.get().osm_source == "Th 08:30-12:00"
    assert ImportedHoursText.objects.count() == 2


def test_dry_run_with_hours_stores_nothing(tmp_path, organisation):
    from scheduling.models import OpeningInterval, Schedule

    path = _lmn(tmp_path, [_row("a1", horaires="Mo-Fr 09:00-12:00")])
    run_import(fmt="lmn", path=path, organisation=organisation, dry_run=True)
    assert not Schedule.objects.exists() and not OpeningInterval.objects.exists()


def test_free_slug_skips_slugs_and_old_links_in_use(organisation):
    from api.imports.pipeline import free_slug
    from places.models import PlaceSlugAlias
    from tests.factories import PlaceFactory

    for slug in ("espace-numerique", "espace-numerique-2", "espace-numeriques", "espace-num"):
        PlaceFactory(organisation=organisation, slug=slug)
    PlaceSlugAlias.objects.create(place=Place.objects.first(), slug="espace-numerique-3")

    assert free_slug("Espace numérique") == "espace-numerique-4"
    assert free_slug("Espace numérique", also_taken={"espace-numerique-4"}) == (
        "espace-numerique-5"
    )
    assert free_slug("Espace num") == "espace-num-2"
    assert free_slug("Autre lieu") == "autre-lieu"


def _siret(n: int) -> str:
    """A valid SIRET (Luhn) made from n."""
    base = f"{77556026100000 + n * 10}"[:13]
    for last in "0123456789":
        digits = [int(c) for c in base + last]
        total = sum(
            d if i % 2 else (d * 2 if d * 2 < 10 else d * 2 - 9) for i, d in enumerate(digits)
        )
        if total % 10 == 0:
            return base + last
    raise AssertionError


def _varied_rows(n: int, prefix: str = "q", first: int = 0) -> list[dict]:
    """Rows that reach every step of an import: SIRET, hours, services, labels."""
    hours = ["Mo-Fr 09:00-12:00", "Tu-Sa 10:00-18:00", "Mo,We 14:00-17:00"]
    return [
        _row(
            f"{prefix}{i}",
            nom=f"Espace {first + i}",
            lat=45.70 + i / 100,
            lon=4.80 + i / 100,
            pivot=_siret(first + i),
            horaires=hours[i % 3],
            services="Prendre en main un ordinateur, Utiliser le numérique au quotidien",
            labels_nationaux="CNFS",
        )
        for i in range(n)
    ]


def _statements(captured) -> int:
    """Queries but each row's savepoint (a refused row leaves nothing behind)."""
    return sum("SAVEPOINT" not in q["sql"] for q in captured.captured_queries)


def test_reconciliation_queries_do_not_grow_with_the_rows(tmp_path, organisation):
    """The registry is read for the whole batch (places by identifier, SIRET, name and
    place, queued duplicates, slugs; a re-import's places, hours, offers and kept
    values): as many queries for 12 rows as for 3, on the first run and on an
    unchanged re-run (each row's savepoint aside)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # What a first import does once (its network, provider, calendar window...).
    warm = _lmn(tmp_path, _varied_rows(2, prefix="w", first=9000), name="w.json")
    run_import(fmt="lmn", path=warm, organisation=organisation)
    counts = {}
    for n in (3, 12):
        path = _lmn(tmp_path, _varied_rows(n, prefix=f"r{n}-", first=100 * n), name=f"q{n}.json")
        with CaptureQueriesContext(connection) as first:
            created = run_import(fmt="lmn", path=path, organisation=organisation)
        with CaptureQueriesContext(connection) as second:
            again = run_import(fmt="lmn", path=path, organisation=organisation)
        assert (created.created, again.unchanged) == (n, n)
        assert created.offers_created >= n
        assert not [w for w in created.warnings if w.code == "siret_invalid"]
        counts[n] = (_statements(first), _statements(second))
    assert counts[3] == counts[12]


def test_candidates_by_name_are_read_through_the_coordinates_not_the_organisation(
    tmp_path, organisation
):
    """The statement that reads each record's same-name neighbours must not go through
    the organisation's index: without planner statistics (a first import into an empty
    registry, as in this test database) both databases chose it and read every place of
    the organisation for each record, so an import slowed down as the registry grew
    (docs/benchmarks.md, "Imports", 2026-12-02 afternoon)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = [_row(f"c{i}", nom=f"Espace {i}", lat=43 + i / 10, lon=1 + i / 10) for i in range(30)]
    run_import(fmt="lmn", path=_lmn(tmp_path, rows), organisation=organisation)
    again = [_row(f"d{i}", nom=f"Espace {i}", lat=43 + i / 10, lon=1 + i / 10) for i in range(3)]
    with CaptureQueriesContext(connection) as queries:
        run_import(fmt="lmn", path=_lmn(tmp_path, again, name="d.json"), organisation=organisation)
    statements = [q["sql"] for q in queries if "substr(p.search_text" in q["sql"]]
    assert len(statements) == 1
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statements[0])
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
            assert "place_lat_lon" in plan, plan
        else:
            cursor.execute("EXPLAIN " + statements[0])
            plan = " ".join(row[0] for row in cursor.fetchall())
    assert "places_place_organisation_id" not in plan, plan
