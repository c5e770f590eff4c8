from __future__ import annotations

from typing import Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Status, UploadedFile

from backend.accounts.auth import staff_auth
from backend.core.errors import PayloadTooLarge
from backend.core.ratelimit import client_ip, rate_limit_hit
from backend.core.schemas import COMMON_ERRORS, ErrorOut
from backend.properties import qr, selectors
from backend.properties.imports import registry_file_import
from backend.properties.schemas import (
    BuildingPage,
    ImportResultOut,
    PageQuery,
    ProjectPage,
    ProjectQuery,
    QrPlaceOut,
    QrTokenOut,
    UnitPage,
    UnitQuery,
)

router = Router(tags=["properties"])

ImportKind = Literal["projects", "buildings", "units", "owners"]


@router.get("/properties/projects", auth=staff_auth, response={200: ProjectPage, **COMMON_ERRORS},
            summary="List projects (楼盘)")
def project_list(request: HttpRequest, query: Query[ProjectQuery]):  # type: ignore[no-untyped-def]
    """Projects ordered by code, with their building and unit counts.

    For registry readers (customer service, dispatchers, engineering managers and directors, sales,
    handover staff) and administrators. Paginated with `limit` (at most 200) and `offset`; `count`
    is the total. Example: `GET /api/v1/properties/projects?search=杭州&limit=20`."""
    return selectors.project_list(actor=request.user, search=query.search, limit=query.limit, offset=query.offset)


@router.get("/properties/projects/{project_id}/buildings", auth=staff_auth,
            response={200: BuildingPage, **COMMON_ERRORS}, summary="List the buildings of a project")
def building_list(request: HttpRequest, project_id: UUID, query: Query[PageQuery]):  # type: ignore[no-untyped-def]
    """Buildings (楼栋) of one project ordered by code, with unit counts. 404 for an unknown project."""
    return selectors.building_list(actor=request.user, project_id=project_id, limit=query.limit,
                                   offset=query.offset)


@router.get("/properties/buildings/{building_id}/units", auth=staff_auth,
            response={200: UnitPage, **COMMON_ERRORS}, summary="List the units of a building with their owners")
def unit_list(request: HttpRequest, building_id: UUID, query: Query[UnitQuery]):  # type: ignore[no-untyped-def]
    """Units (房号) floor by floor. Each unit lists its current owners by name and **masked** phone
    (`138****5678`); full numbers and ID numbers never leave the registry through this API.
    Filter one floor with `floor=12`."""
    return selectors.unit_list(actor=request.user, building_id=building_id, now=timezone.now(), floor=query.floor,
                               limit=query.limit, offset=query.offset)


@router.post("/properties/import", auth=staff_auth, response={200: ImportResultOut, **COMMON_ERRORS},
             summary="Import projects, buildings, units or owners from CSV / XLSX")
def registry_import(request: HttpRequest, kind: Form[ImportKind], file: File[UploadedFile],  # type: ignore[no-untyped-def]
                    dry_run: Form[bool] = False):
    """Administrators only. Multipart form: `kind` (`projects`, `buildings`, `units` or `owners`),
    `file` (.csv in UTF-8 or GBK, or .xlsx — first worksheet) and optionally `dry_run=true`.

    Headers are English snake_case (`project_code`, `building_code`, `unit_number`, `floor` …) or
    their Chinese equivalents (`项目编码`, `楼栋编码`, `房号`, `楼层` …). Every row is validated
    first; on any problem nothing is saved and the answer is **422** `import_invalid` with
    `details.errors = [{"row": 7, "column": "楼层", "field": "floor", "reason": "Expected a whole
    number."}, …]` (row numbers as in the spreadsheet, header = row 1). Re-importing the same file
    changes nothing: records are matched by natural key and updated in place."""
    if file.size is not None and file.size > settings.MAX_REQUEST_BYTES:
        raise PayloadTooLarge(details={"max_bytes": settings.MAX_REQUEST_BYTES, "received_bytes": file.size})
    result = registry_file_import(actor=request.user, kind=kind, filename=file.name or "", content=file.read(),
                                  dry_run=dry_run)
    return result.as_dict()


@router.get("/qr/{token}", auth=None, response={200: QrPlaceOut, 404: ErrorOut, 410: ErrorOut, 429: ErrorOut},
            summary="Resolve a scanned QR code to its place")
def qr_place(request: HttpRequest, token: str):  # type: ignore[no-untyped-def]
    """Public: what a homeowner's phone calls after scanning the code on a door or in a lobby.
    Answers only where the code hangs (project, building, unit or public area) and the project's
    customer-service line — never who lives there. `404 qr_token_invalid` for a forged or unknown
    code, `410 qr_token_revoked` for a code that has been replaced. Rate limited per IP."""
    rate_limit_hit(name="qr_resolve", identifiers=[f"ip:{client_ip(request)}"])
    return qr.qr_resolve(token=token)


@router.post("/properties/units/{unit_id}/qr/rotate", auth=staff_auth,
             response={201: QrTokenOut, **COMMON_ERRORS}, summary="Replace the QR code of a unit")
def unit_qr_rotate(request: HttpRequest, unit_id: UUID):  # type: ignore[no-untyped-def]
    """Administrators only. Revokes the unit's current code (scanning it then answers 410) and
    issues a new one in the same transaction. Print the new label from the building's label sheet."""
    return Status(201, qr.qr_token_rotate(actor=request.user, unit_id=unit_id, now=timezone.now()))


@router.post("/properties/public-areas/{area_id}/qr/rotate", auth=staff_auth,
             response={201: QrTokenOut, **COMMON_ERRORS}, summary="Replace the QR code of a public area")
def public_area_qr_rotate(request: HttpRequest, area_id: UUID):  # type: ignore[no-untyped-def]
    """Administrators only. As for units: the old code is revoked and a new one issued atomically."""
    return Status(201, qr.qr_token_rotate(actor=request.user, public_area_id=area_id, now=timezone.now()))
