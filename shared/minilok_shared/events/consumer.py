"""The consumer every service runs: a durable queue bound to the event types it handles, an
inbox so that a redelivered event id is handled once, delayed retries, and a dead-letter queue.

Flow, a batch at a time (up to `batch_size` messages; a batch closes early once no message came
for `quiet_seconds`, and at the latest after `linger_seconds`):
parse each CloudEvent (invalid ones are dead-lettered) → in one transaction, one inbox insert for
the batch and the handlers of its new events in delivery order → commit → one ack for the batch.
If a handler fails, the transaction is rolled back and the batch is handled again one message per
transaction, so only the failing event is retried or dead-lettered. A crash before the commit
redelivers the batch and it runs again from scratch; a crash after the commit but before the ack
redelivers it and the inbox drops it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
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


class Batch:
    """The transaction a batch of events is handled in, shared by their handlers: work they gather
    event by event and do once before the commit (one multi-row insert), and what runs after it."""

    def __init__(self, session: Session):
        self.session = session
        self._gathered: dict[Callable[[Batch, list], None], list] = {}
        self._after_commit: list[Callable[[], None]] = []

    def gather(self, flush: Callable[[Batch, list], None], items: list) -> None:
        """`flush(batch, items)` runs once before the commit with every event's items, in order."""
        self._gathered.setdefault(flush, []).extend(items)

    def after_commit(self, fn: Callable[[], None]) -> None:
        self._after_commit.append(fn)

    def flush(self) -> None:
        while self._gathered:
            flush = next(iter(self._gathered))
            flush(self, self._gathered.pop(flush))

    def run_after_commit(self) -> None:
        for fn in self._after_commit:
            try:
                fn()
            except Exception:
                # The committed state is the truth; periodic sweeps pick up what this missed.
                log.exception("after-commit action failed")


@dataclass
class HandlerContext:
    session: Session
    event: dict[str, Any]
    batch: Batch | None = None

    def __post_init__(self) -> None:
        if self.batch is None:
            self.batch = Batch(self.session)

    @property
    def data(self) -> dict[str, Any]:
        return self.event.get("data") or {}

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run `fn` once the handler's transaction has committed (e.g. enqueue a Celery task)."""
        self.batch.after_commit(fn)


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


QUEUE_TYPES = ("classic", "quorum")
# Quorum queues count redeliveries (a consumer that dies on a message, or a requeue): past this,
# the broker dead-letters the message instead of handing it out forever.
QUORUM_DELIVERY_LIMIT = 20


def queue_names(service: str, retry_delay_ms: int, queue_type: str = "classic") -> tuple[str, str, str]:
    """The service's queue, its delayed-retry queue and its dead-letter queue. The delay is in
    the retry queue's name: a queue's TTL cannot change once declared. Quorum queues carry
    `.quorum` in their names, so switching type never meets a queue of the other kind."""
    if queue_type not in QUEUE_TYPES:
        raise ValueError(f"MINILOK_QUEUE_TYPE must be one of {', '.join(QUEUE_TYPES)}, not {queue_type!r}")
    queue = f"minilok.{service}" + (".quorum" if queue_type == "quorum" else "")
    return queue, f"{queue}.retry.{retry_delay_ms}ms", f"{queue}.dlq"


def declare_queues(channel, service: str, bindings: list[str], retry_delay_ms: int,
                   queue_type: str = "classic") -> None:
    """Declare (idempotently) a consuming service's queues and bind them to the exchange."""
    queue, retry_queue, dead_letter_queue = queue_names(service, retry_delay_ms, queue_type)
    kind: dict[str, Any] = {}
    if queue_type == "quorum":
        # At-least-once dead-lettering (quorum only): a retry moves back to the main queue, and a
        # message over the delivery limit to the dead-letter queue, without a window to lose it.
        kind = {"x-queue-type": "quorum", "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
    declare_exchange(channel)
    channel.queue_declare(dead_letter_queue, durable=True, arguments=({"x-queue-type": "quorum"} if kind else None))
    channel.queue_declare(retry_queue, durable=True, arguments={
        **kind, "x-message-ttl": retry_delay_ms, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": queue})
    channel.queue_declare(queue, durable=True, arguments={
        **kind, **({"x-delivery-limit": QUORUM_DELIVERY_LIMIT} if kind else {}),
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
        batch_size: int = 100,
        linger_seconds: float = 0.02,
        quiet_seconds: float = 0.002,
        queue_type: str = "classic",
    ):
        self.service, self.engine, self.inbox, self.handlers = service, engine, inbox, handlers
        self.rabbitmq_url = rabbitmq_url
        self.prefetch, self.max_attempts, self.retry_delay_ms = prefetch, max_attempts, retry_delay_ms
        self.batch_size, self.linger_seconds, self.queue_type = max(1, batch_size), linger_seconds, queue_type
        # A quiet queue (nothing more within this gap) flushes at once instead of waiting out the
        # linger: at a low rate an event pays ~2 ms, not 20; under load messages stream in well
        # within the gap, so batches still fill up.
        self.quiet_seconds = min(quiet_seconds, linger_seconds)
        self.queue, self.retry_queue, self.dead_letter_queue = queue_names(service, retry_delay_ms, queue_type)
        self.stopping = threading.Event()
        self.ready = threading.Event()  # set once the queue is bound and consuming
        self._connection = None
        self._channel = None
        # Messages delivered and not yet handled, (method, properties, body) in delivery order.
        self._pending: list[tuple] = []
        self._pending_since = 0.0
        # Read by the health endpoint's thread, written only by run_forever's loop.
        self.heartbeat = Heartbeat()
        self._broker_error = "not connected yet"

    # --- topology ------------------------------------------------------------------------

    def declare(self, channel) -> None:
        declare_queues(channel, self.service, self.handlers.bindings, self.retry_delay_ms, self.queue_type)

    # --- handling ------------------------------------------------------------------------

    def handle(self, event: dict[str, Any]) -> str:
        """Run the handlers for one event in one transaction; 'handled' or 'duplicate'."""
        return self.handle_batch([event])[0]

    def handle_batch(self, events: list[dict[str, Any]], failed_at: list[int] | None = None) -> list[str]:
        """Run the handlers of `events` in one transaction, in order; 'handled' or 'duplicate' for
        each. If any handler raises, nothing is written, the exception propagates and `failed_at`
        gets the index of the event whose handler raised."""
        routes = [self.handlers.for_type(event["type"]) for event in events]
        for event, handlers in zip(events, routes, strict=True):
            if not handlers:
                raise InvalidEvent(f"no handler for event type {event['type']!r}")
        now = utcnow()
        rows = {e["id"]: {"consumer": self.service, "event_id": e["id"], "event_type": e["type"], "handled_at": now}
                for e in events}
        outcomes = []
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            batch = Batch(session)
            new = set(session.scalars(
                insert_on_conflict(self.engine, self.inbox).on_conflict_do_nothing().returning(self.inbox.c.event_id),
                list(rows.values())))
            for index, event in enumerate(events):
                if event["id"] not in new:
                    outcomes.append("duplicate")
                    continue
                new.discard(event["id"])  # a second copy within the batch is a duplicate too
                ctx = HandlerContext(session, event, batch)
                with event_context(event["id"]):
                    try:
                        for handler in routes[index]:
                            handler(ctx)
                    except Exception:
                        if failed_at is not None:
                            failed_at.append(index)
                        raise
                outcomes.append("handled")
            batch.flush()
        batch.run_after_commit()
        return outcomes

    def on_message(self, channel, method, properties, body: bytes) -> None:
        """Only collects: the loop handles what arrived once a batch is full or has lingered."""
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending.append((method, properties, body))

    def _batch_due(self) -> bool:
        return bool(self._pending) and (len(self._pending) >= self.batch_size
                                        or time.monotonic() - self._pending_since >= self.linger_seconds)

    def _handle_pending(self) -> None:
        messages, self._pending = self._pending[:self.batch_size], self._pending[self.batch_size:]
        self._pending_since = time.monotonic()
        valid: list[tuple[tuple, dict[str, Any]]] = []
        for message in messages:
            event = self._parse_or_dead_letter(*message)
            if event is not None:
                valid.append((message, event))
        events = [event for _m, event in valid]
        failed_at: list[int] = []
        try:
            outcomes = self.handle_batch(events, failed_at) if events else []
        except (OperationalError, DBAPIError) as exc:
            if exc.connection_invalidated or isinstance(exc, OperationalError):
                # Our own database is down: not the events' fault. Keep the batch unacked and try
                # it again after a pause: no requeue, so no redelivery counts against a quorum
                # queue's delivery limit, and the order stays.
                log.warning("database unavailable (%s); holding %d event(s)", exc.orig, len(events))
                held = {id(message) for message, _e in valid}
                for message in messages:
                    if id(message) not in held:
                        self._channel.basic_ack(message[0].delivery_tag)  # dead-lettered above
                self._pending[:0] = [message for message, _e in valid]
                for event in events:
                    EVENTS_CONSUMED.labels(self.service, event["type"], "held").inc()
                self.stopping.wait(1.0)
                return
            self._one_by_one(messages, valid, failed_at, exc)
            return
        except Exception as exc:
            self._one_by_one(messages, valid, failed_at, exc)
            return
        for (_message, event), outcome in zip(valid, outcomes, strict=True):
            EVENTS_CONSUMED.labels(self.service, event["type"], outcome).inc()
            with event_context(event["id"]):
                log.info("event %s %s", event["type"], outcome)
            if outcome == "handled":
                crash_point("consumer.after_commit", event["type"])
        self._channel.basic_ack(messages[-1][0].delivery_tag, multiple=True)

    def _one_by_one(self, messages: list[tuple], valid: list[tuple[tuple, dict[str, Any]]], failed_at: list[int],
                    failure: Exception) -> None:
        """The batch failed: each event in a transaction of its own, so only the failing one is
        retried or dead-lettered (the invalid ones already are). The event whose handler raised
        takes that failure as its attempt instead of running again."""
        events = {id(message): (index, event) for index, (message, event) in enumerate(valid)}
        for message in messages:
            if id(message) in events:
                index, event = events[id(message)]
                self._handle_one(*message, event, failure if index in failed_at else None)
            else:
                self._channel.basic_ack(message[0].delivery_tag)
            self.heartbeat.beat()

    def _parse_or_dead_letter(self, method, properties, body: bytes) -> dict[str, Any] | None:
        try:
            event = parse_event(body)
            if not self.handlers.for_type(event["type"]):
                raise InvalidEvent(f"no handler for event type {event['type']!r}")
            return event
        except InvalidEvent as exc:
            headers = properties.headers or {}
            self.dead_letter(body, properties, headers.get(ROUTING_KEY_HEADER, method.routing_key), str(exc),
                             int(headers.get(ATTEMPTS_HEADER, 0)))
            EVENTS_CONSUMED.labels(self.service, "invalid", "dead_lettered").inc()
            return None

    def _handle_one(self, method, properties, body: bytes, event: dict[str, Any],
                    failure: Exception | None = None) -> None:
        """One event in a transaction of its own, or, given `failure`, what its handler already
        raised; then retry, dead-letter or requeue it as the failure asks, and ack."""
        headers = properties.headers or {}
        attempts = int(headers.get(ATTEMPTS_HEADER, 0))
        routing_key = headers.get(ROUTING_KEY_HEADER, method.routing_key)
        channel = self._channel
        with event_context(event["id"]):
            try:
                if failure is not None:
                    raise failure
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
                "x-minilok-failed-at": datetime.now(UTC).isoformat(),
            },
        )

    def _retry_or_dead_letter(self, body, properties, routing_key, attempts, exc) -> str:
        attempts += 1
        reason = f"{type(exc).__name__}: {exc}"
        if attempts >= self.max_attempts:
            log.exception("handler failed on the last attempt (%d)", attempts)
            self.dead_letter(body, properties, routing_key, reason, attempts)
            return "dead_lettered"
        log.warning("handler failed (attempt %d of %d): %s", attempts, self.max_attempts, reason)
        self._republish(self.retry_queue, body, properties,
                        {ATTEMPTS_HEADER: attempts, ROUTING_KEY_HEADER: routing_key, ERROR_HEADER: reason[:1000]})
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
        # A full batch must be able to arrive at once.
        self._channel.basic_qos(prefetch_count=max(self.prefetch, self.batch_size))
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
                # Returns as soon as messages arrive; a started batch waits for more only while
                # they keep coming (the quiet gap), and at most its linger.
                waiting = len(self._pending)
                if waiting:
                    lingered = time.monotonic() - self._pending_since
                    wait = min(self.quiet_seconds, self.linger_seconds - lingered)
                else:
                    wait = 0.5
                self._connection.process_data_events(time_limit=max(wait, 0))
                quiet = waiting and len(self._pending) == waiting
                if quiet or self._batch_due():
                    self._handle_pending()
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
        self._pending = []  # delivery tags die with the channel; the broker redelivers these
        close_quietly(self._connection)
        self._connection = self._channel = None
