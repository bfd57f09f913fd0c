"""MINILOK_QUEUE_TYPE=quorum on the local RabbitMQ: every queue of a consumer is a quorum queue,
events are handled, a failing one comes back through the retry queue and a poison one ends in the
dead-letter queue, as with classic queues; the classic queues of the same service live beside them."""

from __future__ import annotations

import subprocess
import threading
import uuid

import pika
import pytest
from minilok_shared.db import new_metadata
from minilok_shared.events import EXCHANGE
from minilok_shared.events.consumer import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    EventConsumer,
    Handlers,
    declare_queues,
    inbox_table,
    queue_names,
)
from minilok_shared.events.envelope import dumps, new_event
from sqlalchemy import Column, Integer, String, Table, insert, select
from support import engine_with_tables, wait_for

metadata = new_metadata()
inbox = inbox_table(metadata)
handled = Table("handled", metadata, Column("id", Integer, primary_key=True), Column("subject", String(50)))


def rabbitmqctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def vhost_url():
    name = f"minilok-quorum-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", name)
    rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    yield name, f"amqp://guest:guest@127.0.0.1:5672/{name}"
    rabbitmqctl("delete_vhost", name)


@pytest.fixture
def engine(database_url):
    yield from engine_with_tables(database_url("quorum"), metadata)


def queue_types(vhost: str) -> dict[str, str]:
    lines = rabbitmqctl("list_queues", "-p", vhost, "--no-table-headers", "name", "type").splitlines()
    return dict(line.split("\t") for line in lines if line.strip())


def test_quorum_queues_handle_retry_and_dead_letter(engine, vhost_url):
    vhost, url = vhost_url
    tries: dict[str, int] = {}
    handlers = Handlers()

    @handlers.on("followup.created")
    def record(ctx):
        subject = ctx.event["subject"]
        tries[subject] = tries.get(subject, 0) + 1
        if subject == "poison" or (subject == "flaky" and tries[subject] < 2):
            raise RuntimeError(f"boom {subject}")
        ctx.session.execute(insert(handled).values(subject=subject))

    consumer = EventConsumer("notifications", engine, inbox, handlers, url, max_attempts=3, retry_delay_ms=100,
                             queue_type="quorum")
    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    # The classic queues of the same service may already exist: the quorum ones have other names.
    declare_queues(channel, "notifications", ["followup.created"], 100)
    thread = threading.Thread(target=consumer.run_forever, daemon=True)
    thread.start()
    try:
        assert consumer.ready.wait(20), "consumer not ready"
        for subject in ("a", "flaky", "poison", "b"):
            channel.basic_publish(EXCHANGE, "followup.created", dumps(new_event("followup.created", "/m", subject, {})),
                                  pika.BasicProperties(delivery_mode=2))

        def subjects():
            with engine.connect() as conn:
                return sorted(conn.scalars(select(handled.c.subject)))

        wait_for(lambda: subjects() == ["a", "b", "flaky"], 30, message="good and flaky handled")
        wait_for(lambda: channel.queue_declare(consumer.dead_letter_queue, passive=True).method.message_count == 1,
                 30, message="the poison dead-lettered")
    finally:
        consumer.stop()
        thread.join(10)
    _m, props, _b = channel.basic_get(consumer.dead_letter_queue, auto_ack=True)
    connection.close()
    assert props.headers[ERROR_HEADER].startswith("RuntimeError: boom poison")
    # Handled rows once each (above); a handler may run again after its batch was rolled back.
    assert props.headers[ATTEMPTS_HEADER] == 3 and tries["poison"] == 3
    types = queue_types(vhost)
    for name in queue_names("notifications", 100, "quorum"):
        assert name.startswith("minilok.notifications.quorum") and types[name] == "quorum"
    for name in queue_names("notifications", 100):
        assert types[name] == "classic"


def test_an_unknown_queue_type_is_refused_by_name():
    with pytest.raises(ValueError, match="MINILOK_QUEUE_TYPE"):
        queue_names("notifications", 100, "stream")
