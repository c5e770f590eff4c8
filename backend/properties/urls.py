from __future__ import annotations

from django.urls import path

from backend.properties import views

app_name = "properties"
urlpatterns = [
    path("buildings/<uuid:building_id>/qr-labels", views.building_qr_labels, name="building_qr_labels"),
    path("projects/<uuid:project_id>/qr-labels", views.project_qr_labels, name="project_qr_labels"),
]
