"""The consumer in batches on the real RabbitMQ and database: one transaction and one ack for what
arrived together, a failing event isolated from the good ones, and a crash between the commit and
the ack handling nothing twice."""

from __future__ import annotations

import os
import subprocess
import sys

import pika
import pytest
from minilok_shared.db import new_metadata
from minilok_shared.events import EXCHANGE
from minilok_shared.events.consumer import ATTEMPTS_HEADER, EventConsumer, Handlers, declare_queues, inbox_table
from minilok_shared.events.envelope import dumps, new_event
from sqlalchemy import Column, Integer, String, Table, event, func, insert, select
from sqlalchemy.exc import OperationalError
from support import Running, amqp_channel, engine_with_tables, wait_for

metadata = new_metadata()
inbox = inbox_table(metadata)
handled = Table("handled", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36)),
                Column("subject", String(50)))


@pytest.fixture
def engine(database_url):
    yield from engine_with_tables(database_url("batches"), metadata)


@pytest.fixture
def channel(rabbitmq_url):
    yield from amqp_channel(rabbitmq_url)


def recording(kind: str, fail_subject: str | None = None) -> Handlers:
    handlers = Handlers()

    @handlers.on(kind)
    def record(ctx):
        if ctx.event["subject"] == fail_subject:
            raise RuntimeError(f"boom {fail_subject}")
        ctx.session.execute(insert(handled).values(event_id=ctx.event["id"], subject=ctx.event["subject"]))

    return handlers


def publish(channel, body: bytes, kind: str) -> None:
    channel.basic_publish(EXCHANGE, kind, body, pika.BasicProperties(delivery_mode=2))


def subjects(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(handled.c.subject).order_by(handled.c.id)))


def depth(channel, queue: str) -> int:
    return channel.queue_declare(queue, passive=True).method.message_count


def test_what_arrived_together_is_handled_in_one_transaction_in_order(engine, channel, rabbitmq_url, unique):
    kind, service = f"test{unique}.batch", f"test{unique}"
    consumer = EventConsumer(service, engine, inbox, recording(kind), rabbitmq_url, batch_size=100)
    declare_queues(channel, service, [kind], consumer.retry_delay_ms)
    done_before = new_event(kind, "/test", "done-before", {})
    consumer.handle(done_before)  # already in the inbox: its redelivery is a duplicate
    good = [new_event(kind, "/test", f"s{i}", {}) for i in range(20)]
    # Everything is queued before the consumer starts, so it arrives as one batch.
    for i, e in enumerate(good):
        publish(channel, dumps(e), kind)
        if i == 5:
            publish(channel, dumps(good[2]), kind)  # a duplicate inside the batch
            publish(channel, b"{not json", kind)  # invalid: dead-lettered, the batch goes on
            publish(channel, dumps(done_before), kind)
    commits = []
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    with Running(consumer):
        wait_for(lambda: len(subjects(engine)) == 21, message="the batch handled")
        wait_for(lambda: depth(channel, consumer.queue) == 0 and depth(channel, consumer.dead_letter_queue) == 1,
                 message="queue drained, one dead letter")
    assert subjects(engine) == ["done-before"] + [f"s{i}" for i in range(20)]
    assert len(commits) == 1
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(inbox)) == 21
    _m, props, body = channel.basic_get(consumer.dead_letter_queue, auto_ack=True)
    assert body == b"{not json" and props.headers[ATTEMPTS_HEADER] == 0


def test_a_failing_event_is_isolated_and_retried_and_the_others_are_handled_once(engine, channel, rabbitmq_url,
                                                                                 unique):
    kind, service = f"test{unique}.poison", f"test{unique}"
    runs: list[str] = []
    handlers = Handlers()

    @handlers.on(kind)
    def record(ctx):
        runs.append(ctx.event["subject"])
        if ctx.event["subject"] == "poison":
            raise RuntimeError("boom poison")
        ctx.session.execute(insert(handled).values(event_id=ctx.event["id"], subject=ctx.event["subject"]))

    consumer = EventConsumer(service, engine, inbox, handlers, rabbitmq_url, batch_size=100, max_attempts=3,
                             retry_delay_ms=100)
    declare_queues(channel, service, [kind], consumer.retry_delay_ms)
    events = [new_event(kind, "/test", "poison" if i == 3 else f"s{i}", {}) for i in range(10)]
    for e in events:
        publish(channel, dumps(e), kind)
    with Running(consumer):
        wait_for(lambda: depth(channel, consumer.dead_letter_queue) == 1, 30, message="the poison dead-lettered")
        wait_for(lambda: depth(channel, consumer.queue) == 0, message="queue drained")
    assert subjects(engine) == [f"s{i}" for i in range(10) if i != 3]  # once each, in order
    # Once per delivery: its failure in the batch counts as its first attempt, not run again alone.
    assert runs.count("poison") == 3
    _m, props, _body = channel.basic_get(consumer.dead_letter_queue, auto_ack=True)
    assert props.headers[ATTEMPTS_HEADER] == 3


CRASHING_CONSUMER = """
import sys
from minilok_shared.db import make_engine
from test_consumer_batches import EventConsumer, inbox, recording
url, kind, service, rabbitmq_url = sys.argv[1:]
EventConsumer(service, make_engine(url), inbox, recording(kind), rabbitmq_url, batch_size=100).run_forever()
"""


def test_a_crash_between_commit_and_ack_handles_nothing_twice(engine, channel, database_url, rabbitmq_url, unique,
                                                              tmp_path):
    kind, service = f"test{unique}.crash", f"test{unique}"
    declare_queues(channel, service, [kind], 5000)
    events = [new_event(kind, "/test", f"s{i}", {}) for i in range(30)]
    for e in events:
        publish(channel, dumps(e), kind)
    env = {**os.environ, "MINILOK_FAULTS": f"consumer.after_commit:{kind}", "MINILOK_FAULTS_DIR": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([os.path.dirname(__file__), os.path.dirname(os.path.dirname(__file__))])}
    crashed = subprocess.run([sys.executable, "-c", CRASHING_CONSUMER, str(engine.url.render_as_string(False)), kind,
                              service, rabbitmq_url], env=env, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    assert subjects(engine) == [f"s{i}" for i in range(30)]  # committed, never acked
    consumer = EventConsumer(service, engine, inbox, recording(kind), rabbitmq_url)
    with Running(consumer):
        wait_for(lambda: depth(channel, consumer.queue) == 0, message="redelivered batch acked")
    assert subjects(engine) == [f"s{i}" for i in range(30)]


def test_a_batch_is_held_while_the_database_is_down_and_nothing_is_redelivered(engine, channel, rabbitmq_url,
                                                                                unique):
    kind, service = f"test{unique}.dbdown", f"test{unique}"
    outage = {"left": 2}
    redelivered: list[bool] = []
    handlers = recording(kind)

    @handlers.on(kind)
    def database_down(ctx):
        if outage["left"]:
            outage["left"] -= 1
            raise OperationalError("INSERT ...", {}, ConnectionRefusedError("connection refused"))

    consumer = EventConsumer(service, engine, inbox, handlers, rabbitmq_url, batch_size=100)
    on_message = consumer.on_message
    consumer.on_message = lambda ch, method, props, body: (redelivered.append(method.redelivered),
                                                           on_message(ch, method, props, body))
    declare_queues(channel, service, [kind], consumer.retry_delay_ms)
    for i in range(10):
        publish(channel, dumps(new_event(kind, "/test", f"s{i}", {})), kind)
    with Running(consumer):
        wait_for(lambda: len(subjects(engine)) == 10, message="handled once the database is back")
        wait_for(lambda: depth(channel, consumer.queue) == 0, message="queue drained")
    assert subjects(engine) == [f"s{i}" for i in range(10)]
    assert redelivered == [False] * 10  # held, not requeued
    assert depth(channel, consumer.retry_queue) == 0 and depth(channel, consumer.dead_letter_queue) == 0
