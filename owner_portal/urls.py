from __future__ import annotations

app_name = "owner_portal"
urlpatterns: list = []
