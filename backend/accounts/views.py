from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.access import user_roles
from backend.accounts.errors import LoginCodeRequired
from backend.accounts.roles import Role
from backend.accounts.services import sign_in_limited
from backend.core.errors import RateLimited
from backend.core.ratelimit import client_ip


class RateLimitedAuthenticationForm(AuthenticationForm):
    """Counts failed sign-ins per address and per username there; a successful one costs nothing. A
    username under attack from elsewhere asks for the code texted to its phone (``code``)."""

    code = forms.CharField(label=_("Sign-in code"), required=False, max_length=12)
    needs_code = False

    def clean(self) -> dict[str, Any]:
        username = (self.data.get("username") or "")
        self.needs_code = False
        try:
            return sign_in_limited(limit="login", username=username, address=client_ip(self.request),
                                   code=(self.data.get("code") or "").strip(), attempt=super().clean,
                                   failure=(forms.ValidationError,), now=timezone.now())
        except LoginCodeRequired as exc:
            self.needs_code = True
            raise forms.ValidationError(str(exc.message), code=exc.code) from exc
        except RateLimited as exc:
            raise forms.ValidationError(
                _("Too many sign-in attempts. Please wait %(seconds)s seconds.")
                % {"seconds": exc.details.get("retry_after_seconds")},
                code="rate_limited",
            ) from exc


class RateLimitedAdminAuthenticationForm(RateLimitedAuthenticationForm, AdminAuthenticationForm):
    """The admin's sign-in goes through the same limit as the staff sign-in (the admin also requires is_staff)."""


class StaffLoginView(auth_views.LoginView):
    form_class = RateLimitedAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in staff member's start page: who they are and where their work is."""
    roles = [Role(r).label for r in sorted(user_roles(request.user))]
    is_technician = Role.TECHNICIAN in user_roles(request.user)
    return render(request, "core/home.html", {"roles": roles, "is_technician": is_technician})
