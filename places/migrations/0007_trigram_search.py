"""SQLite: a trigram FTS5 table for the close-spelling search (places/textsearch.py).

PostgreSQL already answers close spellings from its trigram GIN index (0006).
"""

from django.db import migrations

# Copied from places.textsearch.SQLITE_SETUP so this migration never changes; the same
# statements run again after every migrate (places.apps) in case SQLite dropped triggers.
SQLITE = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS place_trigram USING fts5(
        search_text, content='places_place', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER IF NOT EXISTS place_trigram_insert AFTER INSERT ON places_place BEGIN
        INSERT INTO place_trigram(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS place_trigram_delete AFTER DELETE ON places_place BEGIN
        INSERT INTO place_trigram(place_trigram, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS place_trigram_update AFTER UPDATE OF search_text
        ON places_place BEGIN
        INSERT INTO place_trigram(place_trigram, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO place_trigram(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    "INSERT INTO place_trigram(place_trigram) VALUES ('rebuild')",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name in ("place_trigram_insert", "place_trigram_delete", "place_trigram_update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute("DROP TABLE IF EXISTS place_trigram")


class Migration(migrations.Migration):
    dependencies = [("places", "0006_text_search")]
    operations = [migrations.RunPython(forwards, backwards)]
