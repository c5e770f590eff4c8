"""The multi-row ``INSERT`` of one model's new rows, for the few writes the ORM cannot say in one
statement: an ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (the notification deliveries claim
their idempotency keys that way). Everything else uses ``bulk_create``.

Values are prepared as the ORM prepares them for an insert: ``pre_save`` then ``get_db_prep_save``
for every field, through their public APIs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import AutoField, BigAutoField, Model, SmallAutoField

AUTO_FIELDS = (AutoField, BigAutoField, SmallAutoField)


@dataclass(frozen=True)
class InsertStatement:
    sql: str  # INSERT INTO "table" ("col", ...) VALUES (%s, ...), (...)
    params: list[Any]


def insert_statement(model: type[Model], objs: Sequence[Model], connection: BaseDatabaseWrapper) -> InsertStatement:
    """One multi-row ``INSERT`` of new instances of one model, with its parameters prepared for the
    connection's database; callers append to it (``ON CONFLICT ...``, ``RETURNING ...``). A model
    with an auto-increment key leaves it to the database."""
    meta = model._meta
    generated = isinstance(meta.pk, AUTO_FIELDS)
    written = [field for field in meta.concrete_fields
               if not (generated and field is meta.pk) and not getattr(field, "generated", False)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in written)
    params = [field.get_db_prep_save(field.pre_save(obj, True), connection=connection)
              for obj in objs for field in written]
    row = f"({', '.join(['%s'] * len(written))})"
    values = ", ".join([row] * len(objs))
    return InsertStatement(sql=f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}",  # noqa: S608
                           params=params)
