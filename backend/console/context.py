"""The staff layout's context: the navigation of the user's roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from backend.console.access import is_layout_user, nav_for


def staff_layout(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not is_layout_user(user):
        return {}
    return {"console_nav": nav_for(user)}
