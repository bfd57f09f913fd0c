from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from minilok_meetings.domain.calendar import WorkingCalendar
from minilok_meetings.domain.escalation import DEFAULT_POLICY, Policy, Step, parse_policy, plan, timeline

WIB = ZoneInfo("Asia/Jakarta")
cal = WorkingCalendar()
DUE = datetime(2026, 3, 17, 23, 59, 59, tzinfo=WIB)  # the Tuesday before Nyepi and Idul Fitri


def test_default_ladder_counts_working_days_across_idul_fitri():
    stages = timeline(DUE, DEFAULT_POLICY, "Asia/Jakarta", cal)
    assert [(s.kind, s.level, s.notify) for s in stages] == [
        ("due_soon", 0, None), ("overdue", 1, "owner"), ("escalated", 2, "owner_parent"),
        ("escalated", 3, "puskesmas")]
    assert stages[0].at == DUE - timedelta(days=2)
    assert stages[1].at == DUE
    assert stages[2].at == datetime(2026, 3, 27, 23, 59, 59, tzinfo=WIB)  # 18-24 March are off
    assert stages[3].at == datetime(2026, 4, 2, 23, 59, 59, tzinfo=WIB)  # 3 April: Good Friday


NO_REPEAT = Policy(DEFAULT_POLICY.due_soon_before, DEFAULT_POLICY.steps, repeat_every=None)


def advance(stages, fired, now, policy=NO_REPEAT, last_at=None):
    p = plan(stages, policy, "Asia/Jakarta", cal, fired=fired, last_at=last_at, paused_until=None, now=now)
    return [(f.index, f.stage) for f in p.fire], p.fired, p.next_at


def test_each_stage_fires_once_in_order():
    stages = timeline(DUE, DEFAULT_POLICY, "Asia/Jakarta", cal)
    fire, done, _ = advance(stages, 0, DUE - timedelta(days=1))
    assert [s.kind for _, s in fire] == ["due_soon"] and done == 1
    assert advance(stages, done, DUE - timedelta(hours=1)) == ([], 1, DUE)
    fire, done, next_at = advance(stages, done, DUE + timedelta(seconds=1))
    assert [s.kind for _, s in fire] == ["overdue"] and done == 2
    assert next_at == stages[2].at
    fire, done, next_at = advance(stages, done, datetime(2026, 5, 1, tzinfo=UTC))
    assert [s.level for _, s in fire] == [2, 3] and done == 4
    assert next_at is None


def test_a_follow_up_entered_after_its_due_time_skips_the_due_soon_notice():
    stages = timeline(DUE, DEFAULT_POLICY, "Asia/Jakarta", cal)
    fire, done, _ = advance(stages, 0, DUE + timedelta(minutes=5))
    assert [s.kind for _, s in fire] == ["overdue"] and done == 2


def test_a_policy_whose_first_step_is_later_gives_a_plain_overdue_notice():
    policy = Policy(timedelta(days=1), (Step(timedelta(days=1), "owner_parent"), Step(timedelta(days=2), "agency:9")))
    stages = timeline(DUE, policy, "Asia/Jakarta", cal)
    assert [(s.kind, s.level, s.notify) for s in stages] == [
        ("due_soon", 0, None), ("overdue", 0, None), ("escalated", 1, "owner_parent"), ("escalated", 2, "agency:9")]
    assert stages[2].at == DUE + timedelta(days=1)


def test_a_stored_policy_parses_back():
    steps = [{"after": "P0D", "notify": "owner"},
             {"after": "P3D", "notify": "owner_parent", "working_days": True},
             {"after": "P7D", "notify": "puskesmas", "working_days": True}]
    assert parse_policy("P2D", steps) == DEFAULT_POLICY
    assert parse_policy("P2D", steps, None, None) == Policy(DEFAULT_POLICY.due_soon_before, DEFAULT_POLICY.steps,
                                                            repeat_every=None, progress_pause=None)
