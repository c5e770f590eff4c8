from __future__ import annotations

from django.urls import path

from backend.crm import views

app_name = "crm"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("leads", views.lead_new, name="lead_new"),
    path("pool", views.pool, name="pool"),
    path("grabs", views.grabs, name="grabs"),
    path("grabs/live", views.grabs_live, name="grabs_live"),
    path("customers/<uuid:customer_id>", views.customer, name="customer"),
    path("customers/<uuid:customer_id>/act", views.customer_act, name="customer_act"),
    path("customers/<uuid:customer_id>/tags", views.customer_tags, name="customer_tags"),
    path("inventory", views.inventory, name="inventory"),
    path("inventory/<uuid:building_id>", views.inventory_building, name="inventory_building"),
    path("approvals", views.approvals, name="approvals"),
    path("contracts/<uuid:contract_id>/decide", views.contract_decide, name="contract_decide"),
    path("dashboard", views.dashboard, name="dashboard"),
    path("payments", views.payments, name="payments"),
    path("payment-lines/<int:line_id>/pay", views.payment_pay, name="payment_pay"),
    path("handover", views.handover, name="handover"),
    path("team", views.team, name="team"),
    path("team/transfer", views.team_transfer, name="team_transfer"),
    path("m/<str:token>", views.code_page, name="code"),
    path("r/<str:code>", views.referral_page, name="referral"),
]
