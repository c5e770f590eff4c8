from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import Conflict, ValidationFailed


class DefinitionsInvalid(ValidationFailed):
    """The engine's loader refused the definitions; ``details.problems`` lists each with file and line."""

    code = "definitions_invalid"
    message = _("The rules have errors; nothing was published.")


class NothingToPublish(Conflict):
    code = "definitions_unchanged"
    message = _("These rules are already the version in force.")


class DraftClosed(Conflict):
    code = "draft_closed"
    message = _("This draft has already been published or discarded.")


class StaleDraft(Conflict):
    code = "draft_stale"
    message = _("Another version was published after this draft was started; review the difference first.")
