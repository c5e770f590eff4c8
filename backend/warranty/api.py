"""The warranty API: the 住宅质量保证书 of a unit as a PDF, for the staff who hand it over."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router

from backend.accounts.auth import caller, staff_auth
from backend.core.schemas import COMMON_ERRORS
from backend.warranty.documents import quality_guarantee_pdf

router = Router(tags=["warranty"])


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get("/warranty/units/{unit_id}/quality-guarantee.pdf", auth=staff_auth, response={200: None, **COMMON_ERRORS},
            summary="The unit's 住宅质量保证书 (PDF)")
def quality_guarantee(request: HttpRequest, unit_id: UUID):  # type: ignore[no-untyped-def]
    """Every warranty component of the unit: the developer's minimum from the handover and its end, the
    contract's extension, the contractor's period from the completion acceptance and its end, and the end
    that applies (《商品房销售管理办法》 art.33). Handover officers, customer service and administrators."""
    content = quality_guarantee_pdf(actor=caller(request), unit_id=unit_id, now=timezone.now())
    return pdf_response(content, f"quality-guarantee-{unit_id}.pdf")
