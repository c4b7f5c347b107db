"""Insert many new rows of one model, as `bulk_create` does, in less Python time.

`QuerySet.bulk_create` compiles every value of every row through the field machinery
(`pre_save`, `get_db_prep_save`, a compiler per batch): for the tens of thousands of
history records, offers and links an import writes, that was the largest cost of the
import after the queries themselves. `insert_many` writes the same rows (same columns,
same values, primary keys set on the instances, no model signal, as bulk_create) with
one multi-row `INSERT … RETURNING` per chunk, converting only the values whose field
needs it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone

# Field types whose value goes to the database as Python holds it, on SQLite and on
# PostgreSQL alike (exact types: a subclass may convert, and goes the general way).
_AS_IS = {
    models.CharField,
    models.TextField,
    models.SlugField,
    models.EmailField,
    models.URLField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.BigIntegerField,
    models.BooleanField,
}


def _sqlite_limit() -> int:
    connection.ensure_connection()
    return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def insert_many(model: type[models.Model], objs: Sequence[models.Model]) -> list[models.Model]:
    """bulk_create(objs) for new instances of `model` with an automatic primary key.

    Timestamps with auto_now/auto_now_add take one instant for the call. Foreign keys
    given as saved instances are read from them, as bulk_create does.
    """
    objs = list(objs)
    if not objs:
        return objs
    meta = model._meta
    pk = meta.pk
    if not isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
        return model.objects.bulk_create(objs)  # the key is not the database's to give
    fields = [f for f in meta.concrete_fields if f is not pk]
    now = timezone.now()
    columns = []
    for field in fields:
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        if stamped:
            kind = "now"
        elif field.is_relation:
            kind = "fk"
        elif type(field) in _AS_IS:
            kind = "as_is"
        elif type(field) is models.JSONField:
            kind = "json"
        else:
            kind = "prep"
        columns.append((field, field.attname, kind))
    stamp = {f.attname: f.get_db_prep_save(now, connection) for f, _a, k in columns if k == "now"}
    adapt_json = connection.ops.adapt_json_value
    rows = []
    for obj in objs:
        row = []
        for field, attname, kind in columns:
            if kind == "now":
                setattr(obj, attname, now)
                value = stamp[attname]
            elif kind == "json":
                # JSONField.get_db_prep_save without its detours (None is NULL).
                value = getattr(obj, attname)
                if value is not None:
                    value = adapt_json(value, field.encoder)
            elif kind == "as_is":
                value = getattr(obj, attname)
            elif kind == "fk":
                value = getattr(obj, attname)
                if value is None and field.is_cached(obj):
                    # Assigned before the related row was saved: read its key now.
                    related = field.get_cached_value(obj)
                    if related is not None:
                        value = related.pk
                        setattr(obj, attname, value)
            else:
                value = field.get_db_prep_save(getattr(obj, attname), connection)
            row.append(value)
        rows.append(row)
    quote = connection.ops.quote_name
    head = (
        f"INSERT INTO {quote(meta.db_table)} "
        f"({', '.join(quote(f.column) for f, _a, _k in columns)}) VALUES "
    )
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    # PostgreSQL takes 65,535 parameters per statement; SQLite what it was built with
    # (32,766 since 3.32; Django reckons 999 whatever the build, and this module did too:
    # 62 offers per statement, 582 statements for 3,000 France Services rows).
    limit = _sqlite_limit() if connection.vendor == "sqlite" else 60000
    size = max(1, min(1000, limit // len(columns)))
    keys: list = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            sql = f"{head}{', '.join([one] * len(chunk))} RETURNING {quote(pk.column)}"
            cursor.execute(sql, [value for row in chunk for value in row])
            keys.extend(key for (key,) in cursor.fetchall())
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs
