from __future__ import annotations

app_name = "properties"
urlpatterns: list = []
