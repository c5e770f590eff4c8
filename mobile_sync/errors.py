from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import AppError, Conflict, ValidationFailed


class SyncConflict(Conflict):
    code = "sync_conflict"
    message = _("The server changed records after your last pull. Pull, then push again.")


class SchemaTooOld(AppError):
    status = 409
    code = "sync_schema_unsupported"
    message = _("This app's database schema is not supported any more. Update the app.")


class InvalidSyncBatch(ValidationFailed):
    code = "invalid_sync_batch"
    message = _("The sync batch is malformed.")
