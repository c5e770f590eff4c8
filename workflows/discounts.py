"""The discount approval graphs of the sales CRM (``definitions/crm/discounts.yaml``): the same graph
shape as the cost approvals (``approvals.yaml``), chosen by the discount's amount alone, run by the
same state machine (``approvals.open_approval`` / ``apply_event``)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import ValidationError

from workflows.errors import DefinitionError
from workflows.loader import DEFAULT_DEFINITIONS_DIR, _parse, _validation_problems
from workflows.schema import ApprovalsDoc

DISCOUNTS_FILE = "discounts.yaml"
DEFAULT_DISCOUNTS_PATH = DEFAULT_DEFINITIONS_DIR / "crm" / DISCOUNTS_FILE


def load_discount_graphs(text: str | None = None) -> tuple[ApprovalsDoc, str]:
    """The validated graphs and their content version; raises ``DefinitionError`` naming line and field."""
    source = text if text is not None else Path(DEFAULT_DISCOUNTS_PATH).read_text(encoding="utf-8")
    parsed, data, locator, problems = _parse(DISCOUNTS_FILE, source)
    if not parsed or problems:
        raise DefinitionError(problems)
    try:
        doc = ApprovalsDoc.model_validate(data)
    except ValidationError as exc:
        raise DefinitionError(_validation_problems(exc, ApprovalsDoc, locator)) from exc
    payload = json.dumps(doc.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return doc, hashlib.sha256(payload.encode("utf-8")).hexdigest()
