"""Who hears what: event types, filters, and the agency rule (owner, supporter, escalated-to; invited to a meeting)."""

from types import SimpleNamespace

import pytest
from minilok_notifications.domain.matching import event_facts, hears, valid_pattern


def followup_event(type="followup.created", owner=10, supporters=(11,), escalated=None, puskesmas=1, area="21.71"):
    data = {"followup": {"id": 5, "meeting_id": 2, "puskesmas_id": puskesmas, "title": "Abatisasi",
                         "owner_agency_id": owner, "supporting_agency_ids": list(supporters),
                         "due_at": "2026-02-20T16:59:59+00:00", "status": "open", "escalation_level": 0,
                         "area_code": area, "indicator_code": None}}
    if escalated is not None:
        data["escalated_to_agency_ids"] = escalated
    return {"id": "e1", "type": type, "source": "/meetings", "puskesmasid": str(puskesmas), "data": data}


def sub(agency_id=10, scope="agency", event_types=("followup.*",), puskesmas=None, owner=None, area=None):
    return SimpleNamespace(agency_id=agency_id, scope=scope, event_types=list(event_types),
                           filter_puskesmas_id=puskesmas, filter_owner_agency_id=owner, filter_area_code=area)


@pytest.mark.parametrize("pattern", ["followup.*", "followup.overdue", "#", "*.overdue", "meeting.#", "indicator.*"])
def test_valid_patterns(pattern):
    assert valid_pattern(pattern)


@pytest.mark.parametrize("pattern", ["followup.nope", "foo.*", "followup", "", "followup.*.x", "Followup.*", "a..b"])
def test_invalid_patterns(pattern):
    assert not valid_pattern(pattern)


def test_owner_hears_its_followup():
    assert hears(sub(agency_id=10), event_facts(followup_event(owner=10)))


def test_supporter_hears_it():
    assert hears(sub(agency_id=11), event_facts(followup_event(owner=10, supporters=(11,))))


def test_agency_escalated_to_hears_it():
    facts = event_facts(followup_event(type="followup.escalated", owner=10, supporters=(), escalated=[30]))
    assert hears(sub(agency_id=30), facts)


def test_other_agency_hears_nothing():
    assert not hears(sub(agency_id=99), event_facts(followup_event(owner=10, supporters=(11,))))


def test_event_type_must_match():
    assert not hears(sub(agency_id=10, event_types=["followup.overdue"]), event_facts(followup_event(owner=10)))
    assert hears(sub(agency_id=10, event_types=["followup.overdue"]),
                 event_facts(followup_event(type="followup.overdue", owner=10)))


def test_agency_scope_does_not_hear_meetings():
    event = {"id": "m", "type": "meeting.scheduled", "data": {"meeting": {"id": 1, "puskesmas_id": 1}}}
    assert not hears(sub(agency_id=10, event_types=["meeting.*"], puskesmas=1), event_facts(event))


def test_puskesmas_scope_hears_whole_puskesmas():
    watcher = sub(agency_id=1, scope="puskesmas", event_types=["#"], puskesmas=1)
    assert hears(watcher, event_facts(followup_event(owner=77, supporters=(), puskesmas=1)))
    assert not hears(watcher, event_facts(followup_event(owner=77, supporters=(), puskesmas=2)))
    meeting = {"id": "m", "type": "meeting.scheduled", "data": {"meeting": {"id": 1, "puskesmas_id": 1}}}
    assert hears(watcher, event_facts(meeting))


def test_filters_narrow():
    event = event_facts(followup_event(owner=10, area="21.71"))
    assert hears(sub(agency_id=10, area="21.71"), event)
    assert not hears(sub(agency_id=10, area="21.72"), event)
    assert hears(sub(agency_id=10, owner=10), event)
    assert not hears(sub(agency_id=11, owner=12), event_facts(followup_event(owner=10, supporters=(11,))))
    assert not hears(sub(agency_id=10, puskesmas=2), event)


def test_filter_on_a_missing_attribute_does_not_match():
    event = event_facts(followup_event(owner=10, area=None))
    assert not hears(sub(agency_id=10, area="21.71"), event)


@pytest.mark.parametrize("value,expected", [("17", 17), (str(2**63 - 1), 2**63 - 1), (str(2**63), None),
                                            ("9" * 40, None), ("²", None), ("-3", None), ("1e3", None), ("", None),
                                            (None, None)])
def test_db_id_is_none_for_ids_no_row_can_have(value, expected):
    from minilok_notifications.domain.matching import db_id

    assert db_id(value) == expected


def test_malformed_id_lists_are_ignored():
    event = followup_event(supporters=())
    event["data"]["followup"]["supporting_agency_ids"] = 11
    event["data"]["escalated_to_agency_ids"] = "12"
    assert event_facts(event).involved_agency_ids == frozenset({"10"})


def meeting_event(type="meeting.updated", invited=(20,), puskesmas=1):
    return {"id": "m", "type": type, "puskesmasid": str(puskesmas),
            "data": {"meeting": {"id": 4, "puskesmas_id": puskesmas, "title": "Lokakarya mini lintas sektor",
                                 "invited_agency_ids": list(invited)}}}


@pytest.mark.parametrize("type_", ["meeting.scheduled", "meeting.updated", "meeting.cancelled",
                                   "meeting.minutes_published"])
def test_an_invited_agency_hears_its_meetings(type_):
    assert hears(sub(agency_id=20, event_types=["meeting.*"]), event_facts(meeting_event(type_, invited=(20, 21))))
    assert hears(sub(agency_id=21, event_types=["#"]), event_facts(meeting_event(type_, invited=(20, 21))))


def test_an_agency_not_invited_hears_nothing_of_the_meeting():
    assert not hears(sub(agency_id=22, event_types=["meeting.*"]), event_facts(meeting_event(invited=(20, 21))))
    assert not hears(sub(agency_id=20, event_types=["meeting.*"]), event_facts(meeting_event(invited=())))


def test_an_invitation_is_no_pass_to_the_rest_of_the_puskesmas():
    """Invited to a meeting, an agency still hears nothing of other agencies' follow-ups or of indicators."""
    invited = sub(agency_id=20, event_types=["#"])
    assert hears(invited, event_facts(meeting_event(invited=(20,))))
    assert not hears(invited, event_facts(followup_event(owner=10, supporters=(11,))))
    indicator = {"id": "i", "type": "indicator.below_target", "puskesmasid": "1",
                 "data": {"indicator": {"code": "DBD_IR", "puskesmas_id": 1, "invited_agency_ids": [20]}}}
    assert not hears(invited, event_facts(indicator))


def test_invited_agencies_are_the_candidates_of_a_meeting_event():
    facts = event_facts(meeting_event(invited=(20, "21")))
    assert facts.about_meeting and not facts.about_followup
    assert facts.involved_agency_ids == frozenset({"20", "21"})


def test_a_followup_event_carrying_a_meeting_counts_as_a_followup():
    event = followup_event(owner=10, supporters=())
    event["data"]["meeting"] = {"id": 2, "puskesmas_id": 1, "invited_agency_ids": [20]}
    facts = event_facts(event)
    assert facts.about_followup and not facts.about_meeting and facts.involved_agency_ids == frozenset({"10"})


def test_filters_still_narrow_a_meeting_event():
    event = event_facts(meeting_event(invited=(20,), puskesmas=1))
    assert hears(sub(agency_id=20, event_types=["meeting.*"], puskesmas=1), event)
    assert not hears(sub(agency_id=20, event_types=["meeting.*"], puskesmas=2), event)
    assert not hears(sub(agency_id=20, event_types=["meeting.*"], owner=20), event)  # a meeting has no owner


def test_a_malformed_invitation_list_is_ignored():
    event = meeting_event()
    event["data"]["meeting"]["invited_agency_ids"] = "20"
    assert not hears(sub(agency_id=20, event_types=["meeting.*"]), event_facts(event))


@pytest.mark.parametrize("type_", ["meeting.updated", "meeting.cancelled"])
def test_new_meeting_types_are_valid_patterns(type_):
    assert valid_pattern(type_)


def uninvite_event(invited=(20,), uninvited=(21,)):
    event = meeting_event("meeting.updated", invited=invited)
    event["data"]["meeting"]["uninvited_agency_ids"] = list(uninvited)
    return event


def test_an_agency_taken_off_the_list_hears_that_event():
    facts = event_facts(uninvite_event(invited=(20,), uninvited=(21,)))
    assert facts.involved_agency_ids == frozenset({"20", "21"})
    assert hears(sub(agency_id=21, event_types=["meeting.*"]), facts)
    assert hears(sub(agency_id=20, event_types=["meeting.updated"]), facts)
    assert not hears(sub(agency_id=22, event_types=["meeting.*"]), facts)


def test_after_that_event_the_agency_taken_off_hears_nothing_of_the_meeting():
    uninvited = sub(agency_id=21, event_types=["#"])
    for type_ in ("meeting.updated", "meeting.cancelled", "meeting.minutes_published"):
        assert not hears(uninvited, event_facts(meeting_event(type_, invited=(20,))))


def test_a_malformed_uninvited_list_is_ignored():
    event = uninvite_event()
    event["data"]["meeting"]["uninvited_agency_ids"] = "21"
    assert not hears(sub(agency_id=21, event_types=["meeting.*"]), event_facts(event))
