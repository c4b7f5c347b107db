"""Free-text search over places: ranked, accent-free, forgiving one typo.

`Place.search_text` is an accent-free, lower-case copy of the name, description, commune and
address (`normalize_text`), and queries are normalised the same way, so both databases
compare accent-free text without needing an `unaccent` step at query time.

- PostgreSQL: full-text search with the French configuration (stemming, prefix matches)
  over a GIN expression index, ranked by `ts_rank`; when no place matches every word, a
  trigram word-similarity fallback (`pg_trgm`, GIN index) finds close spellings.
- SQLite: an FTS5 table `place_fts` mirroring `search_text` (kept in sync by triggers),
  prefix matches, ranked by `bm25`; the close-spelling fallback is one-typo LIKE patterns
  answered by a second FTS5 table with the trigram tokenizer (`place_trigram`).

Words reach FTS5 and tsquery only as runs of `[0-9a-z]`, each quoted or prefixed by us, so
no character typed by a person can change the query syntax.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import F, FloatField, Func, Lookup, QuerySet
from django.db.models import Value as V
from django.db.models.expressions import RawSQL
from django.db.models.fields import BooleanField

from places.models import normalize_text

# Bound the SQL built from one query, whatever is typed (no French word is longer).
MAX_WORDS = 8
MAX_WORD_LENGTH = 30

FTS_TABLE = "place_fts"
# Trigrams of the same text, for the one-typo patterns: FTS5 answers LIKE from this index
# when a pattern holds three letters in a row, instead of reading every place's text.
TRIGRAM_TABLE = "place_trigram"

SQLITE_SETUP = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        search_text, content='places_place', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER IF NOT EXISTS place_fts_insert AFTER INSERT ON places_place BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS place_fts_delete AFTER DELETE ON places_place BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS place_fts_update AFTER UPDATE ON places_place BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {TRIGRAM_TABLE} USING fts5(
        search_text, content='places_place', content_rowid='id', tokenize='trigram')""",
    f"""CREATE TRIGGER IF NOT EXISTS place_trigram_insert AFTER INSERT ON places_place BEGIN
        INSERT INTO {TRIGRAM_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS place_trigram_delete AFTER DELETE ON places_place BEGIN
        INSERT INTO {TRIGRAM_TABLE}({TRIGRAM_TABLE}, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS place_trigram_update AFTER UPDATE OF search_text
        ON places_place BEGIN
        INSERT INTO {TRIGRAM_TABLE}({TRIGRAM_TABLE}, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO {TRIGRAM_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
]


def ensure_sqlite_index(using=None, **kwargs) -> None:
    """Create the FTS5 table and its triggers if missing, and refill it.

    Run after every `migrate` (post_migrate): SQLite rebuilds a table to alter it, which
    drops its triggers, so a later migration of `places_place` must not silently stop
    the index from following the places.
    """
    from django.db import connections

    conn = connections[using or "default"]
    if conn.vendor != "sqlite":
        return
    tables = conn.introspection.table_names()
    if "places_place" not in tables:
        return
    with conn.cursor() as cursor:
        for statement in SQLITE_SETUP:
            cursor.execute(statement)
        for table in (FTS_TABLE, TRIGRAM_TABLE):
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")


def search_words(text: str) -> list[str]:
    """The words of `text` as the index sees them: accent-free runs of letters and digits."""
    return _clean(re.sub(r"[^0-9a-z]+", " ", normalize_text(text)).split())


def _clean(words: list[str]) -> list[str]:
    cleaned = (re.sub(r"[^0-9a-z]", "", w)[:MAX_WORD_LENGTH] for w in words)
    return [w for w in cleaned if w][:MAX_WORDS]


def _singular(word: str) -> str:
    # "impressions" must find "impression": prefix matching alone cannot shorten a word.
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


class _Like(Lookup):
    """`text LIKE pattern`, the pattern's `_` and `%` being wildcards (not escaped)."""

    lookup_name = "lp_textsearch_like"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def _typo_patterns(word: str) -> list[str]:
    """The patterns a close spelling of `word` must match: one typo, or as typed if short."""
    return [f"%{word}%"] if len(word) < 5 else one_typo_patterns(word)


def one_typo_patterns(word: str) -> list[str]:
    """LIKE patterns matching `word` with one letter wrong, missing, extra or swapped."""
    n = len(word)
    patterns = set()
    for i in range(n):
        patterns.add(word[:i] + "_" + word[i + 1 :])  # one letter wrong
        patterns.add(word[:i] + word[i + 1 :])  # one letter too many in what was typed
        if i:
            patterns.add(word[:i] + "_" + word[i:])  # one letter missing
        if i < n - 1:
            patterns.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])  # swapped
    return sorted(f"%{p}%" for p in patterns if len(p) >= 3)


def _postgres_match(queryset: QuerySet, words: list[str]) -> QuerySet:
    tsquery = " & ".join(f"{_singular(w)}:*" for w in words)
    # The index is on exactly `to_tsvector('french'::regconfig, search_text)`.
    document = "to_tsvector('french'::regconfig, %(expressions)s)"
    matches = Func(
        F("search_text"),
        V(tsquery),
        template=document,
        arg_joiner=") @@ to_tsquery('french'::regconfig, ",
        output_field=BooleanField(),
    )
    rank = Func(
        F("search_text"),
        V(tsquery),
        template="ts_rank(" + document + ")",
        arg_joiner="), to_tsquery('french'::regconfig, ",
        output_field=FloatField(),
    )
    return queryset.filter(matches).annotate(text_rank=rank)


class _FtsRow(Func):
    """`<place id> = place_fts.rowid AND place_fts MATCH <expression>`: the place's row of
    the FTS5 table, joined once (see `_sqlite_match`)."""

    output_field = BooleanField()

    def __init__(self, expression: str):
        super().__init__(F("pk"), V(expression))

    def as_sql(self, compiler, connection, **extra):
        pk, pk_params = compiler.compile(self.source_expressions[0])
        match, match_params = compiler.compile(self.source_expressions[1])
        sql = f"({pk} = {FTS_TABLE}.rowid AND {FTS_TABLE} MATCH {match})"
        return sql, [*pk_params, *match_params]


def _sqlite_match(queryset: QuerySet, words: list[str]) -> QuerySet:
    expression = " ".join(f'"{_singular(w)}"*' for w in words)
    # The FTS5 table joined to the places (its name in FROM; the join and the MATCH as a
    # filter expression, which follows the places' alias): FTS5 reads the matches once and
    # gives each its bm25 `rank`. The former shape, `pk IN (MATCH)` with a correlated
    # `bm25()` subquery per place, made FTS5 evaluate the whole prefix query again for
    # every matching place, quadratic in the matches (48 s at 100,000 places for words
    # found in 6,800 places; EXPLAIN QUERY PLAN showed "CORRELATED SCALAR SUBQUERY ...
    # SCAN place_fts VIRTUAL TABLE INDEX 0:=M1" per row).
    return (
        queryset.extra(tables=[FTS_TABLE])  # noqa: S610 - a constant table name, no input
        .filter(_FtsRow(expression))
        .annotate(text_rank=RawSQL(f"-{FTS_TABLE}.rank", [], output_field=FloatField()))
    )


def matching(queryset: QuerySet, words: list[str]) -> QuerySet:
    """Places whose text holds every word (as a prefix), annotated with `text_rank`.

    Higher `text_rank` is more relevant; `words` come from `search_words`.
    """
    words = _clean(words)
    if not words:
        return queryset.annotate(text_rank=V(0.0, output_field=FloatField()))
    if connection.vendor == "postgresql":
        return _postgres_match(queryset, words)
    return _sqlite_match(queryset, words)


class _Regex(Lookup):
    """`text ~ pattern` (POSIX regular expression), answered by the trigram GIN index."""

    lookup_name = "lp_textsearch_regex"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ~ {rhs}", [*lhs_params, *rhs_params]


def one_typo_regex(word: str) -> str:
    """One regular expression for `one_typo_patterns(word)`: their alternation.

    Words are `[0-9a-z]` runs (`_clean`), so only the wildcard needs writing: `_` is `.`.
    """
    return "|".join(p.strip("%").replace("_", ".") for p in sorted(one_typo_patterns(word)))


def close_spelling(queryset: QuerySet, words: list[str]) -> QuerySet:
    """Places whose text holds every word with a close spelling, annotated with `text_rank`.

    Both databases: one typo (a letter wrong, missing, extra, or two swapped) for words of
    five letters or more; shorter words must appear as typed. PostgreSQL ranks them by
    trigram word similarity.
    """
    words = _clean(words)
    if not words:
        return queryset.annotate(text_rank=V(0.0, output_field=FloatField()))
    if connection.vendor == "postgresql":
        rank = None
        for word in words:
            # One typo, as on SQLite: the patterns as one regular expression, which the
            # trigram GIN index answers in one scan (an OR of some thirty LIKE patterns
            # made the planner read every row: 2 s at 100,000 places against 40 ms).
            if len(word) < 5:
                queryset = queryset.filter(_Like(F("search_text"), V(f"%{word}%")))
            else:
                queryset = queryset.filter(_Regex(F("search_text"), V(one_typo_regex(word))))
            similarity = Func(
                V(word), F("search_text"), function="word_similarity", output_field=FloatField()
            )
            rank = similarity if rank is None else rank + similarity
        return queryset.annotate(text_rank=rank)
    for word in words:
        patterns = _typo_patterns(word)
        # One indexed lookup per pattern (an OR of LIKEs would read the whole table).
        union = " UNION ".join(
            f"SELECT rowid FROM {TRIGRAM_TABLE} WHERE search_text LIKE %s" for _ in patterns
        )
        queryset = queryset.filter(pk__in=RawSQL(union, patterns))
    return queryset.annotate(text_rank=V(0.0, output_field=FloatField()))
