"""Authorization of the CRM's routes (``/api/v1/crm/...``) and pages (``/crm/...``).

Wrong role: a technician (403). Wrong object: another consultant of the same project (their private
customer is 404) or a consultant / manager of another project (404), with the database unchanged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from backend.accounts.roles import Role
from backend.crm import services
from backend.crm.models import Customer, LeadOffer, MergeRecord, PaymentLine
from tests.authz.framework import Call, PageCase, PageScenario, RouteCase, Scenario
from tests.crm.world import office
from tests.factories import user_with_roles

NOW = timezone.now


def _tech() -> Any:
    return user_with_roles(Role.TECHNICIAN)


def _two() -> tuple[Any, Any]:
    return office(), office(consultants=1, units=1)


def _walk_in(o: Any, user: Any, phone: str = "13900000001") -> Customer:
    return services.lead_create(actor=user, project_id=o.project.id, name="客户", phone=phone, channel="walk_in",
                                consent=True, now=NOW()).customer


def _public(o: Any, phone: str = "13900000002") -> Customer:
    return services.lead_create(actor=o.manager, project_id=o.project.id, name="公海客户", phone=phone,
                                channel="phone", consent=True, now=NOW(), dispatch=False).customer


def _subscription(o: Any) -> tuple[Customer, Any]:
    customer = _walk_in(o, o.alice)
    sub = services.subscription_create(actor=o.alice, unit_id=o.units[0].id, customer_id=customer.id,
                                       deposit_fen=5_000_000, now=NOW())
    return customer, sub


def _contract(o: Any, discount_fen: int = 0) -> Any:
    _customer, sub = _subscription(o)
    return services.contract_create(actor=o.alice, subscription_id=sub.id, buyers=["客户"], discount_fen=discount_fen,
                                    payment_method="full", now=NOW())


def _lead() -> Scenario:
    a, b = _two()
    body = {"project_id": str(a.project.id), "name": "张三", "phone": "13900000009", "channel": "walk_in",
            "consent": True}
    return Scenario(Call("/api/v1/crm/leads", json_body=body), allowed=a.alice, wrong_role=_tech(),
                    wrong_object=(b.alice, Call("/api/v1/crm/leads", json_body=body)))


def _list(url: str) -> Any:
    def make() -> Scenario:
        a, _b = _two()
        _walk_in(a, a.alice)
        return Scenario(Call(url), allowed=a.alice, wrong_role=_tech())
    return make


def _customer_get() -> Scenario:
    a, _b = _two()
    c = _walk_in(a, a.alice)
    url = f"/api/v1/crm/customers/{c.id}"
    return Scenario(Call(url), allowed=a.alice, wrong_role=_tech(), wrong_object=(a.bob, Call(url)))


def _held(path: str, body: dict[str, Any] | None = None) -> Any:
    def make() -> Scenario:
        a, _b = _two()
        c = _walk_in(a, a.alice)
        call = Call(f"/api/v1/crm/customers/{c.id}/{path}", json_body=body)
        return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(a.bob, call))
    return make


def _referral_code() -> Scenario:
    a, _b = _two()
    c = _walk_in(a, a.alice)
    call = Call(f"/api/v1/crm/customers/{c.id}/referral-code")
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(a.bob, call))


def _referrals() -> Scenario:
    a, b = _two()
    c = _walk_in(a, a.alice)
    services.referral_code_issue(actor=a.alice, customer_id=c.id, now=NOW())
    call = Call(f"/api/v1/crm/customers/{c.id}/referrals")
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(b.manager, call))


def _tag_add() -> Scenario:
    a, _b = _two()
    c = _walk_in(a, a.alice)
    call = Call(f"/api/v1/crm/customers/{c.id}/tags", json_body={"tag": "改善型"})
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(a.bob, call))


def _tag_remove() -> Scenario:
    a, _b = _two()
    c = _walk_in(a, a.alice)
    services.customer_tag_add(actor=a.alice, customer_id=c.id, tag="改善型", now=NOW())
    call = Call(f"/api/v1/crm/customers/{c.id}/tags/改善型")
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(a.bob, call))


def _claim() -> Scenario:
    a, b = _two()
    c = _public(a)
    call = Call(f"/api/v1/crm/customers/{c.id}/claim")
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(b.alice, call))


def _transfer() -> Scenario:
    a, b = _two()
    c = _walk_in(a, a.alice)
    call = Call("/api/v1/crm/transfers", json_body={"customer_ids": [str(c.id)], "to_user_id": str(a.bob.id)})
    return Scenario(call, allowed=a.manager, wrong_role=_tech(), wrong_object=(b.manager, call))


def _merge() -> Scenario:
    a, b = _two()
    x, y = _public(a, "13900000003"), _public(a, "13900000004")
    call = Call("/api/v1/crm/merges", json_body={"kept_id": str(x.id), "merged_id": str(y.id)})
    return Scenario(call, allowed=a.manager, wrong_role=_tech(), wrong_object=(b.manager, call))


def _undo() -> Scenario:
    a, b = _two()
    x, y = _public(a, "13900000003"), _public(a, "13900000004")
    record = services.customer_merge(actor=a.manager, kept_id=x.id, merged_id=y.id, now=NOW())
    call = Call(f"/api/v1/crm/merges/{record.id}/undo")
    assert MergeRecord.objects.filter(id=record.id).exists()
    return Scenario(call, allowed=a.manager, wrong_role=_tech(), wrong_object=(b.manager, call))


def _grab() -> Scenario:
    a, b = _two()
    c = _public(a)
    now = NOW()
    Customer.objects.filter(id=c.id).update(grab_expires_at=now + timedelta(minutes=5))
    LeadOffer.objects.create(customer=c, consultant=a.alice, mode="grab", offered_at=now,
                             expires_at=now + timedelta(minutes=5))
    call = Call(f"/api/v1/crm/customers/{c.id}/grab")
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(b.alice, call))


def _reserve() -> Scenario:
    a, _b = _two()
    c = _walk_in(a, a.alice)
    call = Call(f"/api/v1/crm/units/{a.units[1].id}/reserve", json_body={"customer_id": str(c.id)})
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(a.bob, call))


def _subscribe() -> Scenario:
    a, _b = _two()
    c = _walk_in(a, a.alice)
    call = Call("/api/v1/crm/subscriptions", json_body={"unit_id": str(a.units[1].id), "customer_id": str(c.id),
                                                        "deposit_fen": 5_000_000})
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(a.bob, call))


def _contract_create() -> Scenario:
    a, _b = _two()
    _c, sub = _subscription(a)
    call = Call("/api/v1/crm/contracts", json_body={"subscription_id": str(sub.id), "buyers": ["客户"],
                                                    "discount_fen": 0, "payment_method": "full"})
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(a.bob, call))


def _decide() -> Scenario:
    a, b = _two()
    contract = _contract(a, discount_fen=5_000_000)
    call = Call(f"/api/v1/crm/contracts/{contract.id}/decision", json_body={"decision": "approve"})
    return Scenario(call, allowed=a.manager, wrong_role=_tech(), wrong_object=(b.manager, call))


def _sign() -> Scenario:
    a, _b = _two()
    contract = _contract(a)
    call = Call(f"/api/v1/crm/contracts/{contract.id}/sign")
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(a.bob, call))


def _pay() -> Scenario:
    a, _b = _two()
    contract = _contract(a)
    services.contract_sign(actor=a.alice, contract_id=contract.id, now=NOW())
    line = PaymentLine.objects.filter(contract=contract).first()
    assert line is not None
    call = Call(f"/api/v1/crm/payment-lines/{line.id}/payments", json_body={"amount_fen": 100})
    return Scenario(call, allowed=a.finance, wrong_role=_tech(), wrong_object=(a.bob, call))


def _project(path: str) -> Any:
    def make() -> Scenario:
        a, b = _two()
        call = Call(f"/api/v1/crm/projects/{a.project.id}/{path}")
        return Scenario(call, allowed=a.manager, wrong_role=_tech(), wrong_object=(b.alice, call))
    return make


def _import() -> Scenario:
    a, b = _two()
    call = Call(f"/api/v1/crm/projects/{a.project.id}/import",
                files={"file": ("c.csv", "姓名,手机号\n张三,13900000071\n".encode(), "text/csv")})
    return Scenario(call, allowed=a.manager, wrong_role=_tech(), wrong_object=(b.manager, call))


def _inventory() -> Scenario:
    a, b = _two()
    call = Call(f"/api/v1/crm/buildings/{a.building.id}/inventory")
    return Scenario(call, allowed=a.alice, wrong_role=_tech(), wrong_object=(b.alice, call))


CASES: list[RouteCase] = [
    RouteCase("POST", "/api/v1/crm/leads", make=_lead),
    RouteCase("GET", "/api/v1/crm/customers/mine", make=_list("/api/v1/crm/customers/mine")),
    RouteCase("GET", "/api/v1/crm/pool", make=_list("/api/v1/crm/pool")),
    RouteCase("GET", "/api/v1/crm/customers/{customer_id}", make=_customer_get),
    RouteCase("POST", "/api/v1/crm/customers/{customer_id}/claim", make=_claim),
    RouteCase("POST", "/api/v1/crm/customers/{customer_id}/referral-code", make=_referral_code),
    RouteCase("GET", "/api/v1/crm/customers/{customer_id}/referrals", make=_referrals),
    RouteCase("POST", "/api/v1/crm/customers/{customer_id}/tags", make=_tag_add),
    RouteCase("DELETE", "/api/v1/crm/customers/{customer_id}/tags/{tag}", make=_tag_remove),
    RouteCase("GET", "/api/v1/crm/segments/mine", make=_list("/api/v1/crm/segments/mine")),
    RouteCase("POST", "/api/v1/crm/customers/{customer_id}/release", make=_held("release", {"reason": "空号"})),
    RouteCase("POST", "/api/v1/crm/customers/{customer_id}/follow-ups",
              make=_held("follow-ups", {"kind": "call", "note": "电话沟通"})),
    RouteCase("POST", "/api/v1/crm/customers/{customer_id}/stage", make=_held("stage", {"to": "contacted"})),
    RouteCase("POST", "/api/v1/crm/transfers", make=_transfer),
    RouteCase("POST", "/api/v1/crm/merges", make=_merge),
    RouteCase("POST", "/api/v1/crm/merges/{merge_id}/undo", make=_undo),
    RouteCase("GET", "/api/v1/crm/grabs", make=_list("/api/v1/crm/grabs")),
    RouteCase("POST", "/api/v1/crm/customers/{customer_id}/grab", make=_grab),
    RouteCase("POST", "/api/v1/crm/units/{unit_id}/reserve", make=_reserve),
    RouteCase("POST", "/api/v1/crm/subscriptions", make=_subscribe),
    RouteCase("POST", "/api/v1/crm/contracts", make=_contract_create),
    RouteCase("POST", "/api/v1/crm/contracts/{contract_id}/decision", make=_decide),
    RouteCase("POST", "/api/v1/crm/contracts/{contract_id}/sign", make=_sign),
    RouteCase("POST", "/api/v1/crm/payment-lines/{line_id}/payments", make=_pay),
    RouteCase("GET", "/api/v1/crm/projects/{project_id}/funnel", make=_project("funnel")),
    RouteCase("GET", "/api/v1/crm/projects/{project_id}/first-response", make=_project("first-response")),
    RouteCase("GET", "/api/v1/crm/projects/{project_id}/receivables", make=_project("receivables")),
    RouteCase("GET", "/api/v1/crm/projects/{project_id}/ready-for-handover", make=_project("ready-for-handover")),
    RouteCase("GET", "/api/v1/crm/buildings/{building_id}/inventory", make=_inventory),
    RouteCase("POST", "/api/v1/crm/projects/{project_id}/import", make=_import),
]

# --- pages ----------------------------------------------------------------------------------------------


def _c(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _refused() -> list[tuple[str, Client]]:
    return [("technician", _c(user_with_roles(Role.TECHNICIAN))),
            ("customer service", _c(user_with_roles(Role.CUSTOMER_SERVICE)))]


def _plain(url: str, who: str = "alice", data: dict[str, Any] | None = None) -> Any:
    def make() -> PageScenario:
        a, _b = _two()
        _walk_in(a, a.alice)
        user = getattr(a, who)
        return PageScenario(urls=[url.format(project=a.project.id)], allowed=_c(user), refused=_refused(), data=data)
    return make


def _page_lead() -> PageScenario:
    a, b = _two()
    data = {"project_id": str(a.project.id), "name": "张三", "phone": "13900000055", "channel": "walk_in",
            "consent": "on"}
    return PageScenario(urls=["/crm/leads"], allowed=_c(a.alice), refused=_refused(),
                        hidden=[("consultant of another project", _c(b.alice), "/crm/leads")], data=data)


def _page_customer(suffix: str = "", data: dict[str, Any] | None = None) -> Any:
    def make() -> PageScenario:
        a, _b = _two()
        c = _walk_in(a, a.alice)
        url = f"/crm/customers/{c.id}{suffix}"
        return PageScenario(urls=[url], allowed=_c(a.alice), refused=_refused(),
                            hidden=[("another consultant", _c(a.bob), url)], data=data)
    return make


def _page_building() -> PageScenario:
    a, b = _two()
    url = f"/crm/inventory/{a.building.id}"
    return PageScenario(urls=[url], allowed=_c(a.alice), refused=_refused(),
                        hidden=[("consultant of another project", _c(b.alice), url)])


def _page_decide() -> PageScenario:
    a, b = _two()
    contract = _contract(a, discount_fen=5_000_000)
    url = f"/crm/contracts/{contract.id}/decide"
    return PageScenario(urls=[url], allowed=_c(a.manager), refused=_refused(),
                        hidden=[("manager of another project", _c(b.manager), url)], data={"decision": "approve"})


def _page_pay() -> PageScenario:
    a, _b = _two()
    contract = _contract(a)
    services.contract_sign(actor=a.alice, contract_id=contract.id, now=NOW())
    line = PaymentLine.objects.filter(contract=contract).first()
    assert line is not None
    url = f"/crm/payment-lines/{line.id}/pay"
    return PageScenario(urls=[url], allowed=_c(a.finance), refused=_refused(),
                        hidden=[("another consultant", _c(a.bob), url)], data={"amount_yuan": "1.00"})


def _page_transfer() -> PageScenario:
    a, b = _two()
    c = _walk_in(a, a.alice)
    data = {"customer_ids": [str(c.id)], "to_user_id": str(a.bob.id)}
    return PageScenario(urls=["/crm/team/transfer"], allowed=_c(a.manager), refused=_refused(),
                        hidden=[("manager of another project", _c(b.manager), "/crm/team/transfer")], data=data)


def _page_project(path: str, who: str = "manager") -> Any:
    def make() -> PageScenario:
        a, b = _two()
        url = f"/crm/{path}?project={a.project.id}"
        return PageScenario(urls=[url], allowed=_c(getattr(a, who)), refused=_refused(),
                            hidden=[("consultant of another project", _c(b.alice), url)])
    return make


PAGE_CASES: list[PageCase] = [
    PageCase("GET", "crm/", make=_plain("/crm/")),
    PageCase("POST", "crm/leads", make=_page_lead),
    PageCase("GET", "crm/pool", make=_plain("/crm/pool")),
    PageCase("GET", "crm/grabs", make=_plain("/crm/grabs")),
    PageCase("GET", "crm/grabs/live", make=_plain("/crm/grabs/live")),
    PageCase("GET", "crm/customers/<uuid:customer_id>", make=_page_customer()),
    PageCase("POST", "crm/customers/<uuid:customer_id>/act",
             make=_page_customer("/act", {"action": "follow_up", "kind": "call", "note": "电话"})),
    PageCase("POST", "crm/customers/<uuid:customer_id>/tags",
             make=_page_customer("/tags", {"op": "add", "tag": "改善型"})),
    PageCase("GET", "crm/inventory", make=_page_project("inventory", who="alice")),
    PageCase("GET", "crm/inventory/<uuid:building_id>", make=_page_building),
    PageCase("GET", "crm/approvals", make=_plain("/crm/approvals", who="manager")),
    PageCase("POST", "crm/contracts/<uuid:contract_id>/decide", make=_page_decide),
    PageCase("GET", "crm/dashboard", make=_page_project("dashboard")),
    PageCase("GET", "crm/payments", make=_page_project("payments")),
    PageCase("POST", "crm/payment-lines/<int:line_id>/pay", make=_page_pay),
    PageCase("GET", "crm/handover", make=_page_project("handover")),
    PageCase("GET", "crm/team", make=_page_project("team")),
    PageCase("POST", "crm/team/transfer", make=_page_transfer),
    PageCase("GET", "crm/m/<str:token>",
             public_reason="the page behind a marketing QR code on a poster: a visitor leaves a name and a phone "
                           "(consent required), rate limited per address; it shows only the project and campaign"),
    PageCase("GET", "crm/r/<str:code>",
             public_reason="老带新: the page behind a customer's referral code (a link or its QR code); a friend leaves "
                           "a name and a phone (consent required), rate limited per address; it shows the project "
                           "and the referrer's surname only"),
]

__all__ = ["CASES", "PAGE_CASES"]
