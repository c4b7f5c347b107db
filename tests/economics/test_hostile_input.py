"""Hostile files and fields on the economics pages: a clear 400 page, nothing stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from economics.models import BudgetLine, SharingOffer

pytestmark = pytest.mark.django_db

HEADER = b"year,scenario,direction,category,amount,label\n"


def _upload_budget(client, place, content: bytes):
    return client.post(
        reverse("economics:import", args=[place.public_id, "budget"]),
        {"file": SimpleUploadedFile("budget.csv", content)},
    )


def test_a_budget_csv_with_a_4_mb_field_is_refused(fablab, admin_client_):
    content = HEADER + b'2024,actual,cost,staff,10,"' + b"x" * (4 * 1024 * 1024) + b'"\n'
    response = _upload_budget(admin_client_, fablab, content)
    assert response.status_code == 400
    assert "the CSV cannot be read" in response.content.decode()
    assert not BudgetLine.objects.exists()


def test_a_budget_csv_with_nul_characters_is_refused(fablab, admin_client_):
    content = HEADER + b"2024,actual,cost,staff,10,Sal\x00aires\n"
    response = _upload_budget(admin_client_, fablab, content)
    assert response.status_code == 400
    assert "NUL characters" in response.content.decode()
    assert not BudgetLine.objects.exists()


def test_deeply_nested_sharing_rules_are_refused(fablab, meeting_room, admin_client_):
    response = admin_client_.post(
        reverse("economics:sharing_edit", args=[fablab.public_id, meeting_room.pk]),
        {
            "rules_json": "[" * 100_000 + "]" * 100_000,
            "terms": "free",
            "visibility": "public",
            "active": "on",
            "version": "0",
        },
    )
    assert response.status_code == 400
    assert "Not valid JSON" in response.content.decode()
    assert not SharingOffer.objects.exists()


def test_a_long_field_is_refused_even_when_the_process_raised_the_csv_limit(fablab, admin_client_):
    """The csv module's field limit is one setting for the whole process (the commune
    index raises it while it reads its own file): the budget import keeps its own."""
    import csv

    previous = csv.field_size_limit(1 << 30)
    try:
        content = HEADER + b'2024,actual,cost,staff,10,"' + b"x" * (1024 * 1024) + b'"\n'
        response = _upload_budget(admin_client_, fablab, content)
    finally:
        csv.field_size_limit(previous)
    assert response.status_code == 400
    assert "the CSV cannot be read" in response.content.decode()
    assert not BudgetLine.objects.exists()


def test_reading_the_communes_leaves_the_csv_limit_as_it_was():
    import csv

    from places.communes import read_communes

    before = csv.field_size_limit()
    assert len(read_communes()) > 30_000
    assert csv.field_size_limit() == before
