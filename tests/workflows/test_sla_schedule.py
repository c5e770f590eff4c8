"""SLA clocks: targets by category x priority, pauses, priority changes, reopening, alert schedules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflows.errors import SlaError
from workflows.loader import load_definitions
from workflows.sla import SlaEvent, compute_schedule, policy_for

H = timedelta(hours=1)
M = timedelta(minutes=1)


def started(sh, category="electrical", priority="P3", at=(2026, 3, 2, 9, 0)):
    return SlaEvent.started(sh(*at), category, priority)


def alerts_of(clock):
    return {alert.level: alert.at for alert in clock.alerts}


def test_policies_are_chosen_by_category_subtree_and_priority(definitions):
    assert policy_for(definitions, "gas-leak", "P1").code == "emergency"
    assert policy_for(definitions, "slab-crack", "P2").code == "structure-and-leaks"
    assert policy_for(definitions, "water-supply", "P2").code == "urgent"
    assert policy_for(definitions, "electrical", "P3").code == "normal"
    assert policy_for(definitions, "tiles", "P4").code == "low"


def test_a_running_order_has_deadlines_and_the_alert_ladder_for_each_target(definitions, sh):
    schedule = compute_schedule(definitions, [started(sh)], sh(2026, 3, 2, 9, 5))
    assert (schedule.policy_code, schedule.calendar_code, schedule.cycle) == ("normal", "office", 1)
    response = schedule.clock("response")
    assert response.deadline_at == sh(2026, 3, 2, 10, 0) and response.status == "running"
    assert alerts_of(response) == {
        "warning": sh(2026, 3, 2, 9, 30), "urgent": sh(2026, 3, 2, 9, 45),
        "breach": sh(2026, 3, 2, 10, 0), "escalation": sh(2026, 3, 2, 12, 0),
    }
    assert schedule.clock("arrival").deadline_at == sh(2026, 3, 3, 9, 30)
    assert schedule.clock("resolution").deadline_at == sh(2026, 3, 5, 10, 30)
    assert [a.notify for a in response.alerts] == ["technician", "supervisor", "supervisor", "engineering_manager"]
    assert response.elapsed == 5 * M and response.remaining == 55 * M


def test_alert_keys_are_stable_and_due_alerts_are_those_whose_instant_has_passed(definitions, sh):
    early = compute_schedule(definitions, [started(sh)], sh(2026, 3, 2, 9, 5))
    later = compute_schedule(definitions, [started(sh)], sh(2026, 3, 2, 9, 50))
    assert [a.key for a in early.alerts] == [a.key for a in later.alerts]
    assert [a.key for a in later.due_alerts(sh(2026, 3, 2, 9, 50))] == ["c1:response:warning", "c1:response:urgent"]
    assert later.next_alert_at() == sh(2026, 3, 2, 10, 0)
    assert len({a.key for a in later.alerts}) == len(later.alerts)


def test_waiting_on_the_owner_pauses_the_clock_and_resuming_recomputes_the_deadline(definitions, sh):
    events = [
        started(sh),
        SlaEvent("responded", sh(2026, 3, 2, 9, 20)),
        SlaEvent.paused(sh(2026, 3, 2, 10, 0), "waiting_owner"),
        SlaEvent("resumed", sh(2026, 3, 3, 10, 0)),
    ]
    schedule = compute_schedule(definitions, events, sh(2026, 3, 3, 11, 0))
    # 7.5 h of open time were paused (Mon 10:00-17:30 less lunch, Tue 08:30-10:00).
    assert schedule.clock("resolution").deadline_at == sh(2026, 3, 6, 10, 30)
    response = schedule.clock("response")
    assert response.status == "met" and response.met_at == sh(2026, 3, 2, 9, 20)
    assert [a.level for a in response.alerts] == []  # met before the 50 % mark: nothing to fire
    assert schedule.clock("resolution").elapsed == 2 * H


def test_an_open_pause_stops_the_clock_and_hides_the_alerts_it_would_reach(definitions, sh):
    events = [started(sh), SlaEvent.paused(sh(2026, 3, 2, 9, 40), "waiting_owner")]
    schedule = compute_schedule(definitions, events, sh(2026, 3, 2, 15, 0))
    response = schedule.clock("response")
    assert schedule.paused and response.status == "paused"
    assert response.deadline_at is None
    assert response.elapsed == 40 * M and response.remaining == 20 * M
    assert [a.key for a in response.alerts] == ["c1:response:warning"]
    assert schedule.next_alert_at() is None


def test_a_pause_whose_reason_the_policy_does_not_list_leaves_the_clock_running(definitions, sh):
    events = [started(sh), SlaEvent.paused(sh(2026, 3, 2, 9, 10), "waiting_approval")]
    schedule = compute_schedule(definitions, events, sh(2026, 3, 2, 9, 30))
    assert not schedule.paused
    assert schedule.clock("response").deadline_at == sh(2026, 3, 2, 10, 0)


def test_a_priority_raised_to_p1_switches_to_the_emergency_policy_and_keeps_the_time_spent(definitions, sh):
    events = [started(sh), SlaEvent("priority_changed", sh(2026, 3, 2, 10, 0), priority="P1")]
    schedule = compute_schedule(definitions, events, sh(2026, 3, 2, 10, 5))
    assert (schedule.policy_code, schedule.calendar_code, schedule.priority) == ("emergency", "emergency-24x7", "P1")
    response = schedule.clock("response")
    assert response.duration == 15 * M and response.deadline_at == sh(2026, 3, 2, 9, 15)
    assert response.status == "breached"
    assert schedule.clock("arrival").deadline_at == sh(2026, 3, 2, 10, 0)
    resolution = schedule.clock("resolution")
    # 1 h spent on the office calendar, 7 h more around the clock.
    assert resolution.deadline_at == sh(2026, 3, 2, 17, 0)
    assert alerts_of(resolution) == {"warning": sh(2026, 3, 2, 13, 0), "breach": sh(2026, 3, 2, 17, 0),
                                     "escalation": sh(2026, 3, 2, 17, 30)}


def test_a_category_change_moves_the_order_to_the_policy_of_its_new_category(definitions, sh):
    events = [started(sh), SlaEvent("category_changed", sh(2026, 3, 2, 9, 30), category="wall-crack")]
    schedule = compute_schedule(definitions, events, sh(2026, 3, 2, 9, 45))
    assert schedule.policy_code == "structure-and-leaks"
    assert schedule.clock("response").deadline_at == sh(2026, 3, 2, 11, 0)


def test_reopening_restarts_every_target_in_a_new_cycle(definitions, sh):
    events = [
        started(sh),
        SlaEvent("responded", sh(2026, 3, 2, 9, 10)),
        SlaEvent("arrived", sh(2026, 3, 2, 11, 0)),
        SlaEvent("resolved", sh(2026, 3, 2, 16, 0)),
        SlaEvent("reopened", sh(2026, 3, 3, 9, 0)),
    ]
    schedule = compute_schedule(definitions, events, sh(2026, 3, 3, 9, 30))
    assert schedule.cycle == 2
    assert schedule.clock("resolution", cycle=1).status == "met"
    current = schedule.clock("response")
    assert current.cycle == 2 and current.deadline_at == sh(2026, 3, 3, 10, 0)
    assert {a.key for a in current.alerts} >= {"c2:response:warning", "c2:response:breach"}


def test_reopening_with_resume_continues_the_resolution_clock_without_the_resolved_time(default_texts, sh):
    texts = dict(default_texts)
    texts["sla.yaml"] = texts["sla.yaml"].replace("targets: {response: 1h, arrival: 8h, resolution: 24h}",
                                                  "targets: {response: 1h, arrival: 8h, resolution: 24h}\n"
                                                  "    reopen: resume")
    definitions = load_definitions(texts)
    events = [
        started(sh),
        SlaEvent("responded", sh(2026, 3, 2, 9, 10)),
        SlaEvent("arrived", sh(2026, 3, 2, 11, 0)),
        SlaEvent("resolved", sh(2026, 3, 2, 16, 0)),
        SlaEvent("reopened", sh(2026, 3, 3, 9, 0)),
    ]
    schedule = compute_schedule(definitions, events, sh(2026, 3, 3, 9, 30))
    assert schedule.cycle == 1
    resolution = schedule.clock("resolution")
    assert resolution.status == "running" and resolution.met_at is None
    # 5.5 h spent on Monday; the 18.5 h left run from Tuesday 09:00.
    assert resolution.deadline_at == sh(2026, 3, 5, 14, 0)
    assert schedule.clock("response").status == "met"


def test_a_target_met_after_its_deadline_is_met_late_and_an_unmet_one_is_breached(definitions, sh):
    events = [started(sh), SlaEvent("responded", sh(2026, 3, 2, 10, 30))]
    schedule = compute_schedule(definitions, events, sh(2026, 3, 3, 10, 0))
    assert schedule.clock("response").status == "met_late"
    assert schedule.clock("arrival").status == "breached"
    assert schedule.clock("arrival").remaining == -30 * M


def test_resolving_stops_every_running_target_and_closes_an_open_pause(definitions, sh):
    events = [started(sh), SlaEvent.paused(sh(2026, 3, 2, 9, 20), "waiting_parts"),
              SlaEvent("resolved", sh(2026, 3, 2, 11, 0))]
    schedule = compute_schedule(definitions, events, sh(2026, 3, 4, 9, 0))
    assert {c.target: c.status for c in schedule.clocks} == {"response": "met", "arrival": "met",
                                                              "resolution": "met"}
    assert not schedule.paused
    assert schedule.clock("resolution").elapsed == 20 * M


def test_a_schedule_reaching_into_a_year_without_holiday_data_carries_a_warning(definitions, sh):
    schedule = compute_schedule(definitions, [started(sh, "tiles", "P4", (2026, 12, 30, 17, 0))],
                                sh(2026, 12, 30, 17, 0))
    assert [(w.calendar, w.year) for w in schedule.warnings] == [("office", 2027)]


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ([SlaEvent("responded", None)], "begin with a started"),
        ([SlaEvent("started", None, category="tiles", priority="urgent")], "priority P1..P4"),
        ([("started",), SlaEvent("resumed", "t+1")], "resumed without a pause"),
        ([("started",), SlaEvent.paused("t+1", "waiting_owner"), SlaEvent.paused("t+2", "waiting_owner")],
         "paused needs"),
        ([("started",), SlaEvent("reopened", "t+1")], "not resolved"),
        ([("started",), SlaEvent("resolved", "t+1"), SlaEvent("resolved", "t+2")], "resolved twice"),
        ([("started",), SlaEvent("responded", "t-1")], "earlier than the event before"),
        ([("started",), SlaEvent("responded", "t+999")], "later than now"),
    ],
)
def test_event_sequences_that_cannot_happen_are_refused(definitions, sh, events, message):
    base = sh(2026, 3, 2, 9, 0)

    def when(token):
        return base + timedelta(minutes=int(token[1:])) if isinstance(token, str) else base

    built = [started(sh) if e == ("started",) else SlaEvent(e.kind, when(e.at), e.category, e.priority, e.reason)
             for e in events]
    with pytest.raises(SlaError) as error:
        compute_schedule(definitions, built, base + timedelta(hours=2))
    assert message in error.value.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 2 * 24 * 60), st.integers(1, 3 * 24 * 60),
                          st.sampled_from(["waiting_owner", "waiting_parts", "waiting_approval"])), max_size=4),
       st.integers(0, 30 * 24 * 60))
def test_a_deadline_is_the_target_added_to_the_start_with_the_policys_pauses(definitions, sh, pauses, later):
    start = sh(2026, 3, 2, 9, 0)
    events = [started(sh)]
    applicable = []
    cursor = start
    for gap, length, reason in pauses:
        pause_start, pause_end = cursor + gap * M, cursor + (gap + length) * M
        events += [SlaEvent.paused(pause_start, reason), SlaEvent("resumed", pause_end)]
        if reason != "waiting_approval":
            applicable.append((pause_start, pause_end))
        cursor = pause_end
    now = cursor + later * M
    schedule = compute_schedule(definitions, events, now)
    office = definitions.calendar("office")
    for clock in schedule.clocks:
        assert clock.deadline_at == office.add(start, clock.duration, applicable)
        assert clock.elapsed + clock.remaining == clock.duration
        assert clock.elapsed == office.between(start, now, applicable)
        thresholds = sorted(clock.alerts, key=lambda a: a.threshold)
        assert [a.at for a in thresholds] == sorted(a.at for a in thresholds)
