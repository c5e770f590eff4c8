"""Error codes of the resumable uploads. Messages are English msgids; the catalogue gives the Chinese."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import AppError, Conflict, ValidationFailed


class UploadOffsetMismatch(Conflict):
    """``details.offset`` is the server's offset: the client resumes from there."""

    code = "upload_offset_mismatch"
    message = _("The chunk does not start where the upload stands. Resume from the offset given.")


class UploadOffsetRequired(ValidationFailed):
    code = "upload_offset_required"
    message = _("Give the chunk's offset in the Upload-Offset header.")


class UploadOverflow(ValidationFailed):
    code = "upload_overflow"
    message = _("The chunk goes beyond the declared file size.")


class UploadIncomplete(Conflict):
    code = "upload_incomplete"
    message = _("Not all bytes of the file have arrived yet.")


class UploadHashMismatch(ValidationFailed):
    """The upload is reset to offset 0 so that the client can send the file again."""

    code = "upload_hash_mismatch"
    message = _("The file that arrived does not match its declared SHA-256. Please send it again.")


class UploadClosed(Conflict):
    code = "upload_closed"
    message = _("This upload no longer accepts data.")


class UploadExpired(AppError):
    status = 410
    code = "upload_expired"
    message = _("This upload has expired. Please start a new one.")


class UploadClientIdReused(Conflict):
    code = "upload_client_id_reused"
    message = _("This client id already names a different upload.")


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    message = _("Send the chunk as application/octet-stream.")


class UploadQuotaExceeded(AppError):
    """A device holds too many unfinished uploads: it finishes (or lets expire) some before opening more."""

    status = 429
    code = "upload_quota_exceeded"
    message = _("This device has too many unfinished uploads. Finish sending the photos already started first.")
