"""places.inserts.insert_many writes what bulk_create writes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from places.inserts import insert_many
from places.models import ChangeRecord, Place

IGNORED = {"id", "public_id", "created_at", "updated_at", "verification_due_on"}


def _places(organisation, prefix: str, n: int) -> list[Place]:
    places = []
    for i in range(n):
        place = Place(
            organisation=organisation,
            name=f"Lieu {i}",
            slug=f"{prefix}-{i}",
            postcode="69007",
            commune="Lyon",
            latitude=Decimal("45.750001") + i,
            longitude=Decimal("4.84"),
            itinerant=bool(i % 2),
        )
        place.refresh_derived_fields()
        places.append(place)
    return places


def _row(obj) -> dict:
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in IGNORED and f.attname != "slug"
    }


@pytest.mark.django_db
def test_insert_many_stores_the_rows_bulk_create_stores(organisation, registry_admin):
    by_insert = insert_many(Place, _places(organisation, "a", 3))
    by_bulk = Place.objects.bulk_create(_places(organisation, "b", 3))
    assert all(p.pk is not None and not p._state.adding for p in by_insert)
    stored_insert = [Place.objects.get(pk=p.pk) for p in by_insert]
    stored_bulk = [Place.objects.get(pk=p.pk) for p in by_bulk]
    assert [_row(p) for p in stored_insert] == [_row(p) for p in stored_bulk]
    assert stored_insert[0].created_at is not None
    assert stored_insert[1].latitude == Decimal("46.750001")

    # JSON, a nullable foreign key given as an instance saved after the record was made,
    # a user, and NULL.
    place = Place(organisation=organisation, name="Tard", slug="tard")
    records = [
        ChangeRecord(
            place=place, target="place", action="create", changes={"n": [None, 1]}, user=None
        ),
        ChangeRecord(
            place=None, target="x", action="update", changes={}, user=registry_admin, version=3
        ),
    ]
    insert_many(Place, [place])
    with CaptureQueriesContext(connection) as queries:
        insert_many(ChangeRecord, records)
    assert len(queries) == 1
    stored = {r.target: r for r in ChangeRecord.objects.filter(pk__in=[r.pk for r in records])}
    assert stored["place"].place_id == place.pk
    assert stored["place"].changes == {"n": [None, 1]}
    assert stored["x"].user_id == registry_admin.pk and stored["x"].version == 3
    assert stored["x"].place_id is None


@pytest.mark.django_db
def test_insert_many_splits_large_batches(organisation):
    places = insert_many(Place, _places(organisation, "c", 250))
    assert len({p.pk for p in places}) == 250
    stored = dict(Place.objects.filter(slug__startswith="c-").values_list("pk", "slug"))
    assert all(stored[p.pk] == p.slug for p in places)
