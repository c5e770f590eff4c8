from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from backend.config.api import api
from backend.config.media import media
from backend.console import views as console_views

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("backend.accounts.urls")),
    path("properties/", include("backend.properties.urls")),
    path("console/rules/", include("backend.rules.urls")),
    path("console/", include("backend.console.urls")),
    path("analytics/", include("backend.analytics.urls")),
    path("crm/", include("backend.crm.urls")),
    path("handover/", include("backend.handover.urls")),
    path("tech/", include("mobile_sync.urls")),
    path("", include("owner_portal.urls")),
    path("admin/", admin.site.urls),
    path("media/<path:name>", media, name="media"),
    path("", console_views.home, name="home"),
]

handler400 = "backend.core.views.bad_request"
handler404 = "backend.core.views.not_found"
handler500 = "backend.core.views.server_error"
