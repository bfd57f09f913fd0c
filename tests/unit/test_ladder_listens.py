"""The ladder that listens, on explicit clocks across Nyepi, Idul Fitri (cuti bersama) and Good
Friday 2026: a pause after an acknowledgement or progress holds back escalation beyond the owner
(never the owner's own reminders), and the last step repeats every 5 working days."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from minilok_meetings.domain.calendar import WorkingCalendar
from minilok_meetings.domain.escalation import DEFAULT_POLICY, Policy, Step, pause_until, plan, timeline

TZ = "Asia/Jakarta"
WIB = ZoneInfo(TZ)
cal = WorkingCalendar()
# Tuesday 17 March 2026; 18-24 March are Nyepi, Idul Fitri and cuti bersama; 3 April is Good Friday.
DUE = datetime(2026, 3, 17, 23, 59, 59, tzinfo=WIB)
STAGES = timeline(DUE, DEFAULT_POLICY, TZ, cal)
L2, L3 = datetime(2026, 3, 27, 23, 59, 59, tzinfo=WIB), datetime(2026, 4, 2, 23, 59, 59, tzinfo=WIB)


def at(day: str, clock: str = "23:59:59") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=WIB)


class FollowUp:
    """The three columns the scan keeps, walked through scans at the given times."""

    def __init__(self, policy=DEFAULT_POLICY, stages=STAGES):
        self.policy, self.stages = policy, stages
        self.fired, self.last_at, self.paused_until = 0, None, None
        self.next_at = stages[0].at

    def hold(self, now):
        self.paused_until = pause_until(now, self.policy, TZ, cal, self.paused_until)
        self.scan(now)

    def scan(self, now):
        p = plan(self.stages, self.policy, TZ, cal, fired=self.fired, last_at=self.last_at,
                 paused_until=self.paused_until, now=now)
        self.fired, self.last_at, self.next_at = p.fired, p.last_at, p.next_at
        return [(f.stage.kind, f.stage.level, f.repeat, f.due) for f in p.fire]


def test_a_pause_is_three_working_days_at_the_same_local_clock_time():
    assert pause_until(at("2026-03-26", "10:00:00"), DEFAULT_POLICY, TZ, cal) == at("2026-03-31", "10:00:00")
    # Acknowledged on Tuesday 17 March: Wednesday to Tuesday are days off, so 25, 26 and 27 March.
    assert pause_until(at("2026-03-17", "08:00:00"), DEFAULT_POLICY, TZ, cal) == at("2026-03-27", "08:00:00")
    # A later pause never shortens one already running; no pause in the policy: nothing held.
    running = at("2026-04-30")
    assert pause_until(at("2026-03-26", "10:00:00"), DEFAULT_POLICY, TZ, cal, running) == running
    no_pause = Policy(DEFAULT_POLICY.due_soon_before, DEFAULT_POLICY.steps, progress_pause=None)
    assert pause_until(at("2026-03-26"), no_pause, TZ, cal) is None


def test_reminders_to_the_owner_are_never_held_back():
    f = FollowUp()
    f.hold(at("2026-03-13", "09:00:00"))  # paused until Wednesday 25 March 09:00
    assert f.paused_until == at("2026-03-25", "09:00:00")
    assert f.scan(at("2026-03-16")) == [("due_soon", 0, None, DUE - timedelta(days=2))]
    assert f.scan(at("2026-03-18", "00:00:00")) == [("overdue", 1, None, DUE)]
    assert f.next_at == L2  # the pause ends before the parent's step is due anyway


def test_an_owner_who_keeps_reporting_progress_is_not_escalated_until_the_pause_runs_out():
    f = FollowUp()
    f.scan(at("2026-03-18", "00:00:00"))  # overdue to the owner
    f.hold(at("2026-03-26", "10:00:00"))  # progress: held until Tuesday 31 March 10:00
    assert f.next_at == at("2026-03-31", "10:00:00")
    assert f.scan(L2) == []  # the parent's step was due on Friday 27 March: held back
    f.hold(at("2026-03-30", "09:00:00"))  # more progress: until Thursday 2 April 09:00
    assert f.scan(at("2026-03-31", "10:00:00")) == []
    f.hold(at("2026-04-01", "08:00:00"))  # and again: until Tuesday 7 April 08:00 (3 April is Good Friday)
    assert f.paused_until == at("2026-04-07", "08:00:00")
    assert f.scan(L3) == [] and f.next_at == at("2026-04-07", "08:00:00")
    # The owner goes quiet: once the pause runs out the parent hears, then the puskesmas (its own
    # time has passed too, and it comes no earlier than the step before it).
    fired = f.scan(at("2026-04-07", "08:00:00"))
    assert fired == [("escalated", 2, None, at("2026-04-07", "08:00:00")),
                     ("escalated", 3, None, at("2026-04-07", "08:00:00"))]
    assert f.fired == 4 and f.last_at == at("2026-04-07", "08:00:00")
    assert f.next_at == at("2026-04-14", "08:00:00")  # the first repeat, 5 working days on


def test_the_last_step_repeats_every_five_working_days_until_done():
    f = FollowUp()
    assert [s[:3] for s in f.scan(L3)] == [("overdue", 1, None), ("escalated", 2, None), ("escalated", 3, None)]
    assert f.next_at == at("2026-04-10")  # 6-10 April (3 April is Good Friday)
    assert f.scan(at("2026-04-10", "23:59:58")) == []
    assert f.scan(at("2026-04-10")) == [("escalated", 3, 1, at("2026-04-10"))]
    assert f.scan(at("2026-04-10")) == []  # once
    assert f.next_at == at("2026-04-17")
    assert f.scan(at("2026-04-17", "23:59:59")) == [("escalated", 3, 2, at("2026-04-17"))]
    assert f.fired == len(STAGES) + 2


def test_a_scanner_down_for_weeks_sends_only_the_latest_repeat_and_moves_on_from_its_due_time():
    f = FollowUp()
    f.scan(L3)
    # Down from 3 April to 5 May: the repeats of 10, 17 and 24 April and 4 May (1 May is Labour Day)
    # all passed; one is sent, numbered as the fourth, and the next counts from 4 May.
    assert f.scan(at("2026-05-05", "12:00:00")) == [("escalated", 3, 4, at("2026-05-04"))]
    assert f.fired == len(STAGES) + 4 and f.last_at == at("2026-05-04")
    assert f.next_at == at("2026-05-11")


def test_a_follow_up_first_seen_long_after_its_last_step_gets_the_ladder_once_and_no_repeat_burst():
    f = FollowUp()
    fired = f.scan(at("2026-05-05", "12:00:00"))
    assert [s[:3] for s in fired] == [("overdue", 1, None), ("escalated", 2, None), ("escalated", 3, None)]
    # The repeats that would have gone out meanwhile are counted as passed, not sent.
    assert f.fired == len(STAGES) + 4 and f.next_at == at("2026-05-11")
    assert f.scan(at("2026-05-11")) == [("escalated", 3, 5, at("2026-05-11"))]


def test_repeats_of_a_step_beyond_the_owner_wait_for_a_pause_and_to_the_owner_do_not():
    f = FollowUp()
    f.scan(L3)
    f.hold(at("2026-04-09", "10:00:00"))  # until Tuesday 14 April 10:00
    assert f.scan(at("2026-04-10")) == []
    assert f.scan(at("2026-04-14", "10:00:00")) == [("escalated", 3, 1, at("2026-04-14", "10:00:00"))]
    assert f.next_at == at("2026-04-21", "10:00:00")

    owner_only = Policy(timedelta(days=2), (Step(timedelta(0), "owner"),))
    g = FollowUp(owner_only, timeline(DUE, owner_only, TZ, cal))
    g.scan(at("2026-03-18", "00:00:00"))
    g.hold(at("2026-03-25", "10:00:00"))
    assert g.next_at == at("2026-03-31")  # 25, 26, 27, 30, 31 March: no pause for the owner's own reminder
    assert g.scan(at("2026-03-31")) == [("overdue", 1, 1, at("2026-03-31"))]


def test_no_repeat_in_the_policy_means_silence_after_the_last_step():
    never = Policy(DEFAULT_POLICY.due_soon_before, DEFAULT_POLICY.steps, repeat_every=None)
    f = FollowUp(never, timeline(DUE, never, TZ, cal))
    f.scan(L3)
    assert f.next_at is None and f.scan(at("2026-12-31")) == [] and f.fired == len(STAGES)


def test_follow_ups_from_before_repeats_existed_count_from_their_last_step():
    p = plan(STAGES, DEFAULT_POLICY, TZ, cal, fired=len(STAGES), last_at=None, paused_until=None, now=at("2026-04-10"))
    assert [(f.repeat, f.due) for f in p.fire] == [(1, at("2026-04-10"))]
