"""Typed errors of the rules engine.

Every error carries a stable ``code`` (the Django side translates by code), an English
``message`` and a ``details`` dict of plain JSON-able values. Nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class WorkflowError(Exception):
    """Base class of every error the engine raises on purpose."""

    code: str = "workflow.error"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


@dataclass(frozen=True)
class DefinitionProblem:
    """One thing wrong in a definition file, located as precisely as the YAML allows."""

    file: str
    line: int | None
    path: str
    message: str
    # A stable code and its parameters, so that an application can say the same thing in its reader's
    # language (``message`` is the English sentence). Parameters are plain JSON values.
    code: str = "definitions.problem"
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "path": self.path, "message": self.message,
                "code": self.code, "params": dict(self.params)}


class DefinitionError(WorkflowError):
    """A definition set does not load. ``problems`` lists every problem found, not only the first."""

    code = "definitions.invalid"

    def __init__(self, problems: list[DefinitionProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the workflow definitions"
        body = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{head}:\n{body}", details={"problems": [p.as_dict() for p in self.problems]})


class InvalidTimeError(WorkflowError):
    """An instant or a duration the engine cannot work with (naive datetime, negative duration)."""

    code = "time.invalid"


class CalendarError(WorkflowError):
    code = "calendar.error"


class RoutingError(WorkflowError):
    code = "routing.error"


class GrabError(RoutingError):
    """A grab (抢单) that cannot be accepted: expired, not offered to this candidate, still open."""

    code = "routing.grab_refused"


class SlaError(WorkflowError):
    code = "sla.error"


class ApprovalError(WorkflowError):
    """An approval event that does not apply. The state it was applied to is unchanged."""

    code = "approval.error"


class ApprovalConfigurationError(ApprovalError):
    """An approval cannot start: no approver resolves for a step, or the graph is unusable."""

    code = "approval.configuration"
