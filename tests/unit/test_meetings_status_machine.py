from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from minilok_meetings.domain.followup import STATUSES, TRANSITIONS, IllegalTransition, is_overdue, next_status

LEGAL = {
    ("open", "start"): "in_progress",
    ("in_progress", "complete"): "done",
    ("open", "complete"): "done",  # a one-tap "Selesai"
    ("open", "cancel"): "cancelled",
    ("in_progress", "cancel"): "cancelled",
    ("done", "reopen"): "open",
    ("cancelled", "reopen"): "open",
}


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_every_move_is_either_the_contract_s_or_refused(status, action):
    if (status, action) in LEGAL:
        assert next_status(status, action) == LEGAL[(status, action)]
    else:
        with pytest.raises(IllegalTransition):
            next_status(status, action)


@given(st.lists(st.sampled_from(list(TRANSITIONS)), max_size=40))
def test_no_sequence_of_actions_reaches_an_unknown_status(actions):
    status = "open"
    for action in actions:
        try:
            new = next_status(status, action)
        except IllegalTransition:
            continue
        assert (status, action) in LEGAL
        status = new
        assert status in STATUSES


def test_overdue_is_only_for_active_work_past_its_due_time():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    past, future = now - timedelta(seconds=1), now + timedelta(hours=1)
    assert is_overdue("open", past, now) and is_overdue("in_progress", past, now)
    assert not is_overdue("open", future, now)
    assert not is_overdue("done", past, now) and not is_overdue("cancelled", past, now)
