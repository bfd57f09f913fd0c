"""The shared event pipeline on the real RabbitMQ and database: outbox → relay → consumer/inbox."""

from __future__ import annotations

import json
import threading
import uuid

import pika
import pytest
from minilok_shared.db import new_metadata
from minilok_shared.events import EXCHANGE
from minilok_shared.events.consumer import ERROR_HEADER, EventConsumer, Handlers, inbox_table
from minilok_shared.events.envelope import dumps, new_event
from minilok_shared.events.outbox import Outbox, OutboxRelay, outbox_table
from sqlalchemy import Column, Integer, String, Table, func, insert, select
from sqlalchemy.orm import Session
from support import amqp_channel, engine_with_tables, wait_for

metadata = new_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
received = Table("received", metadata, Column("id", Integer, primary_key=True),
                 Column("event_id", String(36)), Column("subject", String(100)))


@pytest.fixture
def engine(database_url):
    yield from engine_with_tables(database_url("pipeline"), metadata)


@pytest.fixture
def channel(rabbitmq_url):
    yield from amqp_channel(rabbitmq_url, declare_exchange=True)


def tap(channel, routing_key: str) -> str:
    """An exclusive queue that sees what is published with `routing_key`."""
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, EXCHANGE, routing_key=routing_key)
    return queue


def drain(channel, queue: str, expected: int, timeout: float = 10) -> list[dict]:
    bodies: list[dict] = []

    def got_all():
        while True:
            method, _props, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            bodies.append(json.loads(body))
        return len(bodies) >= expected

    wait_for(got_all, timeout, message=f"{expected} messages on {queue}")
    return bodies


def run_in_thread(runner):
    thread = threading.Thread(target=runner.run_forever, daemon=True)
    thread.start()
    return thread


def stop(runner, thread):
    runner.stop()
    thread.join(10)
    assert not thread.is_alive()


def test_relay_publishes_committed_events_in_order_and_never_rolled_back_ones(engine, channel, rabbitmq_url, unique):
    kind = f"test{unique}.happened"
    queue = tap(channel, kind)
    box = Outbox(outbox, "/test")
    with Session(engine) as session:
        for i in range(20):
            box.add(session, kind, "same-subject", {"n": i})
        session.commit()
    with Session(engine) as session:
        box.add(session, kind, "same-subject", {"n": "rolled back"})
        session.rollback()

    relay = OutboxRelay(engine, outbox, rabbitmq_url, f"test{unique}", batch_size=7, poll_seconds=0.05)
    thread = run_in_thread(relay)
    try:
        events = drain(channel, queue, 20)
    finally:
        stop(relay, thread)
    assert [e["data"]["n"] for e in events] == list(range(20))
    assert all(e["specversion"] == "1.0" and e["source"] == "/test" for e in events)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).where(outbox.c.published_at.is_(None))) == 0
        assert conn.scalar(select(func.count()).select_from(outbox)) == 20


def test_two_relays_publish_each_event_once(engine, channel, rabbitmq_url, unique):
    kind = f"test{unique}.pair"
    queue = tap(channel, kind)
    with Session(engine) as session:
        for i in range(50):
            Outbox(outbox, "/test").add(session, kind, i, {"n": i})
        session.commit()
    relays = [OutboxRelay(engine, outbox, rabbitmq_url, f"test{unique}", batch_size=5, poll_seconds=0.02)
              for _ in range(2)]
    threads = [run_in_thread(r) for r in relays]
    try:
        events = drain(channel, queue, 50)
        # Anything extra would have arrived by now.
        wait_for(lambda: channel.queue_declare(queue, passive=True).method.message_count == 0, 2)
    finally:
        for r, t in zip(relays, threads, strict=True):
            stop(r, t)
    assert sorted(e["data"]["n"] for e in events) == list(range(50))
    assert len({e["id"] for e in events}) == 50


def publish(channel, event: dict) -> None:
    channel.basic_publish(EXCHANGE, event["type"], dumps(event),
                          pika.BasicProperties(content_type="application/cloudevents+json", delivery_mode=2))


def make_consumer(engine, rabbitmq_url, service, handlers, **kwargs):
    return EventConsumer(service, engine, inbox, handlers, rabbitmq_url, **kwargs)


def count_received(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(received))


def test_consumer_handles_a_redelivered_event_once(engine, channel, rabbitmq_url, unique):
    kind = f"test{unique}.once"
    handlers = Handlers()

    @handlers.on(kind)
    def record(ctx):
        ctx.session.execute(insert(received).values(event_id=ctx.event["id"], subject=ctx.event["subject"]))

    consumer = make_consumer(engine, rabbitmq_url, f"test{unique}", handlers)
    thread = run_in_thread(consumer)
    try:
        assert consumer.ready.wait(20), "consumer not ready"
        first = new_event(kind, "/test", "a", {})
        second = new_event(kind, "/test", "b", {})
        for event in (first, first, second, first):
            publish(channel, event)
        wait_for(lambda: count_received(engine) == 2, message="two distinct events handled")
        # Give the duplicates time to (not) land.
        wait_for(lambda: channel.queue_declare(consumer.queue, passive=True).method.message_count == 0, 5)
    finally:
        stop(consumer, thread)
    with engine.connect() as conn:
        rows = conn.execute(select(received.c.event_id).order_by(received.c.id)).scalars().all()
    assert rows == [first["id"], second["id"]]


def test_failing_handler_is_retried_then_dead_lettered_and_the_consumer_goes_on(engine, channel, rabbitmq_url, unique):
    kind = f"test{unique}.flaky"
    attempts: dict[str, int] = {}
    handlers = Handlers()

    @handlers.on(kind)
    def sometimes(ctx):
        attempts[ctx.event["subject"]] = attempts.get(ctx.event["subject"], 0) + 1
        if ctx.event["subject"] == "poison" or attempts[ctx.event["subject"]] < 2:
            raise RuntimeError(f"boom {ctx.event['subject']}")
        ctx.session.execute(insert(received).values(event_id=ctx.event["id"], subject=ctx.event["subject"]))

    consumer = make_consumer(engine, rabbitmq_url, f"test{unique}", handlers, max_attempts=3, retry_delay_ms=200)
    thread = run_in_thread(consumer)
    try:
        assert consumer.ready.wait(20), "consumer not ready"
        publish(channel, new_event(kind, "/test", "poison", {}))
        publish(channel, new_event(kind, "/test", "flaky", {}))
        channel.basic_publish(EXCHANGE, kind, b"{not json", pika.BasicProperties(delivery_mode=2))
        wait_for(lambda: count_received(engine) == 1, message="flaky event handled on its second attempt")

        def dead_letters():
            out = []
            while (got := channel.basic_get(consumer.dead_letter_queue, auto_ack=True))[0] is not None:
                out.append(got)
            return out

        letters = wait_for(lambda: (d := dead_letters()) and d, message="dead letters")
        letters += wait_for(lambda: len(letters) >= 2 or dead_letters(), message="second dead letter") \
            if len(letters) < 2 else []
    finally:
        stop(consumer, thread)
    assert attempts == {"poison": 3, "flaky": 2}
    reasons = sorted(props.headers[ERROR_HEADER] for _m, props, _b in letters)
    assert len(reasons) == 2
    assert reasons[0].startswith("RuntimeError: boom poison")
    assert reasons[1].startswith("body is not JSON")


def test_unknown_event_id_shape_is_rejected_to_dead_letters(engine, channel, rabbitmq_url, unique):
    kind = f"test{unique}.shape"
    handlers = Handlers()
    handlers.on(kind)(lambda ctx: None)
    consumer = make_consumer(engine, rabbitmq_url, f"test{unique}", handlers)
    thread = run_in_thread(consumer)
    try:
        assert consumer.ready.wait(20), "consumer not ready"
        bad = {"specversion": "1.0", "type": kind, "id": str(uuid.uuid4())}  # no source
        channel.basic_publish(EXCHANGE, kind, json.dumps(bad).encode())
        method, props, _ = wait_for(
            lambda: (g := channel.basic_get(consumer.dead_letter_queue, auto_ack=True))[0] and g,
            message="dead letter")
    finally:
        stop(consumer, thread)
    assert "source" in props.headers[ERROR_HEADER]
