"""/tech/: the technician app (mobile_sync/views.py)."""

from __future__ import annotations

from django.urls import path

from mobile_sync import views

app_name = "tech"
urlpatterns = [
    path("", views.app_file, name="app"),
    path("<path:name>", views.app_file, name="file"),
]
