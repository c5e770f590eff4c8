"""Arrival confirmed by the unit's QR label, offline: the pull gives each unit of the technician's orders the check
code of its label (never the token), the label prints it under the code, and a new or replaced label re-sends it."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from backend.accounts.roles import Role
from backend.properties import qr
from tests.factories import user_with_roles
from tests.mobile_sync.helpers import Device, another_order
from tests.workorders.world import two_sides

# On PostgreSQL a stamp is the transaction id: each step of a test must commit for the pull to see it move.
pytestmark = pytest.mark.django_db(transaction=True)


def units_of(body):  # type: ignore[no-untyped-def]
    entry = body["changes"]["units"]
    return {r["id"]: r for r in entry["created"] + entry["updated"]}


def test_the_check_code_is_the_one_the_phone_derives():
    # The same vectors as technician_app/tests/logic.test.ts (arrival by the QR label).
    assert qr.qr_check_code("Xq3vB9kLm2NpR7sT4uWy8zAb") == "498PS3PA"
    assert qr.qr_check_code("abcdefghijkl-_0123456789") == "A6YMGEAB"
    assert qr.qr_check_code_shown("Xq3vB9kLm2NpR7sT4uWy8zAb") == "498P-S3PA"
    assert set(qr.qr_check_code(qr.token_generate())) <= set(qr.CHECK_ALPHABET)


def test_a_pull_gives_the_units_check_code_and_never_a_token():
    a, b = two_sides()
    mine = qr.qr_token_ensure(unit=a.unit, now=timezone.now())
    theirs = qr.qr_token_ensure(unit=b.unit, now=timezone.now())
    device = Device(a.technician)
    raw = device.pull_raw()
    body = raw.json()
    [unit] = units_of(body).values()
    assert unit["id"] == a.unit.sync_id and unit["qr_check"] == qr.qr_check_code(mine.token)
    text = raw.content.decode()
    assert mine.token not in text and theirs.token not in text  # no token, and nothing of units outside the scope
    assert qr.qr_check_code(theirs.token) not in text
    assert json.loads(text)["changes"]["work_orders"]["created"][0]["unit_id"] == a.unit.sync_id


def test_a_unit_without_a_label_has_no_check_code_until_its_label_is_printed():
    a, _b = two_sides()
    device = Device(a.technician)
    [unit] = units_of(device.pull()).values()
    assert unit["qr_check"] is None
    sheet = qr.qr_label_sheet_for_building(actor=user_with_roles(Role.ADMINISTRATOR), building_id=a.unit.building_id, now=timezone.now())
    [label] = [lbl for lbl in sheet.labels if lbl.place.unit_number == a.unit.number]
    token = label.url.rsplit("/q/", 1)[1]
    assert label.check_code == qr.qr_check_code_shown(token)
    [again] = units_of(device.pull()).values()
    assert again["qr_check"] == qr.qr_check_code(token)


def test_a_replaced_label_sends_the_new_check_code_and_a_revoked_one_none():
    a, _b = two_sides()
    qr.qr_token_ensure(unit=a.unit, now=timezone.now())
    device = Device(a.technician)
    device.pull()
    admin = user_with_roles(Role.ADMINISTRATOR)
    issued = qr.qr_token_rotate(actor=admin, unit_id=a.unit.id, now=timezone.now())
    body = device.pull()
    assert body["changes"]["units"]["updated"] == [{**device.db["units"][a.unit.sync_id]}]
    assert device.db["units"][a.unit.sync_id]["qr_check"] == qr.qr_check_code(issued.token)
    qr.qr_token_revoke(actor=admin, token_id=issued.id, now=timezone.now())
    device.pull()
    assert device.db["units"][a.unit.sync_id]["qr_check"] is None


def test_a_label_sheet_prints_the_check_code_under_each_code(client):  # type: ignore[no-untyped-def]
    a, _b = two_sides()
    another_order(a)
    admin = user_with_roles(Role.ADMINISTRATOR)
    client.force_login(admin)
    page = client.post(f"/properties/buildings/{a.unit.building_id}/qr-labels")
    assert page.status_code == 200
    html = page.content.decode()
    token = qr.qr_token_ensure(unit=a.unit, now=timezone.now()).token
    assert qr.qr_check_code_shown(token) in html and 'data-testid="check-code"' in html
