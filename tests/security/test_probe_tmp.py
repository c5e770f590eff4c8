import pytest, base64, json
from django.test import Client
from tests.factories import bearer_for, user_with_roles
from backend.accounts.roles import Role
from tests.workorders.world import two_sides
from tests.owner_portal.helpers import home_with_owner, verified_client

pytestmark = pytest.mark.django_db

def test_probe():
    a, b = two_sides()
    h = bearer_for(a.dispatcher)
    adm = bearer_for(user_with_roles(Role.ADMINISTRATOR), device="x")
    c = Client(raise_request_exception=False)
    cur = base64.urlsafe_b64encode(json.dumps(["0001-01-01T00:00:00+00:00", "x"]).encode()).decode()
    cur2 = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00+00:00", "x"]).encode()).decode()
    for url in ["/api/v1/orders?state=%00", "/api/v1/properties/projects?search=%00", "/portal/kb/suggest?category=%00",
                f"/api/v1/orders?cursor={cur}", f"/api/v1/orders?cursor={cur2}", "/api/v1/properties/projects?offset=1e23",
                "/api/v1/properties/projects?offset=100000000000000000000000", "/api/v1/orders?created_from=0001-01-01T00:00:00Z"]:
        r = c.get(url, **adm)
        print(url, r.status_code, r.content[:150])
    r = c.post(f"/api/v1/orders/{a.order.id}/attachments", data=b"xx", content_type="multipart/form-data", **h)
    print("multipart", r.status_code, r.content[:200])
    r = c.post(f"/api/v1/orders/{a.order.id}/transitions", data=json.dumps({"to": "en_route", "device_at": "0001-01-01T00:00:00Z"}), content_type="application/json", **bearer_for(a.technician))
    print("device_at", r.status_code, r.content[:200])
    r = c.get(f"/api/v1/orders/{a.order.id}", **adm)
    print("get after", r.status_code, r.content[:100])
    r = c.post("/api/v1/orders", data="{}", content_type="application/json")
    print("anon post", r.status_code, r.content[:100])
