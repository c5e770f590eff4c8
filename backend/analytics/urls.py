from __future__ import annotations

from django.urls import path

from backend.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.hotspots, name="hotspots"),
    path("projects/<uuid:project_id>", views.project, name="project"),
    path("buildings/<uuid:building_id>", views.building, name="building"),
    path("orders", views.orders, name="orders"),
    path("service", views.service, name="service"),
    path("cost", views.cost, name="cost"),
    path("export/<slug:table>.xlsx", views.export, name="export"),
]
