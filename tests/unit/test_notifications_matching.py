"""Who hears what: event types, filters, and the agency rule (owner, supporter, escalated-to)."""

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
