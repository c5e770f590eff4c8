from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext as _

from backend.core.errors import RateLimited
from backend.core.ratelimit import client_ip, rate_limit_hit


class RateLimitedAuthenticationForm(AuthenticationForm):
    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "").lower()
        try:
            rate_limit_hit(name="login", identifiers=[f"ip:{client_ip(self.request)}", f"user:{username}"])
        except RateLimited as exc:
            raise forms.ValidationError(
                _("Too many sign-in attempts. Please wait %(seconds)s seconds.")
                % {"seconds": exc.details.get("retry_after_seconds")},
                code="rate_limited",
            ) from exc
        return super().clean()


class RateLimitedAdminAuthenticationForm(RateLimitedAuthenticationForm, AdminAuthenticationForm):
    """The admin's sign-in goes through the same limit as the staff sign-in (the admin also requires is_staff)."""


class StaffLoginView(auth_views.LoginView):
    form_class = RateLimitedAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
