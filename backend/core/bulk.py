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
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.db.models import AutoField, BigAutoField, Field, Model, SmallAutoField

AUTO_FIELDS = (AutoField, BigAutoField, SmallAutoField)


def insert_together(rows: Sequence[Model]) -> None:
    """Inserts new model instances, grouped by model in the order each model first appears."""
    groups: dict[type[Model], list[Model]] = {}
    for row in rows:
        groups.setdefault(type(row), []).append(row)
    if not groups:
        return
    generated = {model: _generated_pk(model, objs) for model, objs in groups.items()}
    if connection.vendor != "postgresql" or len(groups) == 1:
        for model, objs in groups.items():
            model._base_manager.bulk_create(objs)
        return
    ctes: list[str] = []
    selects: list[str] = []
    params: list[Any] = []
    returned: list[list[Model]] = []
    for index, (model, objs) in enumerate(groups.items()):
        sql, values = _insert_sql(model, objs, generated[model])
        returns_pk = generated[model]
        name = f"w{index}"
        if returns_pk:
            pk = connection.ops.quote_name(str(model._meta.pk.column))  # type: ignore[union-attr]
            ctes.append(f"{name} AS ({sql} RETURNING {pk})")
            selects.append(f"SELECT {len(returned)}, {pk} FROM {name}")  # noqa: S608 — quoted names only
            returned.append(objs)
        else:
            ctes.append(f"{name} AS ({sql})")
        params += values
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


def _generated_pk(model: type[Model], objs: list[Model]) -> bool:
    """Whether the database assigns the rows' primary keys (an auto-increment id none of them has)."""
    if not isinstance(model._meta.pk, AUTO_FIELDS):
        return False
    missing = sum(1 for obj in objs if obj.pk is None)
    if missing not in (0, len(objs)):
        raise ValueError(f"{model.__name__}: give every row its id or none")
    return missing == len(objs)


# Values PostgreSQL's driver (psycopg) takes as they are for fields of exactly these classes: for them
# ``get_db_prep_save`` returns the value unchanged on PostgreSQL, and skipping it halves the Python
# cost of an intake's 18 rows. Any other field, or a value of another type, goes through it.
_AS_IS: dict[type[Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,), models.TextField: (str,), models.UUIDField: (uuid.UUID,),
    models.IntegerField: (int,), models.BigIntegerField: (int,), models.SmallIntegerField: (int,),
    models.PositiveIntegerField: (int,), models.PositiveSmallIntegerField: (int,),
    models.BigAutoField: (int,), models.AutoField: (int,), models.BooleanField: (bool,),
}


def _as_is(field: Field[Any, Any]) -> tuple[type, ...]:
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    return (type(None), *_AS_IS.get(type(target), ()))


@functools.lru_cache(maxsize=128)
def _insert_fields(model: type[Model], generated: bool) -> tuple[list[tuple[Field[Any, Any], tuple[type, ...]]], str]:
    """(the fields an INSERT of the model's rows writes with the value types each takes as they are,
    ``INSERT INTO "table" ("col", ...)``)."""
    meta = model._meta
    fields = [field for field in meta.concrete_fields if not (generated and field is meta.pk)
              and not getattr(field, "generated", False)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    return [(field, _as_is(field)) for field in fields], f"INSERT INTO {quote(meta.db_table)} ({columns})"


def _insert_sql(model: type[Model], objs: list[Model], generated: bool) -> tuple[str, list[Any]]:
    """One multi-row INSERT of the rows and its parameters (PostgreSQL)."""
    fields, head = _insert_fields(model, generated)
    params = []
    for obj in objs:
        for field, as_is in fields:
            value = field.pre_save(obj, True)
            params.append(value if type(value) in as_is else field.get_db_prep_save(value, connection=connection))
    row = f"({', '.join(['%s'] * len(fields))})"
    return f"{head} VALUES {', '.join([row] * len(objs))}", params
