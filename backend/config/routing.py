from __future__ import annotations

from django.urls import path

from backend.core.consumers import PingConsumer
from backend.crm.consumers import GrabPoolConsumer
from backend.workorders.consumers import BoardConsumer, OrderConsumer, TechnicianConsumer
from owner_portal.consumers import PortalOrderConsumer

websocket_urlpatterns = [
    path("ws/ping", PingConsumer.as_asgi()),
    path("ws/board/<str:kind>/<uuid:object_id>", BoardConsumer.as_asgi()),
    path("ws/orders/<uuid:order_id>", OrderConsumer.as_asgi()),
    path("ws/technician", TechnicianConsumer.as_asgi()),
    path("ws/portal/orders/<uuid:order_id>", PortalOrderConsumer.as_asgi()),
    path("ws/crm/projects/<uuid:project_id>/grabs", GrabPoolConsumer.as_asgi()),
]
