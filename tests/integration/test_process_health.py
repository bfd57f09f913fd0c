"""Health endpoints of the processes without an HTTP API (relay, consumer, Celery worker, beat):
the real `minilok` processes on the real brokers, with MINILOK_HEALTH_PORT on a free port.

Failures are made without touching the shared brokers: RabbitMQ through a vhost that does not
exist, Redis through a port where nothing listens.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from minilok_shared.health import HealthServer, Heartbeat, Probe, check_redis
from support import Processes, free_port, wait_for


@pytest.fixture
def procs(tmp_path, database_url, rabbitmq_url):
    env = {
        "RABBITMQ_URL": rabbitmq_url,
        "MINILOK_VAR_DIR": str(tmp_path / "var"),
        "MINILOK_HEALTH_HOST": "127.0.0.1",
        "NOTIFICATIONS_SWEEP_INTERVAL_SECONDS": "1",
        "MEETINGS_SCAN_INTERVAL_SECONDS": "1",
    }
    for service in ("meetings", "indicators", "notifications"):
        env[f"{service.upper()}_DATABASE_URL"] = database_url(service, migrated=True)
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = Processes(env, logs)
    try:
        yield processes
    finally:
        processes.stop_all()
        for log in sorted(logs.glob("*.log")):
            text = log.read_text(errors="replace")
            if "Traceback" in text:
                print(f"\n----- {log.name} -----\n{text[-6000:]}")


def start(procs: Processes, name: str, *args: str, **extra_env: str) -> str:
    port = free_port()
    procs.start(name, *args, extra_env={"MINILOK_HEALTH_PORT": str(port), **extra_env})
    return f"http://127.0.0.1:{port}"


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=5)


def wait_status(url: str, status: int, timeout: float = 60) -> dict:
    return wait_for(lambda: (r := get(url)).status_code == status and r.json(), timeout,
                    message=f"{url} answering {status}")


COMMANDS = {
    "relay": (("relay", "meetings"), "meetings", {"database": "ok", "rabbitmq": "ok"}),
    "consumer": (("consume", "notifications"), "notifications", {"database": "ok", "rabbitmq": "ok"}),
    "worker": (("worker", "notifications", "--concurrency", "1"), "notifications", {"database": "ok", "redis": "ok"}),
    "beat": (("beat",), "beat", {"redis": "ok"}),
}


@pytest.mark.parametrize("process", list(COMMANDS))
def test_health_and_ready_when_connected(procs, process):
    args, service, checks = COMMANDS[process]
    base = start(procs, process, *args, MINILOK_HEALTH_STALE_SECONDS="5")
    health = wait_status(f"{base}/health", 200)
    assert health["status"] == "ok" and health["process"] == process and health["service"] == service
    assert health["stale_after_seconds"] == 5
    ready = wait_status(f"{base}/ready", 200)
    assert ready == {"status": "ok", "service": service, "checks": checks, "failing": [], "process": process}
    metrics = get(f"{base}/metrics")
    assert metrics.status_code == 200 and "python_info" in metrics.text
    assert get(f"{base}/nothing-here").status_code == 404
    # Still alive past the threshold: the main loop keeps beating (not just the start time).
    time.sleep(6)
    health = get(f"{base}/health")
    assert health.status_code == 200 and health.json()["heartbeat_age_seconds"] < 5, health.json()
    assert procs.stop(process) == 0  # SIGTERM: a clean exit, endpoint included


def test_health_port_option_overrides_the_variable(procs):
    port = free_port()
    procs.start("relay", "relay", "meetings", "--health-port", str(port), extra_env={"MINILOK_HEALTH_PORT": "0"})
    wait_status(f"http://127.0.0.1:{port}/ready", 200)


def test_a_standby_relay_is_ready_when_it_could_take_over(procs):
    leader = start(procs, "relay-1", "relay", "meetings")
    wait_status(f"{leader}/ready", 200)
    standby = start(procs, "relay-2", "relay", "meetings")  # same database: the lock is taken
    assert wait_status(f"{standby}/ready", 200)["checks"] == {"database": "ok", "rabbitmq": "ok"}
    assert get(f"{standby}/health").status_code == 200
    procs.stop("relay-1")  # the standby takes over, on its own connection
    wait_for(lambda: "relay connected to RabbitMQ" in procs.log("relay-2"), 30, message="take-over")
    assert get(f"{standby}/ready").json()["checks"]["rabbitmq"] == "ok"


@pytest.mark.parametrize("process", ["relay", "consumer"])
def test_ready_names_rabbitmq_when_its_vhost_does_not_exist(procs, process, rabbitmq_url):
    args, service, _ = COMMANDS[process]
    missing = rabbitmq_url.rsplit("/", 1)[0] + f"/minilok-no-such-vhost-{uuid.uuid4().hex[:8]}"
    base = start(procs, process, *args, RABBITMQ_URL=missing)
    ready = wait_status(f"{base}/ready", 503)
    assert ready["status"] == "unavailable" and ready["failing"] == ["rabbitmq"], ready
    assert ready["checks"]["database"] == "ok"
    assert ready["checks"]["rabbitmq"].startswith("error: ")
    # The loop keeps retrying (with back-off): alive, only not ready.
    assert get(f"{base}/health").status_code == 200
    assert procs.procs[process].poll() is None


@pytest.mark.parametrize("process", ["worker", "beat"])
def test_redis_unreachable_is_unready_then_stale(procs, process):
    args, service, _ = COMMANDS[process]
    closed = f"redis://127.0.0.1:{free_port()}/0"
    base = start(procs, process, *args, REDIS_URL=closed, MINILOK_HEALTH_STALE_SECONDS="3")
    ready = wait_status(f"{base}/ready", 503)
    assert ready["failing"] == ["redis"], ready
    assert ready["checks"]["redis"].startswith("error: ")
    # Celery blocks while it retries the connection (the worker before it consumes, beat when it
    # sends the first due task): the loop no longer ticks and /health turns 503.
    stale = wait_status(f"{base}/health", 503, timeout=60)
    assert stale["status"] == "stale" and stale["heartbeat_age_seconds"] >= 3  # past 3 s, shown rounded to ms


def test_worker_follows_its_broker_going_and_coming_back(procs):
    """A private Redis on a free port (never the shared one): absent, started, stopped, started."""
    import shutil
    import subprocess

    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.skip("redis-server not on PATH")
    port = free_port()

    def start_redis() -> subprocess.Popen:
        server = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no"], stdout=subprocess.DEVNULL)
        wait_for(lambda: check_redis(f"redis://127.0.0.1:{port}/0") == "ok", 10, message="private redis")
        return server

    def stop_redis(server: subprocess.Popen) -> None:
        server.terminate()
        server.wait(10)

    base = start(procs, "worker", "worker", "notifications", "--concurrency", "1",
                 REDIS_URL=f"redis://127.0.0.1:{port}/0", MINILOK_HEALTH_STALE_SECONDS="5")
    assert wait_status(f"{base}/ready", 503)["failing"] == ["redis"]
    server = start_redis()
    try:
        assert wait_status(f"{base}/ready", 200, timeout=90)["checks"]["redis"] == "ok"
        assert wait_status(f"{base}/health", 200, timeout=30)["status"] == "ok"
        stop_redis(server)
        assert wait_status(f"{base}/ready", 503, timeout=30)["failing"] == ["redis"]
        assert wait_status(f"{base}/health", 503, timeout=30)["status"] == "stale"
        server = start_redis()
        assert wait_status(f"{base}/ready", 200, timeout=90)["checks"]["redis"] == "ok"
        assert wait_status(f"{base}/health", 200, timeout=30)["status"] == "ok"
    finally:
        stop_redis(server)


def test_server_answers_while_a_check_hangs_and_reports_a_check_that_raises():
    """In-process: the threaded server keeps /health answering while /ready is slow."""
    import threading

    release = threading.Event()

    def slow() -> str:
        release.wait(10)
        return "ok"

    def broken() -> str:
        raise RuntimeError("boom")

    probe = Probe("meetings", "relay", Heartbeat(), 60, {"slow": slow, "broken": broken})
    server = HealthServer(probe, "127.0.0.1", 0).start()
    base = "http://{}:{}".format(*server.address)
    try:
        pending = threading.Thread(target=lambda: get(f"{base}/ready"), daemon=True)
        pending.start()
        assert get(f"{base}/health").status_code == 200
        release.set()
        pending.join(10)
        response = get(f"{base}/ready")
        assert response.status_code == 503
        assert response.json()["checks"] == {"slow": "ok", "broken": "error: RuntimeError"}
    finally:
        release.set()
        server.stop()


def test_the_apis_ready_answers_as_before(meetings_api, rabbitmq_url):
    """The APIs' /ready is built from the same checks (minilok_shared.health)."""
    response = meetings_api.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "meetings", "failing": [],
                               "checks": {"database": "ok", "redis": "ok", "rabbitmq": "ok"}}
