"""The import pages under /manage/imports/: upload and report, the possible-duplicates queue."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api.imports.pipeline import run_import
from api.models import PossibleDuplicate, SourceConflict
from places.models import ExternalId, Place
from scheduling.models import Schedule

pytestmark = pytest.mark.django_db

FS_HEADER = (
    '"id_fs","insee_dep","lib_fs","adresse","complement_adresse","insee_com","code_postal",'
    '"lib_com","latitude","longitude","mail","telephone","h_lundi","h_mardi","h_mercredi",'
    '"h_jeudi","h_vendredi","h_samedi","prise_rdv","commentaire","type_fs","format_fs",'
    '"groupe_fs","labellisation_fs"\n'
)


def _fs_csv(*names: str) -> str:
    lines = [
        f'"{n}","69","{name}","1 rue A","","69123","69003","Lyon","45.7{n}","4.8{n}","","",'
        '"09:00 - 12:00 / 13:30 - 17:00","","","","","","Oui","","Principal","Fixe","",""\n'
        for n, name in enumerate(names, start=1)
    ]
    return FS_HEADER + "".join(lines)


def _table_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def _row(id_, nom, lat, lon):
    return {"id": id_, "nom": nom, "commune": "Lyon", "latitude": lat, "longitude": lon}


def _queue(tmp_path, organisation, count: int = 1) -> list[PossibleDuplicate]:
    """`count` rows held as name_nearby: same name as a place about 500 m away."""
    rows = []
    for n in range(count):
        lat = 45.70 + n * 0.05
        rows.append(_row(f"p{n}", f"Espace numérique {n}", lat, 4.85))
        rows.append(_row(f"q{n}", f"Espace numérique {n}", lat + 0.0045, 4.85))
    path = tmp_path / f"queue{count}.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    report = run_import(fmt="lmn", path=path, organisation=organisation)
    assert report.queued == count
    return list(PossibleDuplicate.objects.order_by("pk"))


@pytest.fixture
def duplicate(tmp_path, organisation):
    return _queue(tmp_path, organisation)[0]


def _upload(client, content: bytes, name: str, **fields):
    data = {
        "fmt": "france-services",
        "encoding": "utf-8-sig",
        "status": "published",
        "file": SimpleUploadedFile(name, content),
        **fields,
    }
    return client.post(reverse("imports:upload"), data)


# ---------------------------------------------------------------------------- access


def test_anonymous_people_go_to_the_login_page(client, duplicate):
    for url in (
        reverse("imports:upload"),
        reverse("imports:duplicate_list"),
        reverse("imports:duplicate_detail", args=[duplicate.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/manage/login/" in response["Location"]
    response = client.post(reverse("imports:duplicate_merge", args=[duplicate.pk]))
    assert response.status_code == 302 and "/manage/login/" in response["Location"]
    assert PossibleDuplicate.objects.get().status == "open"


def test_upload_page_is_for_registry_admins(
    admin_client_, manager_client, viewer_client, outsider_client, organisation
):
    page = admin_client_.get(reverse("imports:upload"))
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()
    assert list(page.context["form"].fields["organisation"].queryset) == [organisation]
    assert manager_client.get(reverse("imports:upload")).status_code == 403
    assert viewer_client.get(reverse("imports:upload")).status_code == 403
    # A registry admin of another organisation imports into theirs only.
    other = outsider_client.get(reverse("imports:upload"))
    assert other.status_code == 200
    assert organisation not in other.context["form"].fields["organisation"].queryset
    response = _upload(
        outsider_client,
        _fs_csv("Maison France services").encode(),
        "fs.csv",
        organisation=organisation.pk,
    )
    assert response.status_code == 200 and "organisation" in response.context["form"].errors
    assert not Place.objects.exists()


def test_duplicate_pages_by_role(
    admin_client_, manager_client, viewer_client, outsider_client, duplicate
):
    detail = reverse("imports:duplicate_detail", args=[duplicate.pk])
    for client in (admin_client_, manager_client, viewer_client):
        listing = client.get(reverse("imports:duplicate_list"))
        assert listing.status_code == 200
        assert list(listing.context["page"]) == [duplicate]
        assert client.get(detail).status_code == 200
    assert b"Merge into the existing place" in admin_client_.get(detail).content
    for client in (manager_client, viewer_client):
        page = client.get(detail).content
        assert b"Merge into the existing place" not in page
        assert b"registry admins decide" in page
        for name in ("imports:duplicate_merge", "imports:duplicate_dismiss"):
            assert client.post(reverse(name, args=[duplicate.pk])).status_code == 403
    # Outsiders learn nothing: an empty queue, 404 on the entry and on the decisions.
    assert list(outsider_client.get(reverse("imports:duplicate_list")).context["page"]) == []
    assert outsider_client.get(detail).status_code == 404
    for name in ("imports:duplicate_merge", "imports:duplicate_dismiss"):
        assert outsider_client.post(reverse(name, args=[duplicate.pk])).status_code == 404
    assert PossibleDuplicate.objects.get().status == "open"


@pytest.fixture
def conflict(tmp_path, organisation):
    """A France Services place whose hours a CNFS row describing it contradicts."""
    fs = tmp_path / "fs.csv"
    fs.write_text(_fs_csv("Espace A"), encoding="utf-8")
    run_import(fmt="france-services", path=fs, organisation=organisation)
    lmn = tmp_path / "lmn.json"
    row = {**_row("x1", "Espace A", 45.71, 4.81), "horaires": "Mo-Fr 10:00-12:00"}
    lmn.write_text(json.dumps([row]), encoding="utf-8")
    report = run_import(fmt="lmn", path=lmn, organisation=organisation)
    assert (report.updated, report.conflicts_listed) == (1, 1)
    return SourceConflict.objects.get()


def test_conflicting_hours_are_listed_beside_the_duplicates(
    admin_client_, manager_client, viewer_client, outsider_client, conflict, registry_admin
):
    url = reverse("imports:duplicate_list")
    check = reverse("imports:conflict_check", args=[conflict.pk])
    for client in (admin_client_, manager_client, viewer_client):
        page = client.get(url)
        assert page.context["conflicts"] == [conflict]
        assert b"Mo-Fr 10:00-12:00" in page.content
        assert b"Mo 09:00-12:00,13:30-17:00" in page.content
    assert b"Mark as checked" in admin_client_.get(url).content
    for client in (manager_client, viewer_client):
        assert b"Mark as checked" not in client.get(url).content
        assert client.post(check).status_code == 403
    assert outsider_client.get(url).context["conflicts"] == []
    assert outsider_client.post(check).status_code == 404
    assert admin_client_.get(check).status_code == 405
    assert SourceConflict.objects.get().status == "open"

    assert admin_client_.post(check).status_code == 302
    conflict.refresh_from_db()
    assert (conflict.status, conflict.resolved_by) == ("checked", registry_admin)
    assert admin_client_.get(url).context["conflicts"] == []
    # Checked once: a second click says so, and changes nothing.
    page = admin_client_.post(check, follow=True)
    assert b"already checked" in page.content


def test_decisions_only_by_post(admin_client_, duplicate):
    url = reverse("imports:duplicate_merge", args=[duplicate.pk])
    assert admin_client_.get(url).status_code == 405


# ---------------------------------------------------------------------------- upload


def test_dry_run_upload_writes_nothing(admin_client_, organisation):
    before = _table_counts()
    response = _upload(
        admin_client_,
        _fs_csv("Maison France services A", "Maison France services B").encode(),
        "fs.csv",
        organisation=organisation.pk,
        dry_run="on",
    )
    assert response.status_code == 200
    assert response.context["report"].created == 2
    assert "dry run: nothing was stored" in response.content.decode()
    assert _table_counts() == before


def test_upload_creates_places_and_shows_the_report(admin_client_, organisation, registry_admin):
    content = _fs_csv("Maison France services A", "Maison France services B", "")
    response = _upload(
        admin_client_, content.encode(), "liste-fs.csv", organisation=organisation.pk
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.rejected) == (2, 1)
    page = response.content.decode()
    assert "liste-fs.csv" in page
    assert "lib_fs: empty: row rejected" in page or report.rejections[0].message in page
    assert Place.objects.filter(status="published").count() == 2
    # The day columns became each place's schedule, recorded as the admin's import.
    assert Schedule.objects.filter(osm_source="Mo 09:00-12:00,13:30-17:00").count() == 2
    place = Place.objects.get(name="Maison France services A")
    assert place.changes.filter(target="schedule:place").get().user == registry_admin

    again = _upload(admin_client_, content.encode(), "liste-fs.csv", organisation=organisation.pk)
    assert (again.context["report"].unchanged, again.context["report"].created) == (2, 0)


def test_latin1_csv_is_refused_with_a_message(admin_client_, organisation):
    content = _fs_csv("Maison France services de Montréal").encode("latin-1")
    response = _upload(admin_client_, content, "fs.csv", organisation=organisation.pk)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported" in page and "utf-8" in page
    assert 'role="alert"' in page
    assert not Place.objects.exists()
    # Saying the encoding reads it.
    response = _upload(
        admin_client_, content, "fs.csv", organisation=organisation.pk, encoding="latin-1"
    )
    assert response.context["report"].created == 1
    assert Place.objects.get().name == "Maison France services de Montréal"


def test_malformed_json_is_refused_with_a_message(admin_client_, organisation):
    response = _upload(
        admin_client_,
        b'[{"id": "a", "nom": "X", "latitude": 45.7, "longitude": 4.8},\n{"id": ',
        "lmn.json",
        organisation=organisation.pk,
        fmt="lmn",
    )
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "JSON file ends in the middle of record 2, which starts at line 2" in page
    assert not Place.objects.exists() and not ExternalId.objects.exists()


def test_form_errors_are_linked_to_their_fields(admin_client_, organisation):
    response = _upload(
        admin_client_, b"a;b\n1;2\n", "any.csv", organisation=organisation.pk, fmt="csv"
    )
    form = response.context["form"]
    assert "mapping" in form.errors
    page = response.content.decode()
    assert 'id="id_mapping_errors"' in page
    assert 'aria-describedby="id_mapping_helptext id_mapping_errors"' in page
    assert 'aria-invalid="true"' in page
    missing = admin_client_.post(reverse("imports:upload"), {"fmt": "lmn"})
    assert "file" in missing.context["form"].errors
    assert not Place.objects.exists()


# ---------------------------------------------------------------------------- duplicates


def test_detail_shows_both_sides_and_marks_differences_in_text(admin_client_, duplicate):
    response = admin_client_.get(reverse("imports:duplicate_detail", args=[duplicate.pk]))
    rows = {row["key"]: row for row in response.context["rows"]}
    assert rows["name"]["differs"] is False
    assert rows["latitude"]["differs"] is True
    page = response.content.decode()
    assert "≠ different" in page and "= same" in page


def test_merge_through_the_pages(admin_client_, duplicate, registry_admin):
    response = admin_client_.post(reverse("imports:duplicate_merge", args=[duplicate.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("imports:duplicate_list")
    duplicate.refresh_from_db()
    assert duplicate.status == "merged" and duplicate.resolved_by == registry_admin
    assert set(duplicate.place.external_ids.values_list("external_id", flat=True)) == {"p0", "q0"}
    assert Place.objects.count() == 1
    # A second decision on the same entry is refused with a message, nothing changes.
    again = admin_client_.post(
        reverse("imports:duplicate_dismiss", args=[duplicate.pk]), follow=True
    )
    assert "already merged" in again.content.decode()
    assert Place.objects.count() == 1


def test_dismiss_through_the_pages(admin_client_, duplicate):
    response = admin_client_.post(reverse("imports:duplicate_dismiss", args=[duplicate.pk]))
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == "dismissed"
    assert Place.objects.count() == 2
    assert duplicate.resolved_place.external_ids.get().external_id == "q0"
    listing = admin_client_.get(reverse("imports:duplicate_list"))
    assert list(listing.context["page"]) == []
    everything = admin_client_.get(reverse("imports:duplicate_list"), {"status": "all"})
    assert list(everything.context["page"]) == [duplicate]


def test_duplicate_list_query_count_does_not_grow(
    admin_client_, tmp_path, organisation, django_assert_num_queries
):
    url = reverse("imports:duplicate_list")
    _queue(tmp_path, organisation, count=1)
    admin_client_.get(url)  # warm caches (content types, translations)

    def count_queries() -> int:
        # 1 session, 2 user, 3 memberships (roles_of), 4 COUNT for the paginator,
        # 5 the page of duplicates with their place and organisation (one JOIN),
        # 6 the open conflicts between files with their place and organisation (one JOIN),
        # 7 pending suggestions in the menu (base template).
        with django_assert_num_queries(7):
            response = admin_client_.get(url)
        return len(response.context["page"])

    assert count_queries() == 1
    PossibleDuplicate.objects.all().delete()
    Place.objects.all().delete()
    ExternalId.objects.all().delete()
    _queue(tmp_path, organisation, count=6)
    assert count_queries() == 6
