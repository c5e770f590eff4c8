"""The one django-ninja API, mounted at /api/v1 (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""

from __future__ import annotations

from ninja import NinjaAPI

from backend.accounts.api import router as accounts_router
from backend.core.api import router as core_router
from backend.core.api_errors import install_error_handlers
from backend.crm.api import router as crm_router
from backend.properties.api import router as properties_router
from backend.warranty.api import router as warranty_router
from backend.workorders.api import router as workorders_router
from mobile_sync.api import router as sync_router
from mobile_sync.uploads.api import router as uploads_router

api = NinjaAPI(
    title="Anxin 安心 API",
    version="1",
    description="After-sales and field-service work orders. Errors always have the shape "
    "`{code, message, details}`; messages follow `Accept-Language` (Chinese by default).",
    urls_namespace="api-v1",
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/", accounts_router)
api.add_router("/", properties_router)
api.add_router("/", workorders_router)
api.add_router("/", crm_router)
api.add_router("/", warranty_router)
api.add_router("/sync", sync_router)
api.add_router("/sync/uploads", uploads_router)
