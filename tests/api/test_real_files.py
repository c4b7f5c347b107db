"""Importing the four real open-data files: every count measured once, then asserted."""

from __future__ import annotations

from collections import Counter

import pytest
from django.apps import apps

from api.imports.pipeline import run_import
from api.models import ImportedHoursText, PossibleDuplicate
from places.models import ChangeRecord, ExternalId, Place
from scheduling.models import OpeningInterval, Schedule

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
    assert sorted(place.changes.values_list("target", "action")) == [
        ("external_id", "create"),
        ("mediation", "create"),
        ("place", "create"),
        ("place", "status"),
        ("schedule:place", "create"),
    ]
    # Two sites share a name within 100 m but are two rows of the file: held for review.
    assert PossibleDuplicate.objects.get().reason == "same_source"
    # 2,797 rows have hours (SOURCES.md), one of them is the held row: every converted
    # string is expressed exactly by structured rules.
    assert _calendars() == ({"rules": 2796}, 0)
    assert place.schedule.osm_source == (
        "Mo 13:30-17:00; Tu-Th 09:00-12:00,13:30-17:00; Fr 09:00-12:00,13:30-16:00"
    )
    calendar = _calendar_state()

    again = run_import(fmt="france-services", path=shared_data / FS, organisation=organisation)
    assert (again.created, again.updated, again.queued, again.unchanged) == (0, 0, 0, 2845)
    assert _calendar_state() == calendar


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
    calendar = _calendar_state()

    again = run_import(fmt="lmn", path=shared_data / CNFS, organisation=organisation)
    assert (again.created, again.updated, again.queued, again.unchanged) == (0, 0, 0, 2733)
    assert _calendar_state() == calendar


@pytest.mark.django_db
def test_hub_du_sud_file_2023_layout(shared_data, organisation):
    report = run_import(fmt="lmn", path=shared_data / HUB, organisation=organisation)
    assert (report.created, report.updated, report.queued, report.rejected) == (644, 0, 2, 0)
    assert report.warning_counts() == Counter(hours_unreadable=7, coordinates_missing=4)
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


@pytest.mark.django_db
def test_all_files_together_then_again_change_nothing(shared_data, organisation):
    files = [("france-services", FS), ("tiers-lieux-2019", TL), ("lmn", CNFS), ("lmn", HUB)]
    for fmt, name in files:
        run_import(fmt=fmt, path=shared_data / name, organisation=organisation)
    before, calendar = _table_counts(), _calendar_state()
    for fmt, name in files:
        report = run_import(fmt=fmt, path=shared_data / name, organisation=organisation)
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
