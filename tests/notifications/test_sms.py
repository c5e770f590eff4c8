from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from backend.notifications import services, sms, tasks
from backend.notifications.errors import InvalidNotification, MissingSmsParams, UnknownSmsTemplate
from backend.notifications.models import Delivery
from backend.properties.errors import InvalidPhone
from tests.notifications import fakes

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def send(template="order_accepted", params=None, key="order.accepted:1", phone="138 0013 8000", **kwargs):
    return services.sms_send(phone=phone, template=template, params=params or {"number": "WO-20261125-0001"},
                             idempotency_key=key, now=NOW, **kwargs)


def test_the_log_backend_writes_the_chinese_text_and_the_delivery_is_recorded_as_sent(chinese_catalog, caplog):
    row = send()
    assert (row.target_kind, row.target_id, row.event_type, row.status) == (
        "sms", "+8613800138000", "sms.order_accepted", "pending")

    with caplog.at_level(logging.INFO, logger="anxin.sms"):
        assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "sent"

    [record] = [r for r in caplog.records if r.name == "anxin.sms"]
    assert record.getMessage().endswith(
        "to 138****8000 [order_accepted]: 【安心】您的报修单WO-20261125-0001已受理，我们将尽快为您安排维修工程师。")
    row = Delivery.objects.get(id=row.id)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 1, NOW)
    assert row.provider_message_id.startswith("log-") and row.provider_message_id in record.getMessage()


def test_a_message_asked_for_in_english_is_written_in_english(caplog):
    row = send(template="technician_assigned", language="en",
               params={"number": "WO-1", "technician": "李师傅", "technician_phone": "13900139000"})
    with caplog.at_level(logging.INFO, logger="anxin.sms"):
        services.delivery_attempt(delivery_id=row.id, now=NOW)
    assert caplog.records[-1].getMessage().endswith(
        "[Anxin] Technician 李师傅 (tel. 13900139000) will handle your repair request WO-1.")


def test_sending_the_same_message_twice_queues_it_once(django_capture_on_commit_callbacks, monkeypatch):
    queued: list[str] = []
    monkeypatch.setattr(tasks.deliver, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        first = send()
        again = send(phone="+86 138-0013-8000")
    assert first.id == again.id and Delivery.objects.count() == 1
    assert queued == [str(first.id)]


def test_the_same_key_to_another_phone_is_another_message():
    send(phone="13800138000")
    send(phone="13900139000")
    assert Delivery.objects.count() == 2


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"template": "lottery_win"}, UnknownSmsTemplate),
    ({"template": "otp_code", "params": {"code": "123456"}}, MissingSmsParams),
    ({"phone": "12345"}, InvalidPhone),
    ({"key": ""}, InvalidNotification),
    ({"language": "fr"}, InvalidNotification),
])
def test_an_invalid_message_is_refused_and_nothing_is_stored(kwargs, error):
    with pytest.raises(error):
        send(**kwargs)
    assert Delivery.objects.count() == 0


def test_only_the_template_params_are_stored():
    row = send(params={"number": "WO-1", "owner_id_number": "110101199003071234"})
    assert row.payload["params"] == {"number": "WO-1"}


def test_a_one_time_code_is_removed_from_the_log_once_sent_and_cannot_be_sent_again(caplog):
    row = send(template="otp_code", params={"code": "428193", "minutes": 5}, key="otp:1", language="en")
    with caplog.at_level(logging.INFO, logger="anxin.sms"):
        services.delivery_attempt(delivery_id=row.id, now=NOW)
    assert "Your verification code is 428193, valid for 5 minutes." in caplog.text
    row = Delivery.objects.get(id=row.id)
    assert row.payload["params"] == {"code": "******", "minutes": "5"}
    Delivery.objects.filter(id=row.id).update(status="dead")
    assert services.delivery_redrive(delivery_ids=[row.id], now=NOW) == 0


def test_the_backend_is_chosen_by_the_setting(settings):
    settings.SMS_BACKEND = "tests.notifications.fakes.RecordingSmsBackend"
    fakes.sent.clear()
    row = send()
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "sent"
    assert fakes.sent == [{"phone_e164": "+8613800138000", "template": "order_accepted",
                           "params": {"number": "WO-20261125-0001"}}]
    assert Delivery.objects.get(id=row.id).provider_message_id == "rec-1"


def test_a_provider_refusal_that_will_not_change_gives_up_at_once(settings):
    settings.SMS_BACKEND = "tests.notifications.fakes.RefusingSmsBackend"
    row = send()
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "dead"
    assert "MOBILE_NUMBER_ILLEGAL" in Delivery.objects.get(id=row.id).last_error


def test_an_unreachable_provider_is_retried_with_backoff(settings):
    settings.SMS_BACKEND = "tests.notifications.fakes.UnreachableSmsBackend"
    row = send()
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "failed"
    assert Delivery.objects.get(id=row.id).next_attempt_at == NOW + timedelta(seconds=30)


def test_a_bug_in_a_backend_is_logged_and_recorded_as_a_failed_attempt(settings, caplog):
    settings.SMS_BACKEND = "tests.notifications.fakes.BrokenSmsBackend"
    row = send()
    assert services.delivery_attempt(delivery_id=row.id, now=NOW) == "failed"
    assert "KeyError" in Delivery.objects.get(id=row.id).last_error
    assert "sending failed unexpectedly" in caplog.text


def _every_wording():
    """(template, params) of every wording: with all params, and without the optional one."""
    for name, spec in sms.SMS_TEMPLATES.items():
        yield name, {p: f"<{p}>" for p in spec.all_params}
        if spec.optional_param:
            yield name, {p: f"<{p}>" for p in spec.params}


def test_every_template_has_a_chinese_translation_with_the_same_placeholders(chinese_catalog):
    for name, params in _every_wording():
        with translation.override("zh-hans"):
            chinese = sms.sms_render(template=name, params=params)
        with translation.override("en"):
            english = sms.sms_render(template=name, params=params)
        assert chinese.startswith("【安心】") and chinese != english, name
        assert all(f"<{p}>" in chinese for p in params), name


def test_every_message_about_an_order_names_it_the_same_way(chinese_catalog):
    for name, params in _every_wording():
        if "number" not in params:
            continue
        with translation.override("zh-hans"):
            assert "报修单<number>" in sms.sms_render(template=name, params=params), name
        with translation.override("en"):
            assert "repair request <number>" in sms.sms_render(template=name, params=params), name


def test_a_technician_without_a_phone_is_named_without_a_placeholder(chinese_catalog, caplog):
    params = {"number": "WO-1", "technician": "叶静师傅", "technician_phone": ""}
    row = send(template="technician_assigned", params=params, key="assigned:1")
    assert row.payload["params"] == {"number": "WO-1", "technician": "叶静师傅"}
    assert sms.sms_variant(template="technician_assigned", params=row.payload["params"]) == \
        "technician_assigned:without_technician_phone"
    with caplog.at_level(logging.INFO, logger="anxin.sms"):
        services.delivery_attempt(delivery_id=row.id, now=NOW)
    assert caplog.records[-1].getMessage().endswith("【安心】维修工程师叶静师傅将为您处理报修单WO-1。")
    assert "电话" not in caplog.text and "-）" not in caplog.text
    with_phone = {**params, "technician_phone": "139****5678"}
    assert sms.sms_variant(template="technician_assigned", params=with_phone) == "technician_assigned"
    with translation.override("zh-hans"):
        assert "（电话139****5678）" in sms.sms_render(template="technician_assigned", params=with_phone)


def test_every_message_of_the_app_is_translated_to_chinese(chinese_catalog):
    assert [e.msgid for e in chinese_catalog if not e.translated() or e.obsolete] == []
