"""Transactional outbox: an event row is written in the same transaction as the change that
caused it; the relay publishes committed rows to RabbitMQ and marks them sent. On PostgreSQL the
writing transaction also NOTIFYs, so an idle relay wakes at its commit instead of at its next poll."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pika
from pika.exceptions import AMQPError
from sqlalchemy import Column, Engine, Index, MetaData, String, Table, Text, event, insert, select, update
from sqlalchemy.orm import Session

from minilok_shared.db import BigId, LeaderLock, UTCDateTime, utcnow
from minilok_shared.events import EXCHANGE
from minilok_shared.events.broker import close_quietly, open_channel
from minilok_shared.events.envelope import CONTENT_TYPE, dumps, new_event
from minilok_shared.faults import crash_point
from minilok_shared.health import Heartbeat, check_rabbitmq
from minilok_shared.logs import event_context
from minilok_shared.metrics import EVENTS_PUBLISHED

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    table = Table(
        "outbox",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(100), nullable=False),
        Column("subject", String(100), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime, nullable=True),
    )
    # The relay reads only unpublished rows, in order; a partial index keeps that read small
    # however large the table grows.
    Index(
        "ix_outbox_pending",
        table.c.id,
        postgresql_where=table.c.published_at.is_(None),
        sqlite_where=table.c.published_at.is_(None),
    )
    return table


_PENDING = "minilok_outbox_pending"


def notify_channel(table: Table) -> str:
    """The PostgreSQL channel a transaction that wrote rows into `table` notifies (at its commit)."""
    return f"minilok_{table.name}"


def wake_relay(connection, table: Table) -> None:
    """After writing rows into `table` by any means (insert, COPY): on PostgreSQL, NOTIFY its
    channel. Delivered to the listening relay when this transaction commits, never before (and not
    at all on a rollback); several in one transaction arrive as one."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"NOTIFY {notify_channel(table)}")


class Outbox:
    """Writes events into a service's outbox inside the caller's transaction.

    Rows are buffered on the session and written in one executemany INSERT just before the
    session flushes or commits, so emitting many events costs one round trip, not one each
    (and does not force a flush of the caller's pending changes per event).
    """

    def __init__(self, table: Table, source: str):
        self.table, self.source = table, source

    def add(
        self,
        session: Session,
        type: str,
        subject: str | int,
        data: dict[str, Any],
        **extensions: Any,
    ) -> dict[str, Any]:
        event = new_event(type, self.source, subject, data, **extensions)
        row = {"event_id": event["id"], "type": type, "subject": str(subject), "body": dumps(event).decode(),
               "created_at": utcnow()}
        session.info.setdefault(_PENDING, []).append((self.table, row))
        return event


def write_pending(session: Session) -> None:
    """Write the outbox rows buffered on the session (its flush and commit do it by themselves)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    by_table: dict[Table, list[dict[str, Any]]] = {}
    for table, row in pending:
        by_table.setdefault(table, []).append(row)
    connection = session.connection()
    for table, rows in by_table.items():
        connection.execute(insert(table), rows)
        wake_relay(connection, table)


@event.listens_for(Session, "before_flush")
def _before_flush(session, _flush_context, _instances):
    write_pending(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    write_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, _previous_transaction):
    session.info.pop(_PENDING, None)


class OutboxListener:
    """PostgreSQL only: a connection of its own that LISTENs on the outbox's channel, so that the
    relay wakes as soon as a transaction that wrote outbox rows commits. The relay's poll stays
    as the fallback (a notification lost with a broken connection costs one poll interval)."""

    def __init__(self, engine: Engine, table: Table):
        self.engine, self.channel = engine, notify_channel(table)
        self._connection = None

    def open(self) -> None:
        """Listen from now on: called before the relay's first read, so no commit falls between."""
        self.close()
        raw = self.engine.raw_connection()
        connection = raw.driver_connection
        raw.detach()  # LISTEN belongs to this one session; it must never go back to the pool
        connection.autocommit = True
        connection.execute(f"LISTEN {self.channel}")
        self._connection = connection

    def wait(self, timeout: float) -> bool:
        """Until a notification or `timeout` seconds; True if one came."""
        if self._connection is None:
            self.open()
        return any(True for _ in self._connection.notifies(timeout=timeout, stop_after=1))

    def drain(self) -> None:
        """Drop the notifications already here: the next read of the outbox sees their rows."""
        for _ in self._connection.notifies(timeout=0):
            pass

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a broken connection has nothing left to close
                pass


def declare_exchange(channel) -> None:
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)


class OutboxRelay:
    """Publishes pending outbox rows, oldest first, a batch per AMQP transaction.

    Only the leader publishes (several relays may run for availability), which keeps events of
    one subject in commit order. Idle, it waits for the next commit's NOTIFY (PostgreSQL) or its
    poll interval, whichever comes first; on SQLite it polls. A row is marked sent only after
    RabbitMQ took its batch, so a crash in between republishes it with the same event id, and
    consumers' inboxes drop the copy.
    """

    def __init__(self, engine: Engine, table: Table, rabbitmq_url: str, service: str,
                 batch_size: int = 500, poll_seconds: float = 0.1, gather_seconds: float = 0.05,
                 declare_topology: Callable[[Any], None] | None = None):
        self.engine, self.table = engine, table
        # Declares the consumers' queues before the first publish, so that no event is dropped
        # as unroutable on a fresh broker where no consumer has started yet.
        self.declare_topology = declare_topology
        self.rabbitmq_url, self.service = rabbitmq_url, service
        self.batch_size, self.poll_seconds = batch_size, poll_seconds
        # Woken by a commit, the relay still publishes at most once per `gather_seconds`: commits
        # close together go out as one batch (one AMQP transaction, one consumer batch, one Celery
        # task downstream) instead of one each, for at most this much added latency.
        self.gather_seconds = min(gather_seconds, poll_seconds)
        self._published_at = 0.0
        self.leader = LeaderLock(engine, f"minilok-relay-{service}")
        self.stopping = threading.Event()
        self._connection = None
        self._channel = None
        self._listener = OutboxListener(engine, table) if engine.dialect.name == "postgresql" else None
        # Read by the health endpoint's thread, written only by run_forever's loop.
        self.heartbeat = Heartbeat()
        self.leading = False
        self.broker_state = "error: not connected yet"

    def stop(self, *_args) -> None:
        self.stopping.set()

    def broker_check(self) -> str:
        """The leader's own connection; a standby relay has none, so it checks that RabbitMQ is
        reachable (it must be able to take over)."""
        return self.broker_state if self.leading else check_rabbitmq(self.rabbitmq_url)

    def _connect(self) -> None:
        self._connection, self._channel = open_channel(self.rabbitmq_url)
        # A batch is published inside an AMQP transaction: tx_commit returns once the broker has
        # routed and stored every message of the batch (one round trip per batch, instead of
        # one confirm per message).
        self._channel.tx_select()
        declare_exchange(self._channel)
        if self.declare_topology is not None:
            self.declare_topology(self._channel)
        if self._listener is not None:
            self._listener.open()
        self.broker_state = "ok"
        log.info("relay connected to RabbitMQ", extra={"service": self.service})

    def _disconnect(self, reason: str = "not connected") -> None:
        self.broker_state = f"error: {reason}"
        close_quietly(self._connection)
        self._connection = self._channel = None
        if self._listener is not None:
            self._listener.close()

    def _wait_for_rows(self) -> None:
        """Idle or a partial batch: until the next commit that wrote outbox rows (PostgreSQL) or
        the poll interval, keeping the AMQP heartbeat alive."""
        if self._listener is None:
            self._connection.process_data_events(time_limit=self.poll_seconds)
            return
        if not self._listener.wait(self.poll_seconds):
            self._connection.process_data_events(time_limit=0)
            return
        rest = self.gather_seconds - (time.monotonic() - self._published_at)
        self._connection.process_data_events(time_limit=max(rest, 0))
        # Commits notified while gathering are read now, not by a second, empty wake-up.
        self._listener.drain()

    def publish_pending(self) -> int:
        """Publish one batch; returns how many rows were published."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(self.table.c.id, self.table.c.event_id, self.table.c.type, self.table.c.body)
                .where(self.table.c.published_at.is_(None))
                .order_by(self.table.c.id)
                .limit(self.batch_size)
            ).all()
            conn.rollback()
        if not rows:
            return 0
        self._published_at = time.monotonic()
        for row in rows:
            with event_context(row.event_id):
                self._channel.basic_publish(
                    EXCHANGE,
                    row.type,
                    row.body.encode(),
                    pika.BasicProperties(
                        content_type=CONTENT_TYPE,
                        delivery_mode=pika.DeliveryMode.Persistent,
                        message_id=row.event_id,
                        type=row.type,
                    ),
                )
        self._channel.tx_commit()
        crash_point("relay.after_publish")
        # Marked only after the broker took the whole batch: a crash before this line publishes
        # the batch again, with the same event ids, and the consumers' inboxes drop the copies.
        with self.engine.begin() as conn:
            conn.execute(update(self.table).where(self.table.c.id.in_([r.id for r in rows])).values(
                published_at=utcnow()))
        for row in rows:
            EVENTS_PUBLISHED.labels(self.service, row.type).inc()
        return len(rows)

    def run_forever(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            self.heartbeat.beat()
            try:
                self.leading = self.leader.try_acquire()
                if not self.leading:
                    self.stopping.wait(1.0)
                    continue
                if self._channel is None:
                    self._connect()
                    backoff = 0.5
                sent = self.publish_pending()
                if sent < self.batch_size:
                    self._wait_for_rows()
                    if not self.leader.held():
                        continue
            except AMQPError as exc:
                log.warning("relay lost RabbitMQ (%s); reconnecting in %.1fs", exc, backoff)
                self._disconnect(type(exc).__name__)
                self.heartbeat.wait(self.stopping, backoff)
                backoff = min(backoff * 2, 30)
            except Exception as exc:  # database unavailable and the like: retry, never die
                log.exception("relay error (%s); retrying in %.1fs", exc, backoff)
                self._disconnect(f"not connected after {type(exc).__name__}")
                self.heartbeat.wait(self.stopping, backoff)
                backoff = min(backoff * 2, 30)
        self._disconnect()
        self.leader.release()
        log.info("relay stopped", extra={"service": self.service})


def wait_until_published(engine: Engine, table: Table, timeout: float = 10.0) -> bool:
    """For tests and demos: True once every outbox row has been published."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(select(table.c.id).where(table.c.published_at.is_(None)).limit(1)).first() is None:
                return True
        time.sleep(0.05)
    return False
