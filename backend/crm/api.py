"""``/api/v1/crm/...``: parse, call one service or selector, answer a schema. Money in fen."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Form, Query, Router, Status, UploadedFile

from backend.accounts.auth import staff_auth
from backend.core.schemas import COMMON_ERRORS, ErrorOut
from backend.crm import selectors, services
from backend.crm.access import show_phone
from backend.crm.models import Contract, Customer, MergeRecord
from backend.crm.schemas import (
    ContractIn,
    ContractOut,
    Customer360Out,
    CustomerRowOut,
    DecisionIn,
    FollowUpIn,
    FollowUpOut,
    FunnelOut,
    GrabOut,
    ImportOut,
    InventoryOut,
    KpiOut,
    LeadIn,
    LeadOut,
    MergeIn,
    MergeOut,
    PaymentIn,
    PaymentOut,
    PoolQuery,
    ReadyOut,
    ReceivableOut,
    ReferralCodeOut,
    ReferralsOut,
    ReleaseIn,
    ReservationOut,
    ReserveIn,
    SegmentOut,
    StageIn,
    SubscriptionIn,
    SubscriptionOut,
    TagIn,
    TagQuery,
    TagsOut,
    TransferIn,
)

router = Router(tags=["crm"])
ERRORS = {**COMMON_ERRORS, 409: ErrorOut}


def _row(request: HttpRequest, customer: Customer) -> dict[str, Any]:
    customer = Customer.objects.select_related("project", "holder").get(id=customer.id)
    return selectors._row(request.user, customer, timezone.now())


def _contract(contract: Contract) -> dict[str, Any]:
    contract.refresh_from_db()
    return {"id": contract.id, "unit_id": contract.unit_id, "customer_id": contract.customer_id,
            "buyers": contract.buyers, "list_price_fen": contract.list_price_fen,
            "discount_fen": contract.discount_fen, "price_fen": contract.price_fen,
            "payment_method": contract.payment_method, "status": contract.status, "signed_at": contract.signed_at,
            "lines": list(contract.lines.all())}


@router.post("/crm/leads", auth=staff_auth, response={201: LeadOut, **ERRORS}, summary="Log a lead from any source")
def lead_create(request: HttpRequest, body: LeadIn):  # type: ignore[no-untyped-def]
    """Matched on the normalised phone and the ID number's keyed hash: an existing customer gets this source
    (`created: false`), a lead that names two records merges them (`merged`). A walk-in logged by a
    consultant is theirs; other leads go to dispatch (weekdays: an idle consultant; weekends: the grab pool)."""
    result = services.lead_create(actor=request.user, project_id=body.project_id, name=body.name, phone=body.phone,
                                  channel=body.channel, consent=body.consent, id_number=body.id_number,
                                  partner_id=body.partner_id, note=body.note,
                                  expected_amount_fen=body.expected_amount_fen, referral_code=body.referral_code,
                                  now=timezone.now())
    return Status(201, {"customer": _row(request, result.customer), "created": result.created,
                        "merged": result.merged})


@router.get("/crm/customers/mine", auth=staff_auth, response={200: list[CustomerRowOut], **ERRORS},
            summary="My customers (private pool)")
def my_customers(request: HttpRequest, query: Query[TagQuery]):  # type: ignore[no-untyped-def]
    """Soonest to return to the public pool first; `warned` and `days_left` say when; `tag` keeps a segment."""
    return selectors.my_customers(actor=request.user, now=timezone.now(), tag=query.tag)


@router.get("/crm/segments/mine", auth=staff_auth, response={200: list[SegmentOut], **ERRORS},
            summary="The tags of my customers, with how many carry each (segments)")
def my_segments(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.tag_segments(actor=request.user)


@router.get("/crm/pool", auth=staff_auth, response={200: list[CustomerRowOut], **ERRORS},
            summary="The public pool (公海)")
def public_pool(request: HttpRequest, query: Query[PoolQuery]):  # type: ignore[no-untyped-def]
    """Customers nobody holds in the projects where you have a seat; phones masked; `tag` keeps a segment."""
    return selectors.public_pool(actor=request.user, now=timezone.now(), project_id=query.project_id, tag=query.tag)


@router.get("/crm/customers/{customer_id}", auth=staff_auth, response={200: Customer360Out, **ERRORS},
            summary="One customer (360°)")
def customer_get(request: HttpRequest, customer_id: UUID):  # type: ignore[no-untyped-def]
    """Another consultant's private customer is 404, like an unknown one."""
    data = selectors.customer_360(actor=request.user, customer_id=customer_id, now=timezone.now())
    customer = data["customer"]
    sources = [{"channel": s.channel, "name": s.name, "consent": s.consent, "created_at": s.created_at,
                "phone": s.phone if data["is_holder"] else show_phone(request.user, customer)} for s in data["sources"]]
    return {"customer": data["row"], "sources": sources, "follow_ups": data["follow_ups"], "events": data["events"]}


@router.post("/crm/customers/{customer_id}/referral-code", auth=staff_auth,
             response={200: ReferralCodeOut, **ERRORS}, summary="The customer's referral code (老带新)")
def referral_code_issue(request: HttpRequest, customer_id: UUID):  # type: ignore[no-untyped-def]
    """Made the first time, the same one afterwards. Their consultant or a sales manager. A lead reported with
    it (`referral_code` on `POST /crm/leads`, or the public page at `url`) is attributed to this customer, who
    is rewarded by the project's referral rule when the referred customer signs."""
    from django.urls import reverse

    code = services.referral_code_issue(actor=request.user, customer_id=customer_id, now=timezone.now())
    return {"code": code.code, "referrer_id": code.referrer_id, "created_at": code.created_at,
            "url": request.build_absolute_uri(reverse("crm:referral", args=[code.code]))}


@router.get("/crm/customers/{customer_id}/referrals", auth=staff_auth, response={200: ReferralsOut, **ERRORS},
            summary="Referrals of a customer (老带新)")
def referrals(request: HttpRequest, customer_id: UUID):  # type: ignore[no-untyped-def]
    """Their code, the customers it brought (attributed or not, the reward once signed) and who referred them."""
    return selectors.referrals_of(actor=request.user, customer_id=customer_id)


@router.post("/crm/customers/{customer_id}/tags", auth=staff_auth, response={200: TagsOut, **ERRORS},
             summary="Tag a customer")
def tag_add(request: HttpRequest, customer_id: UUID, body: TagIn):  # type: ignore[no-untyped-def]
    """Their consultant or a sales manager; a tag has 1-20 characters, at most 20 per customer (422 on `tag`).
    Adding a tag the customer has changes nothing."""
    return {"tags": services.customer_tag_add(actor=request.user, customer_id=customer_id, tag=body.tag,
                                              now=timezone.now())}


@router.delete("/crm/customers/{customer_id}/tags/{tag}", auth=staff_auth, response={200: TagsOut, **ERRORS},
               summary="Remove a customer's tag")
def tag_remove(request: HttpRequest, customer_id: UUID, tag: str):  # type: ignore[no-untyped-def]
    return {"tags": services.customer_tag_remove(actor=request.user, customer_id=customer_id, tag=tag,
                                                 now=timezone.now())}


@router.post("/crm/customers/{customer_id}/claim", auth=staff_auth, response={200: CustomerRowOut, **ERRORS},
             summary="Claim a customer from the public pool")
def customer_claim(request: HttpRequest, customer_id: UUID):  # type: ignore[no-untyped-def]
    """409 `customer_already_held` when someone else was faster; 409 `pool_limit`, `daily_claim_cap` or
    `claim_cooldown` when a project rule refuses."""
    return _row(request, services.customer_claim(actor=request.user, customer_id=customer_id, now=timezone.now()))


@router.post("/crm/customers/{customer_id}/release", auth=staff_auth, response={200: CustomerRowOut, **ERRORS},
             summary="Release a customer to the public pool")
def customer_release(request: HttpRequest, customer_id: UUID, body: ReleaseIn):  # type: ignore[no-untyped-def]
    customer = services.customer_release(actor=request.user, customer_id=customer_id, reason=body.reason,
                                         now=timezone.now())
    return _row(request, customer)


@router.post("/crm/customers/{customer_id}/follow-ups", auth=staff_auth, response={201: FollowUpOut, **ERRORS},
             summary="Log a follow-up (call, visit, showing, message)")
def follow_up_log(request: HttpRequest, customer_id: UUID, body: FollowUpIn):  # type: ignore[no-untyped-def]
    """The holder only. Restarts the recycling clock."""
    return Status(201, services.follow_up_log(actor=request.user, customer_id=customer_id, kind=body.kind,
                                              note=body.note, next_step=body.next_step, next_at=body.next_at,
                                              now=timezone.now()))


@router.post("/crm/customers/{customer_id}/stage", auth=staff_auth, response={200: CustomerRowOut, **ERRORS},
             summary="Move a customer along the funnel")
def stage_change(request: HttpRequest, customer_id: UUID, body: StageIn):  # type: ignore[no-untyped-def]
    """Only to the stages set by hand; 认购 and 签约 follow from the subscription and the contract. 流失 needs
    a reason. 409 `invalid_stage_change` with `details.from`/`to`."""
    customer = services.stage_change(actor=request.user, customer_id=customer_id, to=body.to, reason=body.reason,
                                     now=timezone.now())
    return _row(request, customer)


@router.post("/crm/transfers", auth=staff_auth, response={200: list[CustomerRowOut], **ERRORS},
             summary="Transfer customers to a consultant (managers)")
def customers_transfer(request: HttpRequest, body: TransferIn):  # type: ignore[no-untyped-def]
    """The clock restarts for the new holder with a fresh protection; the former holder's cooldown starts."""
    moved = services.customers_transfer(actor=request.user, customer_ids=body.customer_ids,
                                        to_user_id=body.to_user_id, now=timezone.now())
    return [_row(request, c) for c in moved]


@router.post("/crm/merges", auth=staff_auth, response={201: MergeOut, **ERRORS},
             summary="Merge two records of one person (managers)")
def customer_merge(request: HttpRequest, body: MergeIn):  # type: ignore[no-untyped-def]
    return Status(201, services.customer_merge(actor=request.user, kept_id=body.kept_id, merged_id=body.merged_id,
                                               now=timezone.now()))


@router.post("/crm/merges/{merge_id}/undo", auth=staff_auth, response={200: MergeOut, **ERRORS},
             summary="Undo a merge (managers)")
def merge_undo(request: HttpRequest, merge_id: int):  # type: ignore[no-untyped-def]
    services.merge_undo(actor=request.user, record_id=merge_id, now=timezone.now())
    return MergeRecord.objects.get(id=merge_id)


@router.get("/crm/grabs", auth=staff_auth, response={200: list[GrabOut], **ERRORS},
            summary="Leads in my grab pool now")
def grabs(request: HttpRequest):  # type: ignore[no-untyped-def]
    from backend.crm.access import ensure_crm
    from backend.crm.services.dispatch import open_grabs_for

    ensure_crm(request.user)
    return open_grabs_for(actor=request.user, now=timezone.now())


@router.post("/crm/customers/{customer_id}/grab", auth=staff_auth, response={200: CustomerRowOut, **ERRORS},
             summary="Take a lead from the grab pool")
def lead_grab(request: HttpRequest, customer_id: UUID):  # type: ignore[no-untyped-def]
    """The first to take it wins; the others get 409 `grab_closed`."""
    return _row(request, services.lead_grab(actor=request.user, customer_id=customer_id, now=timezone.now()))


@router.post("/crm/units/{unit_id}/reserve", auth=staff_auth, response={201: ReservationOut, **ERRORS},
             summary="Reserve a unit for my customer")
def unit_reserve(request: HttpRequest, unit_id: UUID, body: ReserveIn):  # type: ignore[no-untyped-def]
    """409 `unit_unavailable` when the unit is no longer available (a database constraint decides races)."""
    return Status(201, services.unit_reserve(actor=request.user, unit_id=unit_id, customer_id=body.customer_id,
                                             now=timezone.now()))


@router.post("/crm/subscriptions", auth=staff_auth, response={201: SubscriptionOut, **ERRORS},
             summary="Subscribe a unit (认购) with a deposit")
def subscription_create(request: HttpRequest, body: SubscriptionIn):  # type: ignore[no-untyped-def]
    return Status(201, services.subscription_create(actor=request.user, unit_id=body.unit_id,
                                                    customer_id=body.customer_id, deposit_fen=body.deposit_fen,
                                                    now=timezone.now()))


@router.post("/crm/contracts", auth=staff_auth, response={201: ContractOut, **ERRORS},
             summary="Draw up the contract of a subscription")
def contract_create(request: HttpRequest, body: ContractIn):  # type: ignore[no-untyped-def]
    """The discount goes through the discount approval graphs (`status: pending_approval`) or needs none
    (`approved`)."""
    contract = services.contract_create(actor=request.user, subscription_id=body.subscription_id, buyers=body.buyers,
                                        discount_fen=body.discount_fen, payment_method=body.payment_method,
                                        down_payment_percent=body.down_payment_percent,
                                        instalments=body.instalments, now=timezone.now())
    return Status(201, _contract(contract))


@router.post("/crm/contracts/{contract_id}/decision", auth=staff_auth, response={200: ContractOut, **ERRORS},
             summary="Approve or reject a contract's discount")
def contract_decide(request: HttpRequest, contract_id: UUID, body: DecisionIn):  # type: ignore[no-untyped-def]
    contract = services.contract_discount_decide(actor=request.user, contract_id=contract_id,
                                                 approve=body.decision == "approve", comment=body.comment,
                                                 now=timezone.now())
    return _contract(contract)


@router.post("/crm/contracts/{contract_id}/sign", auth=staff_auth, response={200: ContractOut, **ERRORS},
             summary="Sign an approved contract")
def contract_sign(request: HttpRequest, contract_id: UUID):  # type: ignore[no-untyped-def]
    """Generates the payment plan (lines adding up to the price to the fen) and the commissions."""
    return _contract(services.contract_sign(actor=request.user, contract_id=contract_id, now=timezone.now()))


@router.post("/crm/payment-lines/{line_id}/payments", auth=staff_auth, response={201: PaymentOut, **ERRORS},
             summary="Record a payment against a plan line")
def payment_record(request: HttpRequest, line_id: int, body: PaymentIn):  # type: ignore[no-untyped-def]
    """Partial payments allowed; more than what is due is 422 with `details.outstanding_fen`."""
    return Status(201, services.payment_record(actor=request.user, line_id=line_id, amount_fen=body.amount_fen,
                                               reference=body.reference, now=timezone.now()))


@router.get("/crm/projects/{project_id}/funnel", auth=staff_auth, response={200: FunnelOut, **ERRORS},
            summary="Funnel, conversion, win rate, cycle and weighted forecast")
def funnel(request: HttpRequest, project_id: UUID):  # type: ignore[no-untyped-def]
    return selectors.funnel(actor=request.user, project_id=project_id, now=timezone.now())


@router.get("/crm/projects/{project_id}/first-response", auth=staff_auth, response={200: KpiOut, **ERRORS},
            summary="The 5-minute first-response rate")
def first_response(request: HttpRequest, project_id: UUID):  # type: ignore[no-untyped-def]
    return selectors.first_response_kpi(actor=request.user, project_id=project_id, now=timezone.now())


@router.get("/crm/projects/{project_id}/receivables", auth=staff_auth, response={200: list[ReceivableOut], **ERRORS},
            summary="Receivables by month")
def receivables(request: HttpRequest, project_id: UUID):  # type: ignore[no-untyped-def]
    return selectors.receivables(actor=request.user, project_id=project_id, now=timezone.now())


@router.get("/crm/projects/{project_id}/ready-for-handover", auth=staff_auth,
            response={200: list[ReadyOut], **ERRORS}, summary="Units ready for handover")
def ready_for_handover(request: HttpRequest, project_id: UUID):  # type: ignore[no-untyped-def]
    """Signed and paid as the project requires, not yet delivered: what the handover picks up."""
    return selectors.ready_for_handover_list(actor=request.user, project_id=project_id, now=timezone.now())


@router.post("/crm/projects/{project_id}/import", auth=staff_auth, response={200: ImportOut, **ERRORS},
             summary="Import customers from CSV / XLSX (managers)")
def customers_import(request: HttpRequest, project_id: UUID, file: File[UploadedFile],  # type: ignore[no-untyped-def]
                     dry_run: Form[bool] = False):
    """Multipart: `file` (.csv UTF-8/GBK or .xlsx) with columns `name` 姓名, `phone` 手机号, optional
    `id_number` 身份证号, `consultant` 置业顾问 (username), `note` 备注, `consent` 同意联系. All rows or none:
    422 `import_invalid` with `details.errors = [{row, column, field, reason}]`. Each row is a lead of channel
    `import`, matched like any other; a named consultant gets a customer nobody holds, with a fresh clock."""
    from django.conf import settings

    from backend.core.errors import PayloadTooLarge
    from backend.crm.imports import customers_import as run

    if file.size is not None and file.size > settings.MAX_REQUEST_BYTES:
        raise PayloadTooLarge(details={"max_bytes": settings.MAX_REQUEST_BYTES})
    result = run(actor=request.user, project_id=project_id, filename=file.name or "", content=file.read(),
                 dry_run=dry_run, now=timezone.now())
    return {"rows": result.rows, "created": result.created, "matched": result.matched, "dry_run": result.dry_run}


@router.get("/crm/buildings/{building_id}/inventory", auth=staff_auth, response={200: InventoryOut, **ERRORS},
            summary="The sales board (销控表) of a building")
def inventory(request: HttpRequest, building_id: UUID):  # type: ignore[no-untyped-def]
    board = selectors.inventory_board(actor=request.user, building_id=building_id, now=timezone.now())
    units = [{"unit_id": cell["unit"].id, "number": cell["unit"].number, "floor": cell["unit"].floor,
              "status": cell["status"], "list_price_fen": cell["list_price_fen"],
              "reserved_until": cell["reserved_until"]} for _floor, cells in board["floors"] for cell in cells]
    return {"building_id": board["building"].id, "counts": board["counts"], "units": units}
