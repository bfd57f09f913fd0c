"""Helpers for integration and end-to-end tests: databases, free ports, real processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pika
from minilok_shared.events.consumer import queue_names
from sqlalchemy import create_engine, text

RUN_ID = uuid.uuid4().hex[:10]
PG_ADMIN_URL = os.environ.get("MINILOK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BIN = Path(sys.executable).parent


def backend() -> str:
    return os.environ.get("MINILOK_TEST_DB", "sqlite")


def database_url_factory(tmp_path: Path):
    created: list[str] = []

    def make(service: str) -> str:
        if backend() == "postgresql":
            name = f"minilok_test_{service}_{uuid.uuid4().hex[:10]}"
            engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            engine.dispose()
            created.append(name)
            return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        return f"sqlite:///{tmp_path / f'{service}-{uuid.uuid4().hex[:6]}.db'}"

    def cleanup() -> None:
        if not created:
            return
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

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
