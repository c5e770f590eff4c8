from __future__ import annotations

from django.urls import path

from backend.rules import views

app_name = "rules"
urlpatterns = [
    path("", views.index, name="index"),
    path("validate", views.validate, name="validate"),
    path("diff", views.diff, name="diff"),
    path("drafts", views.draft_new, name="draft_new"),
    path("drafts/<int:draft_id>", views.draft, name="draft"),
    path("drafts/<int:draft_id>/save", views.draft_save, name="draft_save"),
    path("drafts/<int:draft_id>/forms/<slug:kind>", views.draft_form, name="draft_form"),
    path("drafts/<int:draft_id>/simulate", views.draft_simulate, name="draft_simulate"),
    path("drafts/<int:draft_id>/publish", views.draft_publish, name="draft_publish"),
    path("drafts/<int:draft_id>/discard", views.draft_discard, name="draft_discard"),
    path("versions/<int:number>", views.version, name="version"),
    path("versions/<int:number>/restore", views.version_restore, name="version_restore"),
]
