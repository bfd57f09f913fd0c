import json

import pytest
from minilok_shared.events.consumer import Handlers
from minilok_shared.events.envelope import InvalidEvent, dumps, new_event, parse_event
from minilok_shared.events.topics import topic_matches


def test_new_event_is_a_structured_cloudevent_with_our_extensions():
    event = new_event("followup.created", "/meetings", 42, {"followup": {"id": 42}}, puskesmasid=3, ownerid=7)
    assert event["specversion"] == "1.0"
    assert event["type"] == "followup.created" and event["source"] == "/meetings"
    assert event["subject"] == "42" and event["puskesmasid"] == "3" and event["ownerid"] == "7"
    assert event["datacontenttype"] == "application/json"
    assert event["time"].endswith("Z")
    assert parse_event(dumps(event)) == event


def test_event_ids_are_unique_uuids_of_version_7_that_sort_in_the_order_they_were_made():
    import uuid

    ids = [new_event("a.b", "/x", 1, {})["id"] for _ in range(100)]
    assert len(set(ids)) == 100 and ids == sorted(ids)
    assert all(uuid.UUID(text).version == 7 for text in ids)
    assert new_event("a.b", "/x", 1, {}, id="given")["id"] == "given"


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"{nope", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"specversion": "0.3", "id": "1", "source": "/x", "type": "t"}).encode(), "specversion"),
        (json.dumps({"specversion": "1.0", "id": "1", "type": "t"}).encode(), "source"),
        (json.dumps({"specversion": "1.0", "id": "1", "source": "/x", "type": "t", "data": [1]}).encode(), "data"),
    ],
)
def test_parse_event_rejects_what_is_not_a_cloudevent(body, reason):
    with pytest.raises(InvalidEvent, match=reason):
        parse_event(body)


@pytest.mark.parametrize(
    "pattern, key, matches",
    [
        ("followup.*", "followup.created", True),
        ("followup.*", "followup", False),
        ("followup.*", "meeting.scheduled", False),
        ("#", "followup.created", True),
        ("followup.#", "followup", True),
        ("*.created", "followup.created", True),
        ("followup.overdue", "followup.overdue", True),
        ("followup.overdue", "followup.due_soon", False),
    ],
)
def test_topic_matching_follows_amqp(pattern, key, matches):
    assert topic_matches(pattern, key) is matches


def test_handlers_bind_their_patterns_and_dispatch_by_type():
    handlers = Handlers()
    seen = []
    handlers.on("followup.*")(lambda ctx: seen.append("any"))
    handlers.on("followup.completed")(lambda ctx: seen.append("completed"))
    assert handlers.bindings == ["followup.*", "followup.completed"]
    for handler in handlers.for_type("followup.completed"):
        handler(None)
    assert seen == ["any", "completed"]
    assert handlers.for_type("meeting.scheduled") == []


def test_processes_forked_from_one_parent_make_different_event_ids():
    # Celery's prefork children inherit their parent's random state: ids made in the same
    # millisecond by two children must still differ (the generator is reseeded after a fork).
    import os
    import time

    new_event("a.b", "/x", 1, {})  # the parent's generator is in use before the fork
    start_at = time.time_ns() + 50_000_000
    readers, children = [], []
    for _ in range(2):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_end)
            while time.time_ns() < start_at:
                pass
            ids = [new_event("a.b", "/x", 1, {})["id"] for _ in range(200)]
            os.write(write_end, json.dumps(ids).encode())
            os._exit(0)
        os.close(write_end)
        readers.append(read_end)
        children.append(pid)
    made = []
    for read_end in readers:
        data = b""
        while chunk := os.read(read_end, 1 << 20):
            data += chunk
        os.close(read_end)
        made.append(set(json.loads(data)))
    for pid in children:
        assert os.waitpid(pid, 0)[1] == 0
    assert len(made[0]) == len(made[1]) == 200 and not made[0] & made[1]
