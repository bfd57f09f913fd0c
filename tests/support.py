"""Helpers for integration and end-to-end tests: databases, free ports, real processes."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import pika
from minilok_shared.db import make_engine
from minilok_shared.events import EXCHANGE
from minilok_shared.events.consumer import queue_names
from sqlalchemy import create_engine, text

RUN_ID = uuid.uuid4().hex[:10]
PG_ADMIN_URL = os.environ.get("MINILOK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BIN = Path(sys.executable).parent


def backend() -> str:
    return os.environ.get("MINILOK_TEST_DB", "sqlite")


_admin_engine = None
_dropper = None


def _admin():
    global _admin_engine
    if _admin_engine is None:
        _admin_engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_size=2)
    return _admin_engine


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


class _Templates:
    """One database per service migrated to head once per run (and per process), then copied for
    each test that asks for a migrated database: `CREATE DATABASE ... TEMPLATE` on PostgreSQL, a
    file copy on SQLite. Alembic still runs on the copy (a no-op at head), as every process does."""

    def __init__(self):
        self.lock = threading.Lock()
        self.made: dict[tuple[str, str], str] = {}

    def get(self, service: str, directory: Path) -> str:
        key = (backend(), service)
        with self.lock:
            if key not in self.made:
                from minilok_shared.db import upgrade
                from minilok_shared.service import get_service

                spec = get_service(service)
                if backend() == "postgresql":
                    name = f"minilok_tmpl_{service}_{RUN_ID}_{os.getpid()}"
                    with _admin().connect() as conn:
                        conn.execute(text(f'CREATE DATABASE "{name}"'))
                    _dropper_thread().templates.append(name)
                    upgrade(spec.migrations, _pg_url(name), service)
                    # A template must have no other connection while it is copied.
                    with _admin().connect() as conn:
                        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
                    self.made[key] = name
                else:
                    directory.mkdir(parents=True, exist_ok=True)
                    path = directory / f"template-{service}.db"
                    url = f"sqlite:///{path}"
                    upgrade(spec.migrations, url, service)
                    conn = sqlite3.connect(path, isolation_level=None)
                    try:  # one self-contained file, no -wal beside it
                        conn.execute("PRAGMA journal_mode=DELETE")
                    finally:
                        conn.close()
                    self.made[key] = str(path)
            return self.made[key]


_templates = _Templates()


class _Dropper(threading.Thread):
    """Drops a test's PostgreSQL databases off the test's path: DROP DATABASE waits for a
    checkpoint, which under load took up to 6 s each (three per test for the e2e system). The
    session waits for the queue to drain at its end (`drain`)."""

    def __init__(self):
        super().__init__(daemon=True, name="minilok-test-dropper")
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.templates: list[str] = []

    def run(self):
        while (name := self.queue.get()) is not None:
            with contextlib.suppress(Exception):
                with _admin().connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.queue.task_done()
        self.queue.task_done()

    def drain(self) -> None:
        for name in self.templates:
            self.queue.put(name)
        self.templates = []
        self.queue.put(None)
        self.queue.join()


def _dropper_thread() -> _Dropper:
    global _dropper
    if _dropper is None or not _dropper.is_alive():
        _dropper = _Dropper()
        _dropper.start()
    return _dropper


def drain_dropped_databases() -> None:
    """At the end of a session: drop what is still queued (and the templates), then return."""
    global _dropper
    if _dropper is not None and _dropper.is_alive():
        _dropper.drain()
        _dropper.join(60)
    _dropper = None
    shutil.rmtree(Path(tempfile.gettempdir()) / f"minilok-test-{RUN_ID}", ignore_errors=True)


def database_url_factory(tmp_path: Path):
    """`make(service)`: an empty database; `make(service, migrated=True)`: one at the service's
    latest schema, copied from a per-run template (the same schema Alembic would build)."""
    created: list[str] = []

    def make(service: str, migrated: bool = False) -> str:
        if backend() == "postgresql":
            name = f"minilok_test_{service}_{uuid.uuid4().hex[:10]}"
            template = f' TEMPLATE "{_templates.get(service, tmp_path)}"' if migrated else ""
            with _admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
            created.append(name)
            return _pg_url(name)
        path = tmp_path / f"{service}-{uuid.uuid4().hex[:6]}.db"
        if migrated:
            shutil.copyfile(_templates.get(service, Path(tempfile.gettempdir()) / f"minilok-test-{RUN_ID}"), path)
        return f"sqlite:///{path}"

    def cleanup() -> None:
        dropper = _dropper_thread()
        for name in created:
            dropper.queue.put(name)

    return make, cleanup


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")


class Processes:
    """Start real `minilok` processes as users do; stop (or kill -9) them; always clean up."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(
            [str(BIN / "minilok"), *args],
            env={**self.env, **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def kill9(self, name: str) -> None:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop(self, name: str, timeout: float = 15) -> int:
        proc = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            raise

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop_all(self, timeout: float = 10) -> None:
        """SIGTERM every process group at once, then wait for them under one deadline (one at a
        time, a teardown took the sum of their shutdowns); SIGKILL what is left of each group."""
        procs, self.procs = self.procs, {}
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the leader hung, or left children behind
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(10)

    def wait_http(self, url: str, timeout: float = 60) -> None:
        wait_for(lambda: httpx.get(url, timeout=1).status_code == 200, timeout, message=url)


def purge_queues(rabbitmq_url: str, services) -> None:
    """Empty the services' main queues in the test run's vhost: events that earlier tests published
    (or left unacked when their consumers stopped) must not reach this test's databases."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    try:
        for service in services:
            channel = connection.channel()
            try:
                channel.queue_purge(queue_names(service, 5000)[0])  # the retry delay names only the retry queue
            except pika.exceptions.ChannelClosedByBroker:  # not declared yet: nothing to drop
                pass
    finally:
        connection.close()


class Running:
    """An EventConsumer on a thread of the test, consuming until the block ends."""

    def __init__(self, consumer):
        self.consumer = consumer
        self.thread = threading.Thread(target=consumer.run_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        assert self.consumer.ready.wait(20), "consumer not ready"
        return self.consumer

    def __exit__(self, *_exc):
        self.consumer.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


def engine_with_tables(url: str, metadata):
    """A fixture's body (`yield from`): an engine on `url` with `metadata`'s tables created,
    disposed after the test."""
    engine = make_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def amqp_channel(rabbitmq_url: str, declare_exchange: bool = False):
    """A fixture's body (`yield from`): a channel on its own connection (with the events' topic
    exchange declared if asked), closed after the test."""
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq_url))
    channel = connection.channel()
    if declare_exchange:
        channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    yield channel
    connection.close()
