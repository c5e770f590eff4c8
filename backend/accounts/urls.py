from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from backend.accounts.views import StaffLoginView

app_name = "accounts"
urlpatterns = [
    path("login/", StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="/accounts/login/", http_method_names=["get", "post", "options"]), name="logout"),
]
