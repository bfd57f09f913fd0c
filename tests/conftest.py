"""Test infrastructure shared by every layer.

Each test session gets its own RabbitMQ vhost and Redis key prefix, so that several runs (and
the processes they start) never see each other's events or tasks. Databases are SQLite files or
fresh PostgreSQL databases (empty, or copied from a migrated template), chosen by
MINILOK_TEST_DB=sqlite|postgresql (default sqlite).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid

import pytest
from support import RUN_ID, database_url_factory, drain_dropped_databases

TEST_SECRET = "minilok-test-secret-0123456789abcdef0123456789"
VHOST = f"minilok-test-{RUN_ID}"


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def pytest_configure(config):
    os.environ["MINILOK_SECRET"] = TEST_SECRET
    os.environ["REDIS_KEY_PREFIX"] = f"test-{RUN_ID}:"
    os.environ["LOG_FORMAT"] = "text"
    os.environ.setdefault("MINILOK_TEST_DB", "sqlite")
    # Evidence uploaded by any test (and the processes e2e tests start) stays out of the repository's var/.
    os.environ.setdefault("MEETINGS_EVIDENCE_DIR", tempfile.mkdtemp(prefix=f"minilok-test-evidence-{RUN_ID}-"))
    if not os.environ.get("MINILOK_TEST_RABBITMQ_URL"):
        # One vhost per run (created lazily by the `rabbitmq_url` fixture).
        os.environ["RABBITMQ_URL"] = f"amqp://guest:guest@127.0.0.1:5672/{VHOST}"
    else:
        os.environ["RABBITMQ_URL"] = os.environ["MINILOK_TEST_RABBITMQ_URL"]


def pytest_sessionfinish(session, exitstatus):
    drain_dropped_databases()  # the PostgreSQL databases of the last tests, and the templates


_vhost_created = False


@pytest.fixture(scope="session")
def rabbitmq_url():
    """A RabbitMQ vhost of this test run, deleted at the end."""
    global _vhost_created
    if not os.environ.get("MINILOK_TEST_RABBITMQ_URL"):
        _rabbitmqctl("add_vhost", VHOST)
        _rabbitmqctl("set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*")
        _vhost_created = True
    yield os.environ["RABBITMQ_URL"]
    if _vhost_created:
        _rabbitmqctl("delete_vhost", VHOST)


@pytest.fixture
def database_url(tmp_path):
    """A fresh database per test for a service: `database_url("meetings")` is empty,
    `database_url("meetings", migrated=True)` is at the latest schema (copied from a template
    migrated once per run). PostgreSQL databases are dropped after the test, off its path."""
    make, cleanup = database_url_factory(tmp_path)
    yield make
    cleanup()


@pytest.fixture
def unique():
    return uuid.uuid4().hex[:8]
