"""Every synced table is stamped by its trigger: a pull's comparisons and a push's conflict checks rely on it.

The triggers are installed after every ``migrate`` (mobile_sync/triggers.py), so a migration that rebuilds a
table on SQLite never needs a "triggers again" migration, and the system check mobile_sync.E001 fails while
one is missing.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection, models

from backend.workorders.models import Comment
from mobile_sync import triggers


@pytest.mark.django_db
def test_every_synced_table_has_its_stamp_triggers():
    expected = set(triggers.expected(connection.vendor))
    present = triggers.present(connection)
    assert expected <= present, sorted(expected - present)
    assert triggers.check_stamp_triggers(databases=["default"]) == []


def _rebuild_comment_table(*, null: bool) -> None:
    """What a migration altering the column does: on SQLite, a new table copied over (without triggers)."""
    old = Comment._meta.get_field("body")
    new = models.TextField(null=null)
    new.set_attributes_from_name("body")
    new.model = Comment
    with connection.schema_editor() as editor:
        if null:
            editor.alter_field(Comment, old, new)
        else:
            editor.alter_field(Comment, _loose(old), old)
    if connection.vendor == "postgresql":  # PostgreSQL alters in place: drop the trigger as a rebuild would
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS workorders_comment_sync_stamp ON workorders_comment")


def _loose(field: models.Field) -> models.Field:  # type: ignore[type-arg]
    loose = models.TextField(null=True)
    loose.set_attributes_from_name(field.name)
    loose.model = Comment
    return loose


@pytest.mark.django_db(transaction=True)
def test_a_rebuilt_table_gets_its_triggers_back_after_migrate_and_the_check_fails_until_then():
    _rebuild_comment_table(null=True)
    try:
        missing = triggers.missing(connection)
        assert missing and all(name.startswith("workorders_comment_sync_stamp") for name in missing)
        [error] = triggers.check_stamp_triggers(databases=["default"])
        assert error.id == "mobile_sync.E001" and "workorders_comment" in error.msg
        call_command("migrate", verbosity=0)
        assert triggers.missing(connection) == []
        assert triggers.check_stamp_triggers(databases=["default"]) == []
    finally:
        _rebuild_comment_table(null=False)
        triggers.install(connection)
    assert triggers.missing(connection) == []


@pytest.mark.django_db(transaction=True)
def test_a_write_to_a_rebuilt_table_is_stamped_again_after_migrate():
    from tests.workorders.world import two_sides

    a, _b = two_sides()
    _rebuild_comment_table(null=True)
    try:
        call_command("migrate", verbosity=0)
        comment = Comment.objects.create(order=a.order, author=a.technician, body="重建之后", created_at=a.order.created_at)
        assert Comment.objects.values_list("sync_stamp", flat=True).get(id=comment.id) > 0
    finally:
        _rebuild_comment_table(null=False)
        triggers.install(connection)


@pytest.mark.django_db(transaction=True)
def test_the_check_does_not_stop_the_migrate_that_repairs_what_it_reports(monkeypatch):
    _rebuild_comment_table(null=True)
    try:
        monkeypatch.setattr("sys.argv", ["manage.py", "migrate"])
        call_command("migrate", verbosity=0, skip_checks=False)  # as `manage.py migrate` runs: checks first
        assert triggers.missing(connection) == []
    finally:
        _rebuild_comment_table(null=False)
        triggers.install(connection)
