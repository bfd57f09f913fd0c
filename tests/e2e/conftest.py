"""The whole system as `make run` starts it: real `minilok` processes on free ports."""

from __future__ import annotations

import subprocess

import httpx
import pytest
from receivers import WebhookReceiver
from support import BIN, Processes, free_port, purge_queues

SERVICES = ("meetings", "indicators", "notifications")


class System:
    def __init__(self, procs: Processes, ports: dict[str, int]):
        self.procs, self.ports = procs, ports
        self.admin_token = self.token("--role", "admin")

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def token(self, *args: str) -> str:
        out = subprocess.run([str(BIN / "minilok"), "token", "create", *args], env=self.procs.env,
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def client(self, service: str, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url(service, "/api/v1"), timeout=10,
                            headers={"Authorization": f"Bearer {token or self.admin_token}"})

    # Every process of the Procfile, by name.
    def start(self, name: str, **extra_env: str) -> None:
        service, _, role = name.partition("-")
        command = {"api": "serve", "relay": "relay", "consumer": "consume", "worker": "worker"}[role]
        self.procs.start(name, command, service, extra_env=extra_env or None)

    def start_all(self) -> None:
        purge_queues(self.procs.env["RABBITMQ_URL"], SERVICES)
        for line in open("Procfile"):
            name = line.split(":", 1)[0].strip()
            if name == "beat":
                self.procs.start("beat", "beat")
            elif name:
                self.start(name)
        for service in SERVICES:
            self.procs.wait_http(self.url(service, "/health"))


@pytest.fixture
def system(tmp_path, database_url, rabbitmq_url):
    ports = {service: free_port() for service in SERVICES}
    env = {
        "RABBITMQ_URL": rabbitmq_url,
        "MINILOK_VAR_DIR": str(tmp_path / "var"),
        "MINILOK_FAULTS_DIR": str(tmp_path / "faults"),
        "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS": "1",
        "NOTIFICATIONS_SWEEP_INTERVAL_SECONDS": "1",
        "MEETINGS_SCAN_INTERVAL_SECONDS": "1",
    }
    for service in SERVICES:
        env[f"{service.upper()}_DATABASE_URL"] = database_url(service, migrated=True)
        env[f"{service.upper()}_PORT"] = str(ports[service])
    logs = tmp_path / "logs"
    logs.mkdir()
    procs = Processes(env, logs)
    try:
        yield System(procs, ports)
    finally:
        procs.stop_all()
        # Shown with a failing test's output: any process that hit an unexpected error.
        for log in sorted(logs.glob("*.log")):
            text = log.read_text(errors="replace")
            if "Traceback" in text:
                print(f"\n----- {log.name} -----\n{text[-6000:]}")


@pytest.fixture
def receiver():
    with WebhookReceiver().running() as r:
        yield r
