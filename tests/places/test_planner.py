"""Planner statistics after bulk writes (places.planner), on SQLite and PostgreSQL."""

from __future__ import annotations

from django.db import connection

from places.models import Place
from places.planner import refresh_planner_statistics
from tests.factories import PlaceFactory


def _statistics_rows(table: str) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return 0
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        else:
            cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = %s", [table])
        return cursor.fetchone()[0]


def test_the_named_tables_get_statistics(db):
    PlaceFactory.create_batch(30)
    table = Place._meta.db_table
    before = _statistics_rows(table)

    refresh_planner_statistics(Place)

    assert _statistics_rows(table) > before


def test_load_demo_leaves_statistics_for_the_search_tables(db):
    from scheduling.demo import load_demo

    load_demo(places=20, fast=True)
    for table in ("places_place", "services_serviceoffer", "scheduling_openinginterval"):
        assert _statistics_rows(table) > 0, table
