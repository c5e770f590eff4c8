"""/media/ serves stored files only to those who may see them, through the proxy in production."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from backend.workorders.services import attachment_add
from tests.factories import bearer_for
from tests.owner_portal.helpers import home_with_owner, jpeg, verified_client

pytestmark = pytest.mark.django_db


def _photo(side, owner_visible: bool = True):
    color = (200, 80, 40) if owner_visible else (20, 120, 200)  # the same bytes twice would be one photo
    attachment, _created = attachment_add(actor=side.technician, order_id=side.order.id, data=jpeg(color=color),
                                          original_name="leak.jpg", owner_visible=owner_visible, now=timezone.now())
    return attachment


def test_staff_who_may_see_the_order_get_its_photo_and_nobody_else_does():
    mine, theirs = home_with_owner()
    photo = _photo(mine.side)
    url = photo.file.url
    assert url.startswith("/media/attachments/")
    allowed = Client().get(url, **bearer_for(mine.side.dispatcher))
    assert allowed.status_code == 200 and b"".join(allowed.streaming_content)[:2] == b"\xff\xd8"
    assert Client().get(photo.thumbnail.url, **bearer_for(mine.side.technician, device="t")).status_code == 200
    assert Client().get(url).status_code == 404
    assert Client().get(url, **bearer_for(theirs.side.dispatcher)).status_code == 404
    assert Client().get(url, HTTP_AUTHORIZATION="Bearer ax_forged").status_code == 404


def test_the_owner_gets_the_photos_shown_to_them_and_another_owner_does_not():
    mine, theirs = home_with_owner()
    shown, internal = _photo(mine.side), _photo(mine.side, owner_visible=False)
    owner, stranger = verified_client(mine), verified_client(theirs)
    assert owner.get(shown.file.url).status_code == 200
    assert owner.get(internal.file.url).status_code == 404
    assert stranger.get(shown.file.url).status_code == 404


@override_settings(MEDIA_ACCEL_REDIRECT_PREFIX="/_protected_media/")
def test_behind_the_proxy_the_app_checks_and_nginx_sends_the_file():
    mine, _theirs = home_with_owner()
    photo = _photo(mine.side)
    response = Client().get(photo.file.url, **bearer_for(mine.side.dispatcher))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == f"/_protected_media/{photo.file.name}"
    assert not Client().get(photo.file.url).has_header("X-Accel-Redirect")


@pytest.mark.parametrize("name", ["../backend/config/settings/base.py", "attachments/../../etc/passwd",
                                  "other/file.jpg", "attachments/2026/01/missing.jpg"])
def test_names_outside_the_known_folders_or_without_a_row_are_not_found(name):
    mine, _theirs = home_with_owner()
    assert Client().get(f"/media/{name}", **bearer_for(mine.side.dispatcher)).status_code == 404
