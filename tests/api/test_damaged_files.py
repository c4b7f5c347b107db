"""Damaged files, built from real rows of ../shared/data: each damaged row is rejected with
its line and reason, the clean rows around it are imported as they are, and --atomic
(or the page's all-or-nothing box) stores nothing when a row is rejected."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from api.imports.formats import france_services, lmn, tiers_lieux_2019
from api.imports.pipeline import run_import
from api.imports.readers import (
    DamagedRow,
    ImportFileError,
    detect_encoding,
    iter_csv,
    iter_json_array,
)
from api.models import ImportRun
from places.models import ExternalId, Place

pytestmark = pytest.mark.django_db

FS = "liste-fs-20240801.csv"
CGET = "CGET_TiersLieux_2019.csv"
CNFS = "lieux-de-mediation-numerique.cnfs.json"
# Records 396 to 401 (from 1) of the France Services file: the second of them (id_fs 426) has a
# comment over four lines, so lines and row numbers differ after it.
FS_START, FS_COUNT = 395, 6


def _records(path: Path, encoding: str) -> tuple[str, list[str]]:
    """The header line and each record's raw text (a record may span several lines)."""
    text = path.read_text(encoding=encoding)
    lines = text.split("\n")
    header, records, current = lines[0] + "\n", [], ""
    for line in lines[1:]:
        if not line and not current:
            continue
        current += line + "\n"
        if current.count('"') % 2 == 0:  # every quote closed: the record is whole
            records.append(current)
            current = ""
    return header, records


@pytest.fixture(scope="module")
def fs_rows(shared_data) -> tuple[str, list[str]]:
    header, records = _records(shared_data / FS, "utf-8")
    rows = records[FS_START : FS_START + FS_COUNT]
    assert rows[1].count("\n") == 4, "the multi-line record moved"
    return header, rows


def _line_of(header: str, rows: list[str], index: int) -> int:
    """The file line the index-th row starts on."""
    return header.count("\n") + sum(r.count("\n") for r in rows[:index]) + 1


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def _assert_imported_as_is(header: str, rows: list[str], convert, source: str) -> None:
    """Each clean row became a place whose fields are what the row says, nothing else."""
    for number, cells in enumerate(csv.DictReader(io.StringIO(header + "".join(rows))), 1):
        record = convert({k.lstrip("\ufeff"): v for k, v in cells.items()}, number)
        place = ExternalId.objects.get(source=source, external_id=record.external_id).place
        for key, value in record.data.items():
            assert getattr(place, key) == value, (record.external_id, key)
    assert Place.objects.count() == len(rows)


def _fs_import(tmp_path, content, organisation, **options):
    return run_import(
        fmt="france-services",
        path=_write(tmp_path, "fs.csv", content),
        organisation=organisation,
        **options,
    )


def _only_rejection(report):
    assert report.rejected == 1 and len(report.rejections) == 1
    return report.rejections[0]


# --------------------------------------------------------------------- the real files


def test_the_real_csv_files_read_without_a_damaged_row(shared_data):
    for name in (FS, CGET):
        encoding, note = detect_encoding(shared_data / name)
        rows = list(iter_csv(shared_data / name, encoding=encoding))
        assert note is None and not [r for r in rows if isinstance(r, DamagedRow)]
    assert len(rows) == 1512
    records = list(iter_json_array(shared_data / CNFS))
    assert len(records) == 2733 and not [r for r in records if isinstance(r, DamagedRow)]
    # Each record knows the line it starts on (the file is indented: one key a line).
    assert records[0].line == 2 and records[1].line > records[0].line + 10


# ------------------------------------------------------------------- cut-short files


def test_a_last_row_cut_inside_a_quoted_value_is_rejected(tmp_path, organisation, fs_rows):
    header, rows = fs_rows
    cut = rows[-1][: rows[-1].index("France services") + 9]  # inside lib_fs, quote open
    report = _fs_import(tmp_path, header + "".join(rows[:-1]) + cut, organisation)
    issue = _only_rejection(report)
    assert issue.code == "truncated" and issue.row == FS_COUNT
    assert issue.line == _line_of(header, rows, FS_COUNT - 1) == 10
    assert issue.message == (
        "the file ends inside a quoted value: this row is cut short (is the file complete?): "
        f"row rejected (it starts {cut!r})"
    )
    assert report.created == FS_COUNT - 1
    _assert_imported_as_is(header, rows[:-1], france_services, "france-services")


def test_a_last_row_cut_between_values_is_rejected(tmp_path, organisation, shared_data):
    header, records = _records(shared_data / CGET, "utf-8-sig")
    rows = records[:5]
    cut = rows[-1][: rows[-1].index(",", 60)]  # a few values in, no line break
    path = _write(tmp_path, "cget.csv", header + "".join(rows[:-1]) + cut)
    report = run_import(fmt="tiers-lieux-2019", path=path, organisation=organisation)
    issue = _only_rejection(report)
    values = cut.count(",") + 1
    assert (issue.code, issue.row, issue.line) == ("truncated", 5, 6)
    assert issue.message.startswith(
        f"the file ends in the middle of this row: {values} of 30 values (is the file "
        "complete?): row rejected"
    )
    _assert_imported_as_is(header, rows[:-1], tiers_lieux_2019, "tiers-lieux-2019")


# ------------------------------------------------------------------------ quotes


def test_an_unclosed_quote_rejects_its_line_and_the_next_rows_are_read(
    tmp_path, organisation, fs_rows
):
    header, rows = fs_rows
    # The closing quote of the last value of row 3 is lost: the quote runs into row 4.
    damaged = rows[2].rstrip("\n")[:-1] + "\n"
    report = _fs_import(tmp_path, header + "".join([*rows[:2], damaged, *rows[3:]]), organisation)
    issue = _only_rejection(report)
    assert (issue.code, issue.row, issue.line) == ("unclosed_quote", 3, 7)
    assert issue.message.startswith(
        "a quote opened on this line is not closed where it should be: row rejected"
    )
    clean = [*rows[:2], *rows[3:]]
    _assert_imported_as_is(header, clean, france_services, "france-services")


def test_a_stray_quote_in_an_unquoted_file_loses_only_its_row(tmp_path, organisation, shared_data):
    header, records = _records(shared_data / CGET, "utf-8-sig")
    rows = records[:8]
    damaged = rows[2].replace(",", ',"', 1)  # a quote opens the name, never closed
    path = _write(tmp_path, "cget.csv", header + "".join([*rows[:2], damaged, *rows[3:]]))
    report = run_import(fmt="tiers-lieux-2019", path=path, organisation=organisation)
    issue = _only_rejection(report)
    assert (issue.code, issue.line) == ("unclosed_quote", 4)
    _assert_imported_as_is(header, [*rows[:2], *rows[3:]], tiers_lieux_2019, "tiers-lieux-2019")


def test_a_quote_out_of_place_is_rejected(tmp_path, organisation, fs_rows):
    header, rows = fs_rows
    damaged = rows[0].replace('","', '",""', 1)
    report = _fs_import(tmp_path, header + damaged + "".join(rows[1:]), organisation)
    issue = _only_rejection(report)
    assert (issue.code, issue.row, issue.line) == ("bad_quote", 1, 2)
    assert "a quote is out of place (',' expected after '\"')" in issue.message
    _assert_imported_as_is(header, rows[1:], france_services, "france-services")


# ---------------------------------------------------------------- values and columns


def test_too_many_and_too_few_values_are_rejected(tmp_path, organisation, fs_rows):
    header, rows = fs_rows
    more = rows[2].rstrip("\n") + ',"extra"\n'
    fewer = rows[3].rstrip("\n").rsplit(",", 1)[0] + "\n"
    report = _fs_import(
        tmp_path, header + "".join([*rows[:2], more, fewer, *rows[4:]]), organisation
    )
    assert report.rejected == 2
    first, second = report.rejections
    assert (first.code, first.row, first.line) == ("too_many_values", 3, 7)
    assert first.message.startswith("25 values for 24 columns: row rejected (it starts '\"")
    assert (second.code, second.row, second.line) == ("too_few_values", 4, 8)
    assert second.message.startswith("23 values for 24 columns: row rejected")
    _assert_imported_as_is(header, [*rows[:2], *rows[4:]], france_services, "france-services")


@pytest.mark.parametrize(
    ("char", "shown"), [("\x00", "U+0000 (NUL)"), ("\x07", "U+0007"), ("\x1b", "U+001B")]
)
def test_a_control_character_rejects_its_row(tmp_path, organisation, fs_rows, char, shown):
    header, rows = fs_rows
    damaged = rows[4].replace("France services", f"France{char} services", 1)
    # One batch for the whole file: on PostgreSQL a NUL used to abort it, clean rows too.
    report = _fs_import(
        tmp_path, header + "".join([*rows[:4], damaged, *rows[5:]]), organisation, batch_size=500
    )
    issue = _only_rejection(report)
    assert (issue.code, issue.field, issue.row, issue.line) == ("control_character", "lib_fs", 5, 9)
    assert issue.message == f"lib_fs: holds the control character {shown}: row rejected"
    _assert_imported_as_is(header, [*rows[:4], *rows[5:]], france_services, "france-services")


def test_rows_in_another_encoding_are_rejected_and_the_utf8_rows_kept(
    tmp_path, organisation, fs_rows
):
    header, rows = fs_rows
    latin = rows[2].encode("cp1252")  # a row pasted from a Windows-1252 file
    content = (header + "".join(rows[:2])).encode() + latin + "".join(rows[3:]).encode()
    report = _fs_import(tmp_path, content, organisation)
    issue = _only_rejection(report)
    assert (issue.code, issue.row, issue.line) == ("encoding", 3, 7)
    assert "are not UTF-8 (the file mixes encodings; in Windows-1252 the value would read" in (
        issue.message
    )
    assert report.warning_counts()["encoding_guessed"] == 1
    clean = [*rows[:2], *rows[3:]]
    _assert_imported_as_is(header, clean, france_services, "france-services")
    # The accents of the UTF-8 rows are read as UTF-8, not as Windows-1252.
    assert not Place.objects.filter(name__contains="Ã").exists()
    assert Place.objects.filter(name="France services Brûlon").exists()


# ------------------------------------------------------------------ nothing to import


def test_a_header_only_file_is_refused(tmp_path, organisation, fs_rows):
    header, _rows = fs_rows
    with pytest.raises(
        CommandError, match="The file has a header row and no data row: nothing to import"
    ):
        call_command(
            "import_places",
            "--format",
            "france-services",
            str(_write(tmp_path, "fs.csv", header)),
            "--organisation",
            organisation.slug,
        )
    assert not Place.objects.exists() and not ImportRun.objects.exists()


def test_an_empty_file_is_refused(tmp_path, organisation):
    for fmt, name in (("france-services", "fs.csv"), ("lmn", "lmn.json")):
        with pytest.raises(ImportFileError, match="The file is empty"):
            run_import(fmt=fmt, path=_write(tmp_path, name, b""), organisation=organisation)
    assert not Place.objects.exists()


# -------------------------------------------------------------------------- JSON


@pytest.fixture(scope="module")
def cnfs_rows(shared_data) -> list[dict]:
    return json.loads((shared_data / CNFS).read_text(encoding="utf-8"))[:5]


def test_a_truncated_json_file_is_refused_with_its_record_and_line(
    tmp_path, organisation, cnfs_rows
):
    text = json.dumps(cnfs_rows, ensure_ascii=False, indent=2)
    fourth = text.index('"id": "' + cnfs_rows[3]["id"])
    path = _write(tmp_path, "lmn.json", text[: fourth + 40])
    line = text[: text.rindex("{", 0, fourth)].count("\n") + 1
    with pytest.raises(ImportFileError) as refused:
        run_import(fmt="lmn", path=path, organisation=organisation)
    assert str(refused.value) == (
        f"The JSON file ends in the middle of record 4, which starts at line {line}: the file "
        "is cut short (is it complete?)."
    )
    assert not Place.objects.exists()


def test_a_json_file_that_is_not_a_list_is_refused(tmp_path, organisation, cnfs_rows):
    path = _write(tmp_path, "lmn.json", json.dumps({"data": cnfs_rows}))
    with pytest.raises(ImportFileError, match="the file holds an object, not a list of records"):
        run_import(fmt="lmn", path=path, organisation=organisation)
    with pytest.raises(ImportFileError, match="empty list: nothing to import"):
        run_import(fmt="lmn", path=_write(tmp_path, "e.json", "[ ]"), organisation=organisation)
    assert not Place.objects.exists()


def test_a_json_record_holding_a_nul_is_rejected_alone(tmp_path, organisation, cnfs_rows):
    rows = [dict(r) for r in cnfs_rows]
    rows[2]["adresse"] = rows[2]["adresse"] + "\x00"
    text = json.dumps(rows, ensure_ascii=False, indent=2)
    report = run_import(
        fmt="lmn", path=_write(tmp_path, "lmn.json", text), organisation=organisation
    )
    issue = _only_rejection(report)
    line = text[: text.index('"id": "' + rows[2]["id"])].rindex("{")
    assert (issue.code, issue.field, issue.row) == ("control_character", "adresse", 3)
    assert issue.line == text[:line].count("\n") + 1
    assert issue.message == "adresse: holds the control character U+0000 (NUL): row rejected"
    for number, row in enumerate(rows, 1):
        if number == 3:
            assert not ExternalId.objects.filter(external_id=row["id"]).exists()
            continue
        place = ExternalId.objects.get(source="lmn", external_id=row["id"]).place
        for key, value in lmn(row, number).data.items():
            assert getattr(place, key) == value


# ------------------------------------------------------------- all or nothing, report


def test_atomic_command_stores_nothing_and_says_which_rows(tmp_path, organisation, fs_rows):
    header, rows = fs_rows
    damaged = rows[4].replace("France services", "France\x00 services", 1)
    path = _write(tmp_path, "fs.csv", header + "".join([*rows[:4], damaged, *rows[5:]]))
    out = StringIO()
    with pytest.raises(CommandError, match="Nothing imported: 1 rows rejected and --atomic"):
        call_command(
            "import_places",
            "--format",
            "france-services",
            str(path),
            "--organisation",
            organisation.slug,
            "--atomic",
            "--batch-size",
            "2",
            stdout=out,
        )
    printed = out.getvalue()
    assert "REJECTED row 5 (line 9): lib_fs: holds the control character U+0000 (NUL)" in printed
    assert "(all or nothing: rolled back, nothing written)" in printed
    assert "rejected control_character: 1" in printed
    assert not Place.objects.exists() and not ExternalId.objects.exists()
    run = ImportRun.objects.get()
    assert (run.rolled_back, run.atomic, run.rejected, run.rows) == (True, True, 1, FS_COUNT)
    assert run.rejections[0]["line"] == 9 and run.rejections[0]["code"] == "control_character"

    # Without --atomic the clean rows go in, and the run is stored with its rejection.
    call_command(
        "import_places",
        "--format",
        "france-services",
        str(path),
        "--organisation",
        organisation.slug,
        stdout=StringIO(),
    )
    assert Place.objects.count() == FS_COUNT - 1
    latest = ImportRun.objects.first()
    assert (latest.rolled_back, latest.rejected, latest.counts["created"]) == (False, 1, 5)
    assert latest.counts["rejection_counts"] == {"control_character": 1}


def test_atomic_run_with_clean_rows_stores_them(tmp_path, organisation, fs_rows):
    header, rows = fs_rows
    report = _fs_import(tmp_path, header + "".join(rows), organisation, atomic=True)
    assert (report.created, report.rejected, report.rolled_back) == (FS_COUNT, 0, False)
    _assert_imported_as_is(header, rows, france_services, "france-services")


def _upload(client, content: bytes, organisation, **fields):
    data = {
        "organisation": organisation.pk,
        "fmt": "france-services",
        "encoding": "utf-8-sig",
        "status": "published",
        "file": SimpleUploadedFile("liste-fs.csv", content),
        **fields,
    }
    return client.post(reverse("imports:upload"), data)


def test_staff_page_lists_rejected_rows_and_keeps_the_run(
    admin_client_, outsider_client, organisation, fs_rows
):
    header, rows = fs_rows
    damaged = rows[4].replace("France services", "France\x00 services", 1)
    content = (header + "".join([*rows[:4], damaged, *rows[5:]])).encode()

    atomic = _upload(admin_client_, content, organisation, atomic="on")
    page = atomic.content.decode()
    assert atomic.context["report"].rolled_back
    assert "Import report (all or nothing: nothing was stored)" in page
    assert "1 row was rejected and you asked for all or nothing: no row was stored." in page
    assert "<td>9</td>" in page and "lib_fs: holds the control character U+0000 (NUL)" in page
    assert not Place.objects.exists()

    response = _upload(admin_client_, content, organisation)
    assert response.context["report"].created == FS_COUNT - 1
    assert Place.objects.count() == FS_COUNT - 1

    runs = admin_client_.get(reverse("imports:run_list"))
    assert [r.rolled_back for r in runs.context["page"]] == [False, True]
    detail = admin_client_.get(reverse("imports:run_detail", args=[ImportRun.objects.first().pk]))
    text = detail.content.decode()
    assert "<td>9</td>" in text and "<code>control_character</code>" in text
    # Someone signed out is sent to log in; someone of another organisation sees neither.
    anonymous = Client().get(reverse("imports:run_list"))
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert list(outsider_client.get(reverse("imports:run_list")).context["page"]) == []
    other = outsider_client.get(reverse("imports:run_detail", args=[ImportRun.objects.first().pk]))
    assert other.status_code == 404


def test_run_list_query_count(admin_client_, organisation, django_assert_num_queries):
    for n in range(3):
        ImportRun.objects.create(
            organisation=organisation, via="command", format="lmn", file_name=f"f{n}.json"
        )
    # session, user, memberships (roles), the staff menu's count of suggestions to review,
    # the paginator's count, the page's runs with their organisation and user.
    with django_assert_num_queries(6):
        response = admin_client_.get(reverse("imports:run_list"))
    assert len(response.context["page"]) == 3


def test_dry_run_keeps_no_run(admin_client_, organisation, fs_rows):
    header, rows = fs_rows
    _upload(admin_client_, (header + "".join(rows)).encode(), organisation, dry_run="on")
    assert not ImportRun.objects.exists() and not Place.objects.exists()


def test_coordinates_stay_exact(tmp_path, organisation, fs_rows):
    """The clean rows of a damaged file keep their six-decimal coordinates."""
    header, rows = fs_rows
    report = _fs_import(tmp_path, header + "".join(rows[:-1]) + rows[-1][:30], organisation)
    assert report.rejected == 1
    first = next(csv.DictReader(io.StringIO(header + rows[0])))
    place = ExternalId.objects.get(external_id=first["id_fs"]).place
    assert place.latitude == Decimal(first["latitude"]).quantize(Decimal("0.000001"))
