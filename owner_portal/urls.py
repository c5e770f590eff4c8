from __future__ import annotations

from django.urls import path

from owner_portal import views

app_name = "owner_portal"
urlpatterns = [
    path("q/<str:token>", views.qr_landing, name="qr_landing"),
    path("q/<str:token>/verify", views.verify, name="verify"),
    path("q/<str:token>/report", views.report, name="report"),
    path("q/<str:token>/open-orders", views.open_orders, name="open_orders"),
    path("portal/login", views.verify, name="login"),
    path("portal/logout", views.logout, name="logout"),
    path("portal/orders", views.orders, name="orders"),
    path("portal/orders/<uuid:order_id>", views.order, name="order"),
    path("portal/orders/<uuid:order_id>/live", views.order_live, name="order_live"),
    path("portal/orders/<uuid:order_id>/events", views.order_events, name="order_events"),
    path("portal/orders/<uuid:order_id>/message", views.order_message, name="order_message"),
    path("portal/orders/<uuid:order_id>/rate", views.order_rate, name="order_rate"),
    path("portal/orders/<uuid:order_id>/reopen", views.order_reopen, name="order_reopen"),
    path("portal/orders/<uuid:order_id>/cancel", views.order_cancel, name="order_cancel"),
    path("portal/orders/<uuid:order_id>/reschedule", views.order_reschedule, name="order_reschedule"),
    path("portal/orders/<uuid:order_id>/quote", views.order_quote, name="order_quote"),
    path("portal/orders/<uuid:order_id>/photos", views.order_photos, name="order_photos"),
    path("portal/orders/<uuid:order_id>/photos/<uuid:attachment_id>", views.order_photo, name="order_photo"),
    path("portal/orders/<uuid:order_id>/photos/<uuid:attachment_id>/<str:size>", views.order_photo,
         name="order_photo_size"),
    path("portal/units/<uuid:unit_id>/quality-guarantee.pdf", views.quality_guarantee, name="quality_guarantee"),
    path("portal/handover/<str:invite_token>", views.handover, name="handover"),
    path("portal/handover/<str:invite_token>/book", views.handover_book, name="handover_book"),
    path("portal/kb", views.kb, name="kb"),
    path("portal/kb/suggest", views.kb_suggest, name="kb_suggest"),
    path("portal/kb/<uuid:article_id>", views.kb_article, name="kb_article"),
    path("portal/kb/<uuid:article_id>/read", views.kb_article_read, name="kb_article_read"),
]
