from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client

from backend.accounts.roles import Role
from tests.factories import DEFAULT_PASSWORD, user_with_roles

OUR_APPS = {"core", "accounts", "properties", "workorders", "notifications"}


def test_every_model_of_ours_is_in_the_admin():
    missing = [m._meta.label for m in apps.get_models()
               if m._meta.app_label in OUR_APPS and m not in admin.site._registry]
    assert not missing, missing


@pytest.mark.django_db
def test_the_admin_speaks_chinese_by_default_and_every_changelist_opens():
    superuser = user_with_roles(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client = Client()
    assert client.login(username=superuser.username, password=DEFAULT_PASSWORD)
    index = client.get("/admin/")
    assert index.status_code == 200
    page = index.content.decode()
    assert "安心售后管理后台" in page and "工单" in page and "楼盘" in page
    for model in admin.site._registry:
        if model._meta.app_label not in OUR_APPS:
            continue
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(url).status_code == 200, url
