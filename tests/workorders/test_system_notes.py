"""Notes the system writes on a timeline are stored as codes and shown in the reader's language."""

from __future__ import annotations

import pytest
from django.utils import translation

from backend.workorders.models import TimelineEvent
from backend.workorders.notes import NOTES, event_note_text, system_note
from backend.workorders.selectors import timeline_row
from tests.workorders.test_intake_and_dispatch import _fit_out_weekend_offer


@pytest.mark.parametrize("code", sorted(NOTES))
def test_every_system_note_has_a_chinese_text_and_an_english_one(code):
    note = system_note(code, body="漏水", name="阀芯", quantity="2", number="WX20261125-0001", away="王经理",
                       stand_in="李经理")
    with translation.override("zh-hans"):
        chinese = event_note_text(note=note.text, data=note.data)
    with translation.override("en"):
        english = event_note_text(note=note.text, data=note.data)
    assert english == note.text
    assert chinese != english, f"{code} has no Chinese translation"


def test_a_persons_note_is_shown_as_written_and_an_unknown_code_falls_back_to_the_stored_text():
    assert event_note_text(note="熟悉该楼栋", data={}) == "熟悉该楼栋"
    assert event_note_text(note="old text", data={"note": {"code": "gone", "params": {}}}) == "old text"
    assert event_note_text(note="x", data={"note": "not a mapping"}) == "x"


@pytest.mark.django_db
def test_the_grab_pool_line_reads_in_chinese_for_a_chinese_dispatcher():
    order, _techs, _saturday = _fit_out_weekend_offer()
    event = TimelineEvent.objects.filter(order=order, data__note__code="grab_pool").first()
    assert event is not None and event.note == "grab pool"
    with translation.override("zh-hans"):
        assert timeline_row(event)["note"] == "抢单池"
    with translation.override("en"):
        assert timeline_row(event)["note"] == "grab pool"
