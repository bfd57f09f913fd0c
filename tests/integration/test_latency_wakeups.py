"""The pipeline's fixed waits on the real database and RabbitMQ: an idle relay wakes at the commit
of an outbox write (PostgreSQL NOTIFY) instead of at its next poll, and a consumer closes a batch
once nothing more arrives instead of waiting out its linger."""

from __future__ import annotations

import json
import threading
import time

import pika
import pytest
from minilok_shared.db import new_metadata
from minilok_shared.events import EXCHANGE
from minilok_shared.events.consumer import EventConsumer, Handlers, declare_queues, inbox_table
from minilok_shared.events.envelope import dumps, new_event
from minilok_shared.events.outbox import Outbox, OutboxRelay, outbox_table
from sqlalchemy import Column, Integer, String, Table, insert, select
from sqlalchemy.orm import Session
from support import Running, amqp_channel, backend, engine_with_tables, wait_for

metadata = new_metadata()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
handled = Table("handled_at_once", metadata, Column("id", Integer, primary_key=True),
                Column("event_id", String(36)), Column("subject", String(50)))


@pytest.fixture
def engine(database_url):
    yield from engine_with_tables(database_url("latency"), metadata)


@pytest.fixture
def channel(rabbitmq_url):
    yield from amqp_channel(rabbitmq_url, declare_exchange=True)


def subjects(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(handled.c.subject).order_by(handled.c.id)))


def first_message(channel, queue: str, timeout: float) -> dict | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        if method is not None:
            return json.loads(body)
        time.sleep(0.005)
    return None


@pytest.mark.skipif(backend() != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's; SQLite polls")
def test_an_idle_relay_publishes_at_the_commit_not_at_its_next_poll(engine, channel, rabbitmq_url, unique):
    kind = f"test{unique}.woken"
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, EXCHANGE, routing_key=kind)
    # A poll interval far longer than the test's bound: only the commit's NOTIFY can be in time.
    relay = OutboxRelay(engine, outbox, rabbitmq_url, f"test{unique}", poll_seconds=30)
    thread = threading.Thread(target=relay.run_forever, daemon=True)
    thread.start()
    try:
        wait_for(lambda: relay.broker_state == "ok", 20, message="relay connected")
        time.sleep(0.3)  # the relay has read the empty outbox and waits
        box = Outbox(outbox, "/test")
        seen = []
        for n in range(3):
            with Session(engine) as session:
                box.add(session, kind, "same-subject", {"n": n})
                session.flush()  # written before the commit: the NOTIFY must still wait for it
                time.sleep(0.2)
                assert first_message(channel, queue, 0) is None, "published before its commit"
                session.commit()
            committed = time.monotonic()
            event = first_message(channel, queue, 5)
            assert event is not None and event["data"] == {"n": n}
            seen.append(time.monotonic() - committed)
        with Session(engine) as session:
            box.add(session, kind, "same-subject", {"n": "rolled back"})
            session.flush()
            session.rollback()
        assert first_message(channel, queue, 0.5) is None
    finally:
        relay.stop()
        thread.join(40)
    assert not thread.is_alive()
    assert max(seen) < 2.0, seen
    with engine.connect() as conn:
        assert conn.scalar(select(outbox.c.id).where(outbox.c.published_at.is_(None))) is None


def test_a_quiet_queue_closes_the_batch_at_once_not_after_the_linger(engine, channel, rabbitmq_url, unique):
    kind, service = f"test{unique}.quiet", f"test{unique}"
    handlers = Handlers()
    batches: list[int] = []

    @handlers.on(kind)
    def record(ctx):
        ctx.session.execute(insert(handled).values(event_id=ctx.event["id"], subject=ctx.event["subject"]))

    # A linger far longer than the test's bound: only closing a quiet batch early is in time.
    consumer = EventConsumer(service, engine, inbox, handlers, rabbitmq_url, batch_size=100, linger_seconds=30)
    handle_batch = consumer.handle_batch

    def counting(events, failed_at=None):
        batches.append(len(events))
        return handle_batch(events, failed_at)

    consumer.handle_batch = counting
    declare_queues(channel, service, [kind], consumer.retry_delay_ms)
    with Running(consumer):
        started = time.monotonic()
        for i in range(5):
            channel.basic_publish(EXCHANGE, kind, dumps(new_event(kind, "/test", f"s{i}", {})),
                                  pika.BasicProperties(delivery_mode=2))
        wait_for(lambda: len(subjects(engine)) == 5, 10, message="5 events handled")
        took = time.monotonic() - started
    assert took < 5, took
    assert sum(batches) == 5
    assert subjects(engine) == [f"s{i}" for i in range(5)]
