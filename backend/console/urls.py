from __future__ import annotations

from django.urls import path

from backend.console import views

app_name = "console"
urlpatterns = [
    path("", views.start, name="start"),
    path("queue", views.queue, name="queue"),
    path("queue/rows/<uuid:order_id>", views.queue_row, name="queue_row"),
    path("queue/filters", views.filter_save, name="filter_save"),
    path("queue/filters/<int:filter_id>/delete", views.filter_delete, name="filter_delete"),
    path("changes", views.changes, name="changes"),
    path("bell", views.bell, name="bell"),
    path("orders/<uuid:order_id>", views.order, name="order"),
    path("orders/<uuid:order_id>/act", views.order_act, name="order_act"),
    path("orders/<uuid:order_id>/assign", views.order_assign, name="order_assign"),
    path("orders/<uuid:order_id>/comment", views.order_comment, name="order_comment"),
    path("orders/<uuid:order_id>/technicians", views.order_technicians, name="order_technicians"),
    path("board", views.board, name="board"),
    path("board/explain/<uuid:order_id>", views.board_explain, name="board_explain"),
    path("intake", views.intake, name="intake"),
    path("intake/caller", views.intake_caller, name="intake_caller"),
    path("intake/duplicates", views.intake_duplicates, name="intake_duplicates"),
    path("approvals", views.approvals, name="approvals"),
    path("approvals/<uuid:approval_id>/decide", views.approval_decide, name="approval_decide"),
    path("approvals/away", views.approval_away, name="approval_away"),
    path("approvals/away/<uuid:period_id>/end", views.approval_away_end, name="approval_away_end"),
]
