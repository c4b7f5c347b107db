"""Importing the four real open-data files: every count measured once, then asserted."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest
from django.apps import apps

from api.exports.data_inclusion import export_services
from api.imports.duplicates import conflict_check
from api.imports.pipeline import run_import
from api.imports.vocabulary import FRANCE_SERVICES_OFFERS, LMN_SERVICES, normalize_value
from api.models import ImportedHoursText, ImportedValue, PossibleDuplicate, SourceConflict
from places.models import ChangeRecord, ExternalId, Place
from scheduling.models import OpeningInterval, Schedule
from services.models import Provider, ServiceOffer

FS = "liste-fs-20240801.csv"
TL = "CGET_TiersLieux_2019.csv"
CNFS = "lieux-de-mediation-numerique.cnfs.json"
HUB = "20230517-hub-du-sud-lieux-de-mediation-numeriques-provence-alpes-cote-d-azur.json"


def _table_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def _calendars() -> tuple[dict[str, int], int]:
    """Places with a schedule, by mode, and places whose hours are kept as text only."""
    modes = Counter(Schedule.objects.filter(place__isnull=False).values_list("mode", flat=True))
    return dict(modes), ImportedHoursText.objects.count()


def _calendar_state() -> tuple[list, list]:
    """Schedule versions and the calendar rows' ids: a no-op re-import leaves both alone."""
    return (
        list(Schedule.objects.order_by("pk").values_list("pk", "version")),
        list(OpeningInterval.objects.order_by("pk").values_list("pk", flat=True)),
    )


def _offers_by_external_id(source: str) -> dict[str, set[tuple[str, str]]]:
    """{external id: {(kind, provider)}} of every place imported from `source`."""
    offers: dict[str, set[tuple[str, str]]] = {
        e: set()
        for e in ExternalId.objects.filter(source=source).values_list("external_id", flat=True)
    }
    for external_id, kind, provider in ServiceOffer.objects.filter(
        place__external_ids__source=source
    ).values_list("place__external_ids__external_id", "kind__slug", "provider__slug"):
        offers[external_id].add((kind, provider))
    return offers


def _lmn_expected(path, separator: str) -> dict[str, set[str]]:
    """{row id: the service kinds its `services` name}, read straight from the file."""
    expected = {}
    for row in json.loads(path.read_text(encoding="utf-8")):
        values = [v.strip() for v in row["services"].split(separator) if v.strip()]
        expected[row["id"]] = {
            LMN_SERVICES[normalize_value(v)] for v in values if LMN_SERVICES[normalize_value(v)]
        }
    return expected


def _networks() -> Counter:
    return Counter(Place.networks.through.objects.values_list("network__slug", flat=True))


@pytest.mark.django_db(transaction=False)
def test_france_services_file(shared_data, organisation):
    report = run_import(fmt="france-services", path=shared_data / FS, organisation=organisation)
    assert (report.created, report.updated, report.queued, report.rejected) == (2844, 0, 1, 0)
    # 94 day cells with "00:00 - 00:00" fillers or overlapping slots, tidied; 2 cells of
    # several addresses. No cell is malformed (SOURCES.md: all 13,949 match the pattern).
    assert report.warning_counts() == Counter(hours_tidied=94, email_extra=2)
    assert Place.objects.filter(status=Place.Status.PUBLISHED).count() == 2844
    assert Place.objects.filter(itinerant=True).count() == 29 + 134 - 0  # Itinérante + Bus
    place = Place.objects.get(external_ids__source="france-services", external_ids__external_id="1")
    assert place.name == "France services de Valserhône"
    assert place.networks.get().slug == "france-services"
    assert [t.code for t in place.typologies.all()] == ["france_services"]
    assert place.mediation.access == "walk_in"
    assert set(place.changes.values_list("source", flat=True)) == {"import:france-services"}
    changes = sorted(place.changes.values_list("target", "action"))
    assert [c for c in changes if not c[0].startswith("offer:")] == [
        ("external_id", "create"),
        ("mediation", "create"),
        ("place", "create"),
        ("place", "status"),
        ("schedule:place", "create"),
    ]
    assert [c for c in changes if c[0].startswith("offer:")] == sorted(
        (f"offer:{pk}", "create") for pk in place.offers.values_list("pk", flat=True)
    )
    # Two sites share a name within 100 m but are two rows of the file: held for review.
    assert PossibleDuplicate.objects.get().reason == "same_source"
    # 2,797 rows have hours (SOURCES.md), one of them is the held row: every converted
    # string is expressed exactly by structured rules.
    assert _calendars() == ({"rules": 2796}, 0)
    assert place.schedule.osm_source == (
        "Mo 13:30-17:00; Tu-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00"
    )
    # Every place gets the services the France Services label guarantees, no more; the
    # services the place runs itself are the importing organisation's.
    own = Provider.objects.get(organisation=organisation).slug
    guaranteed = {(k, own if p == "own" else p) for k, p in FRANCE_SERVICES_OFFERS}
    offers = _offers_by_external_id("france-services")
    assert len(offers) == 2844
    assert all(kinds == guaranteed for kinds in offers.values())
    assert report.offers_created == ServiceOffer.objects.count() == 2844 * 12
    # "prise_rdv" Oui (992 rows) adds appointments to walk-in; the held row says Non.
    modes = Counter(tuple(m) for m in ServiceOffer.objects.values_list("access_modes", flat=True))
    assert modes == Counter({("walk_in",): 1852 * 12, ("walk_in", "appointment"): 992 * 12})
    assert not ServiceOffer.objects.filter(place=place).exclude(schedule=None).exists()
    calendar = _calendar_state()

    again = run_import(fmt="france-services", path=shared_data / FS, organisation=organisation)
    assert (again.created, again.updated, again.queued, again.unchanged) == (0, 0, 0, 2845)
    assert _calendar_state() == calendar
    assert again.offers_created == 0 and ServiceOffer.objects.count() == 2844 * 12


@pytest.mark.django_db
def test_tiers_lieux_file(shared_data, organisation):
    report = run_import(fmt="tiers-lieux-2019", path=shared_data / TL, organisation=organisation)
    assert (report.created, report.updated, report.queued, report.rejected) == (1508, 0, 4, 0)
    # CP "0" on 133 rows and INSEECOM "0" on 157: placeholders, dropped with a warning.
    assert report.warning_counts() == Counter(
        insee_invalid=157, postcode_invalid=133, url_invalid=5
    )
    kinds = Counter(Place.typologies.through.objects.values_list("typology__code", flat=True))
    assert kinds == Counter(coworking=1115, fablab=345, other=48)
    assert _calendars() == ({}, 0)  # the file has no hours
    assert (
        Place.objects.get(external_ids__external_id="1").website == "http://www.ade-coworking.net"
    )

    again = run_import(fmt="tiers-lieux-2019", path=shared_data / TL, organisation=organisation)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1512)


@pytest.mark.django_db
def test_cnfs_file_2022_layout(shared_data, organisation):
    report = run_import(fmt="lmn", path=shared_data / CNFS, organisation=organisation)
    assert (report.created, report.updated, report.queued, report.rejected) == (2628, 0, 105, 0)
    counts = report.warning_counts()
    assert counts == Counter(hours_unreadable=37, siret_invalid=28, postcode_invalid=3)
    unreadable = [w for w in report.warnings if w.code == "hours_unreadable"]
    assert any("'Th 08:30-12:00-13:30'" in w.message for w in unreadable) is False
    assert any("Th 08:30-12:00-13:30" in w.message for w in unreadable)
    assert all(w.message.startswith("horaires: ") for w in unreadable)
    assert all("cannot be read: kept as text, no calendar" in w.message for w in unreadable)
    fs_kind = Place.objects.filter(typologies__code="france_services").count()
    assert fs_kind > 0
    # 2,417 rows have hours: 2,285 calendars (1,988 as rules, 297 left to the OSM
    # evaluator); 36 of the 37 unreadable strings kept as text (one is on a held row);
    # the other rows with hours are held as possible duplicates. None is refused by the
    # scheduler (no school-holiday or Alsace-Moselle form it cannot evaluate).
    assert _calendars() == ({"rules": 1988, "osm": 297}, 36)
    kept = ImportedHoursText.objects.get(text__contains="Th 08:30-12:00-13:30")
    assert kept.text == (
        "Mo,We 13:00-17:00; Tu 09:00-12:00,13:30-16:30; Th 08:30-12:00-13:30; Fr 09:00-13:00"
    )
    assert not kept.place.opening_intervals.exists()
    # Offers: every imported place offers exactly the kinds its `services` name (the
    # four 2022 values all mean learning digital basics), run by the place itself.
    expected = _lmn_expected(shared_data / CNFS, ", ")
    offers = _offers_by_external_id("lmn")
    assert len(offers) == 2628
    assert {e: {k for k, _p in o} for e, o in offers.items()} == {e: expected[e] for e in offers}
    # Labels: CNFS on every row, France Services on 659, Aidants Connect on 172 (the
    # SOURCES.md counts), less the 105 held rows.
    labels = Counter()
    rows = {r["id"]: r for r in json.loads((shared_data / CNFS).read_text(encoding="utf-8"))}
    for external_id in offers:
        labels.update(v.strip() for v in rows[external_id]["labels_nationaux"].split(","))
    assert _networks() == Counter(
        {
            "conseillers-numeriques": labels["CNFS"],
            "france-services": labels["France Services"],
            "aidants-connect": labels["Aidants Connect"],
        }
    )
    measured = {
        "offers": report.offers_created,
        "networks": dict(_networks()),
        "fees": dict(Counter(ServiceOffer.objects.values_list("fees", flat=True))),
        "kept": ImportedValue.objects.count(),
    }
    assert measured == {
        "offers": 2628,
        "networks": {
            "conseillers-numeriques": 2628,
            "france-services": 628,
            "aidants-connect": 161,
        },
        "fees": {"free": 2628},  # conditions_access "Gratuit" on every row
        "kept": 0,
    }
    calendar = _calendar_state()

    again = run_import(fmt="lmn", path=shared_data / CNFS, organisation=organisation)
    assert (again.created, again.updated, again.queued, again.unchanged) == (0, 0, 0, 2733)
    assert _calendar_state() == calendar
    assert again.offers_created == 0


@pytest.mark.django_db
def test_hub_du_sud_file_2023_layout(shared_data, organisation):
    report = run_import(fmt="lmn", path=shared_data / HUB, organisation=organisation)
    assert (report.created, report.updated, report.queued, report.rejected) == (644, 0, 2, 0)
    # 378 values have no equivalent in the registry (see api/imports/vocabulary.py):
    # "Insertion professionnelle via le numérique" 240 times, "Parentalité et éducation
    # avec le numérique" 12, "Acquisition de matériel informatique à prix solidaire" 1 and
    # the "Adultes" audience 125. Each is reported, and kept on its place unless held.
    assert report.warning_counts() == Counter(
        hours_unreadable=7, coordinates_missing=4, value_unmapped=378
    )
    expected = _lmn_expected(shared_data / HUB, "|")
    offers = _offers_by_external_id("lmn")
    assert len(offers) == 644
    assert {e: {k for k, _p in o} for e, o in offers.items()} == {e: expected[e] for e in offers}
    kept = Counter(ImportedValue.objects.values_list("field", "value"))
    measured = {
        "offers": report.offers_created,
        "by_kind": dict(Counter(ServiceOffer.objects.values_list("kind__slug", flat=True))),
        "networks": dict(_networks()),
        "fees": dict(Counter(ServiceOffer.objects.values_list("fees", flat=True))),
        "audiences": dict(
            Counter(tuple(a) for a in ServiceOffer.objects.values_list("audiences", flat=True))
        ),
        "appointment_links": ServiceOffer.objects.exclude(appointment_url="").count(),
        "places_with_link": Place.objects.filter(offers__appointment_url__gt="").distinct().count(),
        "descriptions": dict(
            Counter(
                ServiceOffer.objects.exclude(description="").values_list("description", flat=True)
            )
        ),
        "kept": dict(kept),
        "unmapped_kept": report.unmapped_kept,
    }
    assert measured == {
        "offers": 724,
        "by_kind": {
            "numerique-bases": 399,
            "demarches-en-ligne": 138,
            "acces-equipement": 130,
            "formations": 57,
        },
        "networks": {"conseillers-numeriques": 353, "france-services": 207},
        # "Payant" on one row, which lists two kinds.
        "fees": {"free": 722, "paid": 2},
        "audiences": {(): 578, ("young",): 39, ("families", "seniors", "young"): 107},
        # 42 rows give a `prise_rdv` link: every offer of theirs carries it.
        "appointment_links": 59,
        "places_with_link": 42,
        "descriptions": {
            "Accompagnement individuel": 33,
            "Dans un atelier collectif, Accompagnement individuel": 41,
            "Dans un atelier collectif": 17,
            "Dans un atelier collectif, Accompagnement individuel, En autonomie": 11,
        },
        # Distinct values per place: "Insertion professionnelle…" is on 227 rows (13 of
        # them list it twice), one of which is held for review.
        "kept": {
            ("services", "Insertion professionnelle via le numérique"): 226,
            ("publics_accueillis", "Adultes"): 125,
            ("services", "Parentalité et éducation avec le numérique"): 12,
            ("services", "Acquisition de matériel informatique à prix solidaire"): 1,
        },
        "unmapped_kept": 364,
    }
    # The data·inclusion services export now has the offers, every one of them.
    exported = json.loads("".join(export_services()))
    assert len(exported) == ServiceOffer.objects.count() > 0
    assert {s["thematiques"][0] for s in exported} >= {
        "numerique--maitriser-les-fondamentaux-du-numerique"
    }
    # "00000000000000" is a placeholder, not an invalid SIRET: no warning, no legal id.
    assert not Place.objects.exclude(legal_id="").exists()
    assert Place.objects.filter(latitude__isnull=True).count() == 4
    # 409 rows have hours: 401 calendars (340 as rules, 61 left to the OSM evaluator),
    # 7 unreadable strings kept as text, 1 on a held row.
    assert _calendars() == ({"rules": 340, "osm": 61}, 7)
    calendar = _calendar_state()

    again = run_import(fmt="lmn", path=shared_data / HUB, organisation=organisation)
    assert (again.created, again.updated, again.queued, again.unchanged) == (0, 0, 0, 646)
    assert _calendar_state() == calendar


# The departments the four files share places in (Bouches-du-Rhône, Maine-et-Loire with
# Durtal, Rhône): every file's rows there, so the files meet as they do whole. Each file is
# imported whole once in its own test above; this test imports them twice more, together,
# so it takes these rows only (the whole files' import is timed in bench/import_bench.py).
SHARED_DEPARTMENTS = ("13", "49", "69")


def _department_sample(shared_data, name: str, folder) -> object:
    """The rows of one real file whose postcode or department is in SHARED_DEPARTMENTS,
    written as a file of the same format."""
    source = shared_data / name
    target = folder / name
    if name.endswith(".json"):
        rows = [
            row
            for row in json.loads(source.read_text(encoding="utf-8"))
            if str(row.get("code_postal") or "")[:2] in SHARED_DEPARTMENTS
        ]
        target.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        return target
    column = "insee_dep" if name == FS else "INSEEDEP"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row[column].zfill(2) in SHARED_DEPARTMENTS]
        fields = reader.fieldnames
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)
    return target


@pytest.mark.django_db
def test_all_files_together_then_again_change_nothing(shared_data, tmp_path, organisation):
    files = [("france-services", FS), ("tiers-lieux-2019", TL), ("lmn", CNFS), ("lmn", HUB)]
    paths = {name: _department_sample(shared_data, name, tmp_path) for _fmt, name in files}
    reports = [
        run_import(fmt=fmt, path=paths[name], organisation=organisation) for fmt, name in files
    ]
    # The files meet: later files match places of earlier ones (merged or queued).
    assert sum(r.created for r in reports) > 300
    assert sum(r.updated + r.queued + r.unchanged for r in reports[1:]) > 0
    before, calendar = _table_counts(), _calendar_state()
    for fmt, name in files:
        report = run_import(fmt=fmt, path=paths[name], organisation=organisation)
        assert (report.created, report.updated, report.queued, report.rejected) == (0, 0, 0, 0)
    assert _table_counts() == before
    assert _calendar_state() == calendar


@pytest.mark.django_db
def test_dry_run_writes_nothing(shared_data, organisation):
    before = _table_counts()
    report = run_import(fmt="lmn", path=shared_data / HUB, organisation=organisation, dry_run=True)
    assert report.created == 644 and report.queued == 2
    assert _table_counts() == before
    assert not ExternalId.objects.exists() and not ChangeRecord.objects.exists()
    assert not Schedule.objects.exists() and not OpeningInterval.objects.exists()


DURTAL_LMN_ID = "62ab23138255a806e299c995"  # "France Services Durtal", no horaires
DURTAL_FS_ID = "908"  # "France services Durtal", hours on five days


def _durtal_files(shared_data, tmp_path, lmn_hours: str | None = None):
    """The two real rows describing France Services Durtal, each alone in its file."""
    rows = json.loads((shared_data / CNFS).read_text(encoding="utf-8"))
    row = next(r for r in rows if r["id"] == DURTAL_LMN_ID)
    if lmn_hours:
        row["horaires"] = lmn_hours
    lmn_path = tmp_path / "durtal.json"
    lmn_path.write_text(json.dumps([row]), encoding="utf-8")
    with (shared_data / FS).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fs_row = next(r for r in reader if r["id_fs"] == DURTAL_FS_ID)
        fields = reader.fieldnames
    fs_path = tmp_path / "durtal.csv"
    with fs_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerow(fs_row)
    return lmn_path, fs_path


DURTAL_HOURS = (
    "Mo-Tu 08:30-12:00,13:30-17:00; We 08:30-12:00; Th 08:30-12:00,13:30-17:00; Fr 08:30-12:00"
)


@pytest.mark.django_db
def test_place_without_hours_takes_them_from_the_other_file(shared_data, tmp_path, organisation):
    lmn_path, fs_path = _durtal_files(shared_data, tmp_path)
    first = run_import(fmt="lmn", path=lmn_path, organisation=organisation)
    assert first.created == 1
    place = Place.objects.get()
    assert not Schedule.objects.exists()

    report = run_import(fmt="france-services", path=fs_path, organisation=organisation)
    assert (report.created, report.updated, report.queued) == (0, 1, 0)
    [taken] = [w for w in report.warnings if w.code == "hours_taken"]
    assert taken.message == (
        f"h_lundi..h_samedi: the place {place.slug} had no opening hours: these are used"
    )
    # The report says which file's values the place keeps, and why.
    [email] = [w for w in report.warnings if w.code == "value_taken"]
    assert email.message == (
        f"email: {place.slug} had none: 'franceservices.durtal@ccals.fr' from this file is used"
    )
    # "02 41 96 10 40" is the CNFS file's "+33241961040", "Rue" its "rue": no conflict.
    assert "value_kept" not in report.warning_counts()
    place.refresh_from_db()
    assert place.schedule.osm_source == DURTAL_HOURS
    assert place.opening_intervals.exists()
    assert (place.phone, place.email) == ("+33241961040", "franceservices.durtal@ccals.fr")
    # Both files' offers and labels are kept on the one place.
    own = Provider.objects.get(organisation=organisation).slug
    assert set(place.offers.values_list("kind__slug", "provider__slug")) == {
        ("numerique-bases", own),
        *((k, own if p == "own" else p) for k, p in FRANCE_SERVICES_OFFERS),
    }
    assert set(place.networks.values_list("slug", flat=True)) == {
        "conseillers-numeriques",
        "france-services",
    }
    assert report.offers_created == 12

    # Again: nothing new, and the hours now agree.
    calendar = _calendar_state()
    again = run_import(fmt="france-services", path=fs_path, organisation=organisation)
    assert (again.updated, again.unchanged, again.offers_created) == (0, 1, 0)
    assert "hours_taken" not in again.warning_counts()
    assert "hours_conflict" not in again.warning_counts()
    assert "value_taken" not in again.warning_counts()
    assert _calendar_state() == calendar


@pytest.mark.django_db
def test_conflicting_hours_are_kept_and_listed(shared_data, tmp_path, organisation, registry_admin):
    lmn_path, fs_path = _durtal_files(shared_data, tmp_path, lmn_hours="Mo-Fr 09:00-12:00")
    run_import(fmt="france-services", path=fs_path, organisation=organisation)
    report = run_import(fmt="lmn", path=lmn_path, organisation=organisation)
    assert (report.created, report.updated, report.conflicts_listed) == (0, 1, 1)
    place = Place.objects.get()
    [conflict] = [w for w in report.warnings if w.code == "hours_conflict"]
    assert conflict.message == (
        f"horaires: 'Mo-Fr 09:00-12:00' differs from the hours of {place.slug} "
        f"({DURTAL_HOURS!r}, given by import:france-services), which are kept: check which "
        "are right (listed in the conflicts to review)"
    )
    assert Place.objects.get().schedule.osm_source == DURTAL_HOURS
    # The CNFS file's website fills a blank; its phone is the same number, written otherwise.
    assert [(w.code, w.field) for w in report.warnings if w.code.startswith("value_")] == [
        ("value_taken", "website")
    ]
    # Listed for staff, once, whatever the number of imports.
    listed = SourceConflict.objects.get()
    assert (listed.place, listed.field, listed.status) == (place, "opening_hours", "open")
    assert (listed.kept_value, listed.kept_source) == (DURTAL_HOURS, "import:france-services")
    assert (listed.other_value, listed.other_source, listed.other_external_id) == (
        "Mo-Fr 09:00-12:00",
        "lmn",
        DURTAL_LMN_ID,
    )
    again = run_import(fmt="lmn", path=lmn_path, organisation=organisation)
    assert again.conflicts_listed == 0
    conflict_check(conflict=listed, user=registry_admin)
    run_import(fmt="lmn", path=lmn_path, organisation=organisation)
    assert list(SourceConflict.objects.values_list("status", flat=True)) == ["checked"]


def _fs_and_hub_rows(shared_data, tmp_path, fs_id: str):
    """France Services row `fs_id` and the Hub du Sud row describing the same place, each
    alone in its file."""
    with (shared_data / FS).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fs_row = next(r for r in reader if r["id_fs"] == fs_id)
        fields = reader.fieldnames
    fs_path = tmp_path / "fs.csv"
    with fs_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerow(fs_row)
    rows = json.loads((shared_data / HUB).read_text(encoding="utf-8"))
    hub_path = tmp_path / "hub.json"
    hub_id = f"mediation-numerique-france-services-{fs_id}"
    hub_path.write_text(json.dumps([r for r in rows if r["id"] == hub_id]), encoding="utf-8")
    return fs_path, hub_path


@pytest.mark.django_db
def test_real_conflicting_hours_are_listed_for_staff(shared_data, tmp_path, organisation):
    # Nice centre: 09:00-12:30,13:30-17:00 in the France Services file, 08:30-12:30,
    # 13:30-17:30 in the Hub du Sud file.
    fs_path, hub_path = _fs_and_hub_rows(shared_data, tmp_path, "708")
    run_import(fmt="france-services", path=fs_path, organisation=organisation)
    report = run_import(fmt="lmn", path=hub_path, organisation=organisation)
    assert (report.created, report.updated, report.conflicts_listed) == (0, 1, 1)
    place = Place.objects.get()
    assert report.warning_counts()["hours_conflict"] == 1
    listed = SourceConflict.objects.get()
    assert (listed.place, listed.kept_source, listed.other_source) == (
        place,
        "import:france-services",
        "lmn",
    )
    assert (listed.kept_value, listed.other_value) == (
        "Mo-Fr 09:00-12:30,13:30-17:00",
        "Mo-Fr 08:30-12:30,13:30-17:30",
    )
    assert place.schedule.osm_source == "Mo-Fr 09:00-12:30,13:30-17:00"


@pytest.mark.django_db
def test_real_hours_written_otherwise_are_no_conflict(shared_data, tmp_path, organisation):
    # Forcalquier: "Mo 09:00-12:00; Tu-Fr 09:00-12:00,14:00-18:00" in one file, "Tu-Fr
    # 09:00-12:00,14:00-18:00; Mo 09:00-12:00" in the other: the same hours.
    fs_path, hub_path = _fs_and_hub_rows(shared_data, tmp_path, "574")
    run_import(fmt="france-services", path=fs_path, organisation=organisation)
    report = run_import(fmt="lmn", path=hub_path, organisation=organisation)
    assert (report.created, report.updated) == (0, 1)
    assert "hours_conflict" not in report.warning_counts()
    assert not SourceConflict.objects.exists()
    assert Place.objects.get().schedule.osm_source == (
        "Mo 09:00-12:00; Tu-Fr 09:00-12:00,14:00-18:00"
    )


@pytest.mark.django_db
def test_unmapped_values_are_kept_as_provenance(tmp_path, organisation):
    row = {
        "id": "x1",
        "nom": "Espace numérique du Port",
        "latitude": 43.3,
        "longitude": 5.4,
        "services": "Aide aux démarches administratives|Tricot numérique",
        "frais_a_charge": "Gratuit|Payant",
        "publics_accueillis": "Adultes;Seniors (+ 65 ans)",
        "labels_nationaux": "CNFS|Label du quartier",
        "prise_rdv": "pas de lien",
        "modalites_accompagnement": "Accompagnement individuel",
    }
    path = tmp_path / "one.json"
    path.write_text(json.dumps([row]), encoding="utf-8")
    report = run_import(fmt="lmn", path=path, organisation=organisation)
    assert report.created == 1 and report.unmapped_kept == 4
    assert [w.message for w in report.warnings if w.code == "value_unmapped"] == [
        "labels_nationaux: 'Label du quartier' matches nothing in the registry: kept as provenance",
        "services: 'Tricot numérique' matches nothing in the registry: kept as provenance",
        "publics_accueillis: 'Adultes' matches nothing in the registry: kept as provenance",
        "prise_rdv: 'pas de lien' matches nothing in the registry: kept as provenance",
    ]
    place = Place.objects.get()
    assert sorted(place.imported_values.values_list("source", "field", "value")) == [
        ("lmn", "labels_nationaux", "Label du quartier"),
        ("lmn", "prise_rdv", "pas de lien"),
        ("lmn", "publics_accueillis", "Adultes"),
        ("lmn", "services", "Tricot numérique"),
    ]
    offer = place.offers.get()
    assert (offer.kind.slug, offer.fees, offer.fees_details) == (
        "demarches-en-ligne",
        "conditions",
        "Gratuit, Payant",
    )
    assert (offer.audiences, offer.access_modes) == (["seniors"], [])
    assert offer.description == "Accompagnement individuel"
    assert [n.slug for n in place.networks.all()] == ["conseillers-numeriques"]
    again = run_import(fmt="lmn", path=path, organisation=organisation)
    assert (again.unchanged, again.unmapped_kept) == (1, 0)
    assert ImportedValue.objects.count() == 4
