"""The consumer every service runs: a durable queue bound to the event types it handles, an
inbox so that a redelivered event id is handled once, delayed retries, and a dead-letter queue.

Flow for each message: parse the CloudEvent → in one transaction, record (consumer, event id) in
the inbox and run the handlers → commit → ack. A crash before the commit redelivers the event
and it runs again from scratch; a crash after the commit but before the ack redelivers it and
the inbox drops it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pika
from pika.exceptions import AMQPError
from sqlalchemy import Column, Engine, MetaData, String, Table
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from minilok_shared.db import UTCDateTime, insert_on_conflict, utcnow
from minilok_shared.events import EXCHANGE
from minilok_shared.events.broker import close_quietly, open_channel
from minilok_shared.events.envelope import InvalidEvent, parse_event
from minilok_shared.events.outbox import declare_exchange
from minilok_shared.events.topics import topic_matches
from minilok_shared.faults import crash_point
from minilok_shared.health import Heartbeat
from minilok_shared.logs import event_context
from minilok_shared.metrics import EVENTS_CONSUMED

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-minilok-attempts"
ERROR_HEADER = "x-minilok-error"
ROUTING_KEY_HEADER = "x-minilok-routing-key"


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", String(100), primary_key=True),
        Column("event_id", String(100), primary_key=True),
        Column("event_type", String(100), nullable=False),
        Column("handled_at", UTCDateTime, nullable=False),
    )


@dataclass
class HandlerContext:
    session: Session
    event: dict[str, Any]
    _after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        return self.event.get("data") or {}

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the handler's transaction has committed (e.g. enqueue a Celery task)."""
        self._after_commit.append(fn)


Handler = Callable[[HandlerContext], None]


class Handlers:
    """A service's event handlers, by routing-key pattern."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, Handler]] = []

    def on(self, *patterns: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self._routes.extend((p, fn) for p in patterns)
            return fn

        return register

    @property
    def bindings(self) -> list[str]:
        return sorted({p for p, _ in self._routes})

    def for_type(self, event_type: str) -> list[Handler]:
        return [fn for p, fn in self._routes if topic_matches(p, event_type)]


def queue_names(service: str, retry_delay_ms: int) -> tuple[str, str, str]:
    """The service's queue, its delayed-retry queue and its dead-letter queue. The delay is in
    the retry queue's name: a queue's TTL cannot change once declared."""
    queue = f"minilok.{service}"
    return queue, f"{queue}.retry.{retry_delay_ms}ms", f"{queue}.dlq"


def declare_queues(channel, service: str, bindings: list[str], retry_delay_ms: int) -> None:
    """Declare (idempotently) a consuming service's queues and bind them to the exchange."""
    queue, retry_queue, dead_letter_queue = queue_names(service, retry_delay_ms)
    declare_exchange(channel)
    channel.queue_declare(dead_letter_queue, durable=True)
    channel.queue_declare(retry_queue, durable=True, arguments={
        "x-message-ttl": retry_delay_ms, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue})
    channel.queue_declare(queue, durable=True, arguments={
        "x-dead-letter-exchange": "", "x-dead-letter-routing-key": dead_letter_queue})
    for pattern in bindings:
        channel.queue_bind(queue, EXCHANGE, routing_key=pattern)


class EventConsumer:
    def __init__(
        self,
        service: str,
        engine: Engine,
        inbox: Table,
        handlers: Handlers,
        rabbitmq_url: str,
        *,
        prefetch: int = 50,
        max_attempts: int = 5,
        retry_delay_ms: int = 5000,
    ):
        self.service, self.engine, self.inbox, self.handlers = service, engine, inbox, handlers
        self.rabbitmq_url = rabbitmq_url
        self.prefetch, self.max_attempts, self.retry_delay_ms = prefetch, max_attempts, retry_delay_ms
        self.queue, self.retry_queue, self.dead_letter_queue = queue_names(service, retry_delay_ms)
        self.stopping = threading.Event()
        self.ready = threading.Event()  # set once the queue is bound and consuming
        self._connection = None
        self._channel = None
        # Read by the health endpoint's thread, written only by run_forever's loop.
        self.heartbeat = Heartbeat()
        self._broker_error = "not connected yet"

    # --- topology ------------------------------------------------------------------------

    def declare(self, channel) -> None:
        declare_queues(channel, self.service, self.handlers.bindings, self.retry_delay_ms)

    # --- handling ------------------------------------------------------------------------

    def handle(self, event: dict[str, Any]) -> str:
        """Run the handlers for one event in one transaction; 'handled' or 'duplicate'."""
        handlers = self.handlers.for_type(event["type"])
        if not handlers:
            raise InvalidEvent(f"no handler for event type {event['type']!r}")
        ctx: HandlerContext
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            recorded = session.execute(
                insert_on_conflict(self.engine, self.inbox)
                .values(consumer=self.service, event_id=event["id"], event_type=event["type"], handled_at=utcnow())
                .on_conflict_do_nothing()
                .returning(self.inbox.c.event_id)
            ).first()
            if recorded is None:
                return "duplicate"
            ctx = HandlerContext(session, event)
            for handler in handlers:
                handler(ctx)
        for fn in ctx._after_commit:
            try:
                fn()
            except Exception:
                # The committed state is the truth; periodic sweeps pick up what this missed.
                log.exception("after-commit action failed")
        return "handled"

    def _republish(self, queue: str, body: bytes, properties, headers: dict[str, Any]) -> None:
        merged = dict(properties.headers or {})
        merged.update(headers)
        self._channel.basic_publish(
            "",
            queue,
            body,
            pika.BasicProperties(
                content_type=properties.content_type,
                delivery_mode=pika.DeliveryMode.Persistent,
                message_id=properties.message_id,
                type=properties.type,
                headers=merged,
            ),
        )

    def dead_letter(self, body: bytes, properties, routing_key: str, reason: str, attempts: int) -> None:
        log.error("dead-lettering event: %s", reason)
        self._republish(
            self.dead_letter_queue,
            body,
            properties,
            {
                ERROR_HEADER: reason[:1000],
                ATTEMPTS_HEADER: attempts,
                ROUTING_KEY_HEADER: routing_key,
                "x-minilok-failed-at": datetime.now(timezone.utc).isoformat(),
            },
        )

    def on_message(self, channel, method, properties, body: bytes) -> None:
        try:
            self._on_message(channel, method, properties, body)
        finally:
            # One process_data_events call may deliver up to `prefetch` messages: each counts.
            self.heartbeat.beat()

    def _on_message(self, channel, method, properties, body: bytes) -> None:
        headers = properties.headers or {}
        attempts = int(headers.get(ATTEMPTS_HEADER, 0))
        routing_key = headers.get(ROUTING_KEY_HEADER, method.routing_key)
        try:
            event = parse_event(body)
        except InvalidEvent as exc:
            EVENTS_CONSUMED.labels(self.service, "invalid", "dead_lettered").inc()
            self.dead_letter(body, properties, routing_key, str(exc), attempts)
            channel.basic_ack(method.delivery_tag)
            return
        with event_context(event["id"]):
            try:
                outcome = self.handle(event)
            except InvalidEvent as exc:
                outcome = "dead_lettered"
                self.dead_letter(body, properties, routing_key, str(exc), attempts)
            except (OperationalError, DBAPIError) as exc:
                if exc.connection_invalidated or isinstance(exc, OperationalError):
                    # Our own database is down: not the event's fault. Put it back and pause.
                    log.warning("database unavailable (%s); requeueing", exc.orig)
                    EVENTS_CONSUMED.labels(self.service, event["type"], "requeued").inc()
                    channel.basic_nack(method.delivery_tag, requeue=True)
                    self.stopping.wait(1.0)
                    return
                outcome = self._retry_or_dead_letter(body, properties, routing_key, attempts, exc)
            except Exception as exc:
                outcome = self._retry_or_dead_letter(body, properties, routing_key, attempts, exc)
            EVENTS_CONSUMED.labels(self.service, event["type"], outcome).inc()
            if outcome == "handled":
                crash_point("consumer.after_commit", event["type"])
            if outcome in ("handled", "duplicate"):
                log.info("event %s %s", event["type"], outcome)
            channel.basic_ack(method.delivery_tag)

    def _retry_or_dead_letter(self, body, properties, routing_key, attempts, exc) -> str:
        attempts += 1
        reason = f"{type(exc).__name__}: {exc}"
        if attempts >= self.max_attempts:
            log.exception("handler failed on the last attempt (%d)", attempts)
            self.dead_letter(body, properties, routing_key, reason, attempts)
            return "dead_lettered"
        log.warning("handler failed (attempt %d of %d): %s", attempts, self.max_attempts, reason)
        self._republish(self.retry_queue, body, properties, {ATTEMPTS_HEADER: attempts, ROUTING_KEY_HEADER: routing_key, ERROR_HEADER: reason[:1000]})
        return "retried"

    # --- lifecycle -----------------------------------------------------------------------

    def stop(self, *_args) -> None:
        self.stopping.set()

    def broker_check(self) -> str:
        """For the health endpoint: consuming, or why not (never touches the connection)."""
        return "ok" if self.ready.is_set() else f"error: {self._broker_error}"

    def connect(self) -> None:
        self._connection, self._channel = open_channel(self.rabbitmq_url)
        self._channel.confirm_delivery()
        self.declare(self._channel)
        self._channel.basic_qos(prefetch_count=self.prefetch)
        self._channel.basic_consume(self.queue, self.on_message)
        self.ready.set()
        log.info("consuming %s bound to %s", self.queue, ", ".join(self.handlers.bindings))

    def run_forever(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            self.heartbeat.beat()
            try:
                if self._channel is None:
                    self.connect()
                    backoff = 0.5
                self._connection.process_data_events(time_limit=0.5)
            except AMQPError as exc:
                log.warning("consumer lost RabbitMQ (%r); reconnecting in %.1fs", exc, backoff)
                self._close()
                self._broker_error = type(exc).__name__
                self.heartbeat.wait(self.stopping, backoff)
                backoff = min(backoff * 2, 30)
        self._close()
        log.info("consumer stopped")

    def _close(self) -> None:
        self.ready.clear()
        close_quietly(self._connection)
        self._connection = self._channel = None
