"""Indexes for free-text search (places/textsearch.py, docs/decisions).

PostgreSQL: the pg_trgm extension, a GIN index on the French tsvector of
`search_text` and a trigram GIN index on it. SQLite: the FTS5 table and its triggers.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

POSTGRES = [
    "CREATE INDEX IF NOT EXISTS place_search_fts ON places_place "
    "USING gin (to_tsvector('french'::regconfig, search_text))",
    "CREATE INDEX IF NOT EXISTS place_search_trgm ON places_place "
    "USING gin (search_text gin_trgm_ops)",
]
# Copied from places.textsearch.SQLITE_SETUP so this migration never changes; the same
# statements run again after every migrate (places.apps) in case SQLite dropped triggers.
SQLITE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS place_fts USING fts5(
        search_text, content='places_place', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER IF NOT EXISTS place_fts_insert AFTER INSERT ON places_place BEGIN
        INSERT INTO place_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS place_fts_delete AFTER DELETE ON places_place BEGIN
        INSERT INTO place_fts(place_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS place_fts_update AFTER UPDATE ON places_place BEGIN
        INSERT INTO place_fts(place_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO place_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    "INSERT INTO place_fts(place_fts) VALUES ('rebuild')",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS place_search_fts",
    "DROP INDEX IF EXISTS place_search_trgm",
]


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for statement in POSTGRES:
            schema_editor.execute(statement)
    elif connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        for statement in POSTGRES_DROP:
            schema_editor.execute(statement)
    elif connection.vendor == "sqlite":
        for name in ("place_fts_insert", "place_fts_delete", "place_fts_update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute("DROP TABLE IF EXISTS place_fts")


class Migration(migrations.Migration):
    dependencies = [("places", "0005_place_time_zone")]
    operations = [
        TrigramExtension(),
        migrations.RunPython(forwards, backwards),
    ]
