"""A report that cannot be taken says why, in the portal's layout, and leads back to the form."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from backend.workorders.models import WorkOrder
from tests.owner_portal.helpers import home_with_owner, jpeg, verified_client

pytestmark = pytest.mark.django_db


def test_a_report_without_a_category_says_what_is_missing_and_keeps_the_text():
    home, _ = home_with_owner()
    client = verified_client(home)
    response = client.post(f"/q/{home.token}/report", {"description": "卫生间天花板漏水", "location_detail": "主卫"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "请选择问题类型" in page and 'id="report-error"' in page
    assert "卫生间天花板漏水" in page and "主卫" in page
    assert not WorkOrder.objects.filter(channel="qr").exists()


def test_the_script_gets_the_same_reason_as_a_field_error():
    home, _ = home_with_owner()
    client = verified_client(home)
    response = client.post(f"/q/{home.token}/report", {"description": "漏水"}, HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 422
    [error] = response.json()["details"]["errors"]
    assert error["field"] == "category_code" and "请选择问题类型" in error["reason"]


def test_the_category_radios_are_not_required_while_hidden_and_the_script_knows_the_message():
    home, _ = home_with_owner()
    page = verified_client(home).get(f"/q/{home.token}/report").content.decode()
    radios = [line for line in page.split("<input") if 'name="category_code"' in line]
    assert radios and not any("required" in radio.split(">")[0] for radio in radios)
    assert '"noCategory": "' in page and "请选择问题类型" in page


@override_settings(MAX_REQUEST_BYTES=200_000)
def test_too_large_an_upload_without_the_script_gets_a_portal_page_with_a_way_back():
    home, _ = home_with_owner()
    client = verified_client(home)
    form_url = f"/q/{home.token}/report"
    photos = [SimpleUploadedFile(f"{n}.jpg", jpeg(2000, 1500, color=(n * 40, 90, 30)) + b"\0" * 150_000,
                                 "image/jpeg") for n in range(2)]
    response = client.post(form_url, {"category_code": "bathroom-leak", "description": "漏水", "photos": photos},
                           HTTP_REFERER=f"http://testserver{form_url}")
    page = response.content.decode()
    assert response.status_code == 413 and response["Content-Type"].startswith("text/html")
    assert "内容过大" in page and 'id="error-back"' in page and f'href="http://testserver{form_url}"' in page
    assert ".cats {" in page  # the portal's layout (its styles), not a bare text page
    assert not WorkOrder.objects.filter(channel="qr").exists()


@override_settings(MAX_REQUEST_BYTES=1000)
def test_without_a_referer_the_way_back_is_the_form_itself_and_a_foreign_referer_is_not_followed():
    home, _ = home_with_owner()
    client = verified_client(home)
    form_url = f"/q/{home.token}/report"
    response = client.post(form_url, {"description": "x" * 2000}, HTTP_REFERER="https://evil.example/phish")
    assert response.status_code == 413
    assert f'href="{form_url}"' in response.content.decode()
