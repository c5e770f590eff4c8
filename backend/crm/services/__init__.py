"""Everything the CRM writes. One module per part; callers import from here."""

from backend.crm.services.customers import (
    LeadResult,
    code_lead_create,
    code_scan,
    customer_merge,
    follow_up_log,
    lead_create,
    merge_undo,
    stage_change,
)
from backend.crm.services.dispatch import dispatch_lead, grab_fallback_due, lead_decline, lead_grab
from backend.crm.services.pools import (
    alerts_due,
    customer_claim,
    customer_release,
    customers_transfer,
    recycle_due,
    warn_due,
)
from backend.crm.services.referrals import referral_code_issue, referral_lead_create
from backend.crm.services.sales import (
    contract_create,
    contract_discount_decide,
    contract_revise,
    contract_sign,
    overdue_reminders_due,
    payment_record,
    reservation_release,
    reservations_expire,
    subscription_create,
    unit_reserve,
)
from backend.crm.services.tags import customer_tag_add, customer_tag_remove

__all__ = [
    "LeadResult", "alerts_due", "code_lead_create", "code_scan", "contract_create", "contract_discount_decide", "contract_revise", "contract_sign",
    "customer_claim", "customer_merge", "customer_release", "customer_tag_add", "customer_tag_remove", "customers_transfer", "dispatch_lead",
    "follow_up_log", "grab_fallback_due", "lead_create", "lead_decline", "lead_grab", "merge_undo",
    "overdue_reminders_due", "payment_record", "recycle_due", "referral_code_issue", "referral_lead_create", "reservation_release", "reservations_expire",
    "stage_change", "subscription_create", "unit_reserve", "warn_due",
]
