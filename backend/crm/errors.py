"""The CRM's error codes, in the one error shape (``AppError``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from backend.core.errors import AppError, Conflict, ValidationFailed


class CrmError(AppError):
    status = 409
    code = "crm_refused"
    message = _("The CRM refused this step.")


class InvalidStageChange(CrmError):
    code = "invalid_stage_change"
    message = _("The customer cannot move from this stage to that one.")


class AlreadyHeld(Conflict):
    code = "customer_already_held"
    message = _("Another consultant holds this customer now.")


class PoolLimit(CrmError):
    code = "pool_limit"
    message = _("You already hold as many customers as the project allows.")


class DailyClaimCap(CrmError):
    code = "daily_claim_cap"
    message = _("You have claimed as many customers today as the project allows.")


class Cooldown(CrmError):
    code = "claim_cooldown"
    message = _("You held this customer recently; wait before claiming them again.")


class Protected(CrmError):
    code = "customer_protected"
    message = _("This customer was claimed recently and is protected.")


class GrabClosed(Conflict):
    code = "grab_closed"
    message = _("This lead has already been taken or its countdown ended.")


class UnitUnavailable(Conflict):
    code = "unit_unavailable"
    message = _("This unit is not available for sale now.")


class ContractRefused(CrmError):
    code = "contract_refused"
    message = _("The contract cannot take this step now.")


class PaymentRefused(ValidationFailed):
    code = "payment_refused"
    message = _("The payment does not fit the plan line.")


class NotMergeable(CrmError):
    code = "not_mergeable"
    message = _("These customers cannot be merged.")
