"""Fresh planner statistics after bulk writes.

A table filled in one go (the demo registry, a national import, a full calendar rebuild)
keeps the statistics of its empty self until the database samples it again, and the
query planner then picks plans made for ten rows: on PostgreSQL, the public search at
10,000 places took 1.8 s instead of 18 ms until the tables were analysed
(docs/benchmarks.md, "Directory"). Writers of bulk data call this at the end.
"""

from __future__ import annotations

from django.db import connection

# SQLite reads at most this many rows per index (PRAGMA analysis_limit): enough for the
# planner, and ANALYZE stays quick on a table of millions of calendar rows.
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_planner_statistics(*models) -> None:
    """ANALYZE the tables of these models (all of the database's tables when none given)."""
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        for table in tables or [""]:
            cursor.execute(f"ANALYZE {table}".strip())
