from __future__ import annotations

from django.urls import path

from owner_portal import views

app_name = "owner_portal"
urlpatterns = [
    path("<str:token>", views.qr_landing, name="qr_landing"),
]
