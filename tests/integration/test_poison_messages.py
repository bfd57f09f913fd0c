"""Poison messages on the real RabbitMQ: whatever arrives, the consumer dead-letters what it
cannot handle, with the reason, and goes on; `minilok dlq list|replay` are real commands.

(test_event_pipeline.py covers a flaky handler, bad JSON and a missing attribute one at a time;
here every kind arrives at once, mixed with good events, and the dead letters are worked by hand.)
"""

from __future__ import annotations

import json
import subprocess
import uuid

import pika
import pytest
from minilok_shared.db import new_metadata
from minilok_shared.events import EXCHANGE
from minilok_shared.events.consumer import ATTEMPTS_HEADER, ERROR_HEADER, EventConsumer, Handlers, inbox_table
from minilok_shared.events.envelope import dumps, new_event
from sqlalchemy import Column, Integer, String, Table, func, insert, select
from support import BIN, Running, engine_with_tables, wait_for

metadata = new_metadata()
inbox = inbox_table(metadata)
handled = Table("handled", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36)))


@pytest.fixture
def vhost_url():
    """A vhost of its own: the dead-letter queue names are the real service's, and nothing else
    in the run may see or add to them."""
    name = f"minilok-poison-{uuid.uuid4().hex[:8]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True, timeout=60)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], check=True,
                   capture_output=True, timeout=60)
    yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], check=True, capture_output=True, timeout=60)


@pytest.fixture
def engine(database_url):
    yield from engine_with_tables(database_url("poison"), metadata)


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(handled))


def depth(channel, queue: str) -> int:
    return channel.queue_declare(queue, passive=True).method.message_count


def take_all(channel, queue: str) -> list[tuple]:
    out = []
    while (got := channel.basic_get(queue, auto_ack=True))[0] is not None:
        out.append(got)
    return out


def minilok(url: str, *args: str) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "RABBITMQ_URL": url, "LOG_FORMAT": "text"}
    return subprocess.run([str(BIN / "minilok"), *args], env=env, capture_output=True, text=True, timeout=60)


def test_every_kind_of_poison_is_dead_lettered_with_its_reason_and_the_consumer_goes_on(engine, vhost_url):
    handlers = Handlers()

    @handlers.on("followup.created")
    def record(ctx):
        if ctx.event["subject"] == "poison":
            raise RuntimeError("handler always fails on this one")
        ctx.session.execute(insert(handled).values(event_id=ctx.event["id"]))

    consumer = EventConsumer("notifications", engine, inbox, handlers, vhost_url, max_attempts=3, retry_delay_ms=100)
    connection = pika.BlockingConnection(pika.URLParameters(vhost_url))
    channel = connection.channel()
    good = [new_event("followup.created", "/meetings", f"good-{i}", {}) for i in range(3)]
    with Running(consumer):
        def send(body: bytes, routing_key="followup.created", exchange=EXCHANGE):
            channel.basic_publish(exchange, routing_key, body, pika.BasicProperties(delivery_mode=2))

        send(dumps(good[0]))
        send(b"{\"specversion\": \"1.0\", \"id\": ")  # malformed JSON
        send(b"[1, 2, 3]")  # JSON, but not an object
        send(json.dumps({"specversion": "0.3", "id": "x", "source": "/m", "type": "followup.created"}).encode())
        send(json.dumps({**new_event("followup.created", "/meetings", "s", {}), "data": [1]}).encode())
        # A type nobody handles, put straight on the queue (as an old binding would).
        send(dumps(new_event("followup.unheard_of", "/meetings", "u", {})), consumer.queue, "")
        send(dumps(new_event("followup.created", "/meetings", "poison", {})))
        send(dumps(good[1]))
        wait_for(lambda: count(engine) == 2, message="good events around the poison handled")
        wait_for(lambda: depth(channel, consumer.dead_letter_queue) == 6, 30, message="six dead letters")
        letters = take_all(channel, consumer.dead_letter_queue)
        send(dumps(good[2]))  # still consuming after all that
        wait_for(lambda: count(engine) == 3, message="an event after the poison handled")
    connection.close()

    reasons = sorted((props.headers[ERROR_HEADER], props.headers[ATTEMPTS_HEADER]) for _m, props, _b in letters)
    text = "\n".join(r for r, _ in reasons)
    assert "body is not JSON" in text
    assert "body is not a JSON object" in text
    assert "specversion must be '1.0'" in text
    assert "data must be a JSON object" in text
    assert "no handler for event type 'followup.unheard_of'" in text
    assert ("RuntimeError: handler always fails on this one", 3) in reasons  # after the configured attempts
    assert all(props.headers["x-minilok-failed-at"] for _m, props, _b in letters)


def test_dlq_list_and_replay_commands(engine, vhost_url):
    broken = {"on": True}
    handlers = Handlers()

    @handlers.on("followup.created")
    def record(ctx):
        if broken["on"]:
            raise RuntimeError("database of the outside world is down")
        ctx.session.execute(insert(handled).values(event_id=ctx.event["id"]))

    consumer = EventConsumer("notifications", engine, inbox, handlers, vhost_url, max_attempts=2, retry_delay_ms=100)
    connection = pika.BlockingConnection(pika.URLParameters(vhost_url))
    channel = connection.channel()
    event = new_event("followup.created", "/meetings", "7", {"followup": {"id": 7}})
    with Running(consumer):
        channel.basic_publish(EXCHANGE, "followup.created", dumps(event), pika.BasicProperties(delivery_mode=2))
        channel.basic_publish(EXCHANGE, "followup.created", b"not json", pika.BasicProperties(delivery_mode=2))
        wait_for(lambda: depth(channel, consumer.dead_letter_queue) == 2, 30, message="two dead letters")

        listed = minilok(vhost_url, "dlq", "list", "notifications")
        assert listed.returncode == 0, listed.stderr
        lines = [json.loads(line) for line in listed.stdout.splitlines()]
        by_id = {line["event_id"]: line for line in lines}
        assert set(by_id) == {event["id"], None}
        assert by_id[event["id"]]["error"].startswith("RuntimeError: database of the outside world is down")
        assert by_id[event["id"]]["attempts"] == 2 and by_id[event["id"]]["type"] == "followup.created"
        assert by_id[None]["error"].startswith("body is not JSON")
        assert depth(channel, consumer.dead_letter_queue) == 2  # listing takes nothing away

        broken["on"] = False
        replayed = minilok(vhost_url, "dlq", "replay", "notifications", "--event-id", event["id"])
        assert replayed.returncode == 0 and "replayed 1" in replayed.stdout, replayed.stderr
        wait_for(lambda: count(engine) == 1, message="the replayed event handled")
        assert depth(channel, consumer.dead_letter_queue) == 1

        # Replaying what can never work puts it back among the dead letters, not in a loop.
        replayed = minilok(vhost_url, "dlq", "replay", "notifications")
        assert "replayed 1" in replayed.stdout
        wait_for(lambda: depth(channel, consumer.dead_letter_queue) == 1, message="poison back in the DLQ")
    empty = take_all(channel, consumer.dead_letter_queue)
    connection.close()
    assert len(empty) == 1
    assert minilok(vhost_url, "dlq", "list", "notifications").stdout == ""
