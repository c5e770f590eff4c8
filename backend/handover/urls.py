from __future__ import annotations

from django.urls import path

from backend.handover import views

app_name = "handover"
urlpatterns = [
    path("", views.batches, name="batches"),
    path("batches", views.batch_new, name="batch_new"),
    path("batches/<uuid:batch_id>", views.batch, name="batch"),
    path("batches/<uuid:batch_id>/from-crm", views.batch_from_crm, name="batch_from_crm"),
    path("batches/<uuid:batch_id>/invite", views.batch_invite, name="batch_invite"),
    path("batches/<uuid:batch_id>/import", views.batch_import, name="batch_import"),
    path("batches/<uuid:batch_id>/slots", views.batch_slot, name="batch_slot"),
    path("schedule", views.schedule, name="schedule"),
    path("items/<uuid:item_id>", views.item, name="item"),
    path("items/<uuid:item_id>/start", views.item_start, name="item_start"),
    path("items/<uuid:item_id>/lines/<int:line_id>/ok", views.line_ok, name="line_ok"),
    path("items/<uuid:item_id>/defects", views.item_defect, name="item_defect"),
    path("items/<uuid:item_id>/sign", views.item_sign, name="item_sign"),
    path("items/<uuid:item_id>/keys", views.item_keys, name="item_keys"),
    path("items/<uuid:item_id>/complete", views.item_complete, name="item_complete"),
    path("items/<uuid:item_id>/refuse", views.item_refuse, name="item_refuse"),
]
