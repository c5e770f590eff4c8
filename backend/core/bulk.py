"""New rows of several models written together: one statement on PostgreSQL, one per model elsewhere.

A service that builds the rows of one step in memory (an intake: the order, its timeline events,
assignment, SLA clock events, deadlines and alert rungs) hands them to ``insert_together``. On
PostgreSQL each model's rows become one multi-row ``INSERT`` inside a single statement of
data-modifying CTEs, so all of them cost one round trip to the server; elsewhere (SQLite) each
model's rows go through ``bulk_create``. Either way, every row gets its primary key back (an
auto-increment id is read from ``RETURNING``) and counts as saved afterwards, as with ``bulk_create``.

Foreign keys between the rows need no particular order: Django declares them ``DEFERRABLE
INITIALLY DEFERRED``, so they are checked at commit. Like ``bulk_create``, it sends no signals and
calls no ``save()``: the rows must be complete (defaults are applied when the instances are built,
``pre_save`` hooks such as ``auto_now`` run here).

``insert_statement`` is the multi-row ``INSERT`` of one model's rows, for callers that need more
than a plain insert (the notification deliveries add ``ON CONFLICT DO NOTHING RETURNING``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import AutoField, BigAutoField, Field, Model, SmallAutoField

AUTO_FIELDS = (AutoField, BigAutoField, SmallAutoField)


def insert_together(rows: Sequence[Model]) -> None:
    """Inserts new model instances, grouped by model in the order each model first appears."""
    groups: dict[type[Model], list[Model]] = {}
    for row in rows:
        groups.setdefault(type(row), []).append(row)
    if not groups:
        return
    for model, objs in groups.items():
        _generated_pk(model, objs)  # on every database: each model's rows bring their ids or none do
    if connection.vendor != "postgresql" or len(groups) == 1:
        for model, objs in groups.items():
            model._base_manager.bulk_create(objs)
        return
    ctes: list[str] = []
    selects: list[str] = []
    params: list[Any] = []
    returned: list[list[Model]] = []
    for index, (model, objs) in enumerate(groups.items()):
        statement = insert_statement(model, objs, connection)
        name = f"w{index}"
        if statement.generated:
            pk = connection.ops.quote_name(str(model._meta.pk.column))  # type: ignore[union-attr]
            ctes.append(f"{name} AS ({statement.sql} RETURNING {pk})")
            selects.append(f"SELECT {len(returned)}, {pk} FROM {name}")  # noqa: S608 — quoted names only
            returned.append(objs)
        else:
            ctes.append(f"{name} AS ({statement.sql})")
        params += statement.params
    main = " UNION ALL ".join(selects) if selects else "SELECT NULL, NULL WHERE false"
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} {main}", params)
        ids: list[list[Any]] = [[] for _ in returned]
        for group, pk_value in cursor.fetchall():
            ids[group].append(pk_value)
    for objs, pks in zip(returned, ids, strict=True):
        if len(pks) != len(objs):
            raise RuntimeError(f"expected {len(objs)} ids back from {type(objs[0]).__name__}, got {len(pks)}")
        for obj, pk_value in zip(objs, pks, strict=True):
            obj.pk = pk_value
    for objs in groups.values():
        for obj in objs:
            obj._state.adding = False
            obj._state.db = connection.alias


def _generated_pk(model: type[Model], objs: Sequence[Model]) -> bool:
    """Whether the database assigns the rows' primary keys (an auto-increment id none of them has)."""
    if not isinstance(model._meta.pk, AUTO_FIELDS):
        return False
    missing = sum(1 for obj in objs if obj.pk is None)
    if missing not in (0, len(objs)):
        raise ValueError(f"{model.__name__}: give every row its id or none")
    return missing == len(objs)


# Values PostgreSQL's driver (psycopg) takes as they are for fields of exactly these classes: for them
# ``get_db_prep_save`` returns the value unchanged on PostgreSQL, and skipping it halves the Python
# cost of an intake's 18 rows. Any other field, or a value of another type, goes through it (on
# SQLite every value does: a UUID is stored as its hex digits there).
_AS_IS: dict[type[Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,), models.TextField: (str,), models.UUIDField: (uuid.UUID,),
    models.IntegerField: (int,), models.BigIntegerField: (int,), models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,), models.PositiveSmallIntegerField: (int,),
    models.BigAutoField: (int,), models.AutoField: (int,), models.BooleanField: (bool,),
}


def _as_is(field: Field[Any, Any], vendor: str) -> tuple[type, ...]:
    if vendor != "postgresql":
        return ()
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    return (type(None), *_AS_IS.get(type(target), ()))


_Fields = list[tuple["Field[Any, Any]", tuple[type, ...]]]
# (model, database assigns the pk, vendor) → (the fields written with the value types each takes as
# they are, ``INSERT INTO "table" ("col", ...)``)
_INSERT_FIELDS: dict[tuple[type[Model], bool, str], tuple[_Fields, str]] = {}


@dataclass(frozen=True)
class InsertStatement:
    sql: str  # INSERT INTO "table" ("col", ...) VALUES (%s, ...), (...)
    params: list[Any]
    generated: bool  # the database assigns the primary keys (they are not among the columns)


def insert_statement(model: type[Model], objs: Sequence[Model], connection: BaseDatabaseWrapper) -> InsertStatement:
    """One multi-row ``INSERT`` of new instances of one model, with its parameters prepared for the
    connection's database; callers may append to it (``ON CONFLICT ...``, ``RETURNING ...``)."""
    generated = _generated_pk(model, objs)
    key = (model, generated, connection.vendor)
    if key not in _INSERT_FIELDS:
        meta = model._meta
        written = [field for field in meta.concrete_fields if not (generated and field is meta.pk)
                   and not getattr(field, "generated", False)]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(field.column)) for field in written)
        _INSERT_FIELDS[key] = ([(field, _as_is(field, connection.vendor)) for field in written],
                               f"INSERT INTO {quote(meta.db_table)} ({columns})")
    fields, head = _INSERT_FIELDS[key]
    params = []
    for obj in objs:
        for field, as_is in fields:
            value = field.pre_save(obj, True)
            params.append(value if type(value) in as_is else field.get_db_prep_save(value, connection=connection))
    row = f"({', '.join(['%s'] * len(fields))})"
    return InsertStatement(sql=f"{head} VALUES {', '.join([row] * len(objs))}", params=params, generated=generated)
