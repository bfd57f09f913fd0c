"""docker-compose.yml describes the whole system as documented in docs/deployment.md.

Reads the file through `docker-compose config` (Compose's own validation and normalisation,
with anchors, merge keys and ${VAR:-default} resolved), so a file that Compose rejects fails
here. docker-compose 1.29 has no `--format json`, so its YAML output is parsed with PyYAML.
No container is started and no Docker daemon is needed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

SERVICES = ("meetings", "indicators", "notifications")
API_PORTS = {"meetings": 8001, "indicators": 8002, "notifications": 8003}
INFRA = ("rabbitmq", "redis", "postgres")

# Variables the compose file reads from the caller's environment; unset so defaults are tested.
INTERPOLATED = ("MINILOK_SECRET", "SMTP_URL", "NOTIFICATIONS_ALLOW_PRIVATE_TARGETS", "RABBITMQ_DEFAULT_USER",
                "RABBITMQ_DEFAULT_PASS")
# What the compose file requires (`${VAR:?...}`): given here as an operator would.
REQUIRED = {"MINILOK_SECRET": "compose-test-secret-0123456789abcdef0123456789",
            "RABBITMQ_DEFAULT_USER": "minilok", "RABBITMQ_DEFAULT_PASS": "0123456789abcdef"}


def expected_commands() -> dict[str, list[str]]:
    commands = {"migrate": ["minilok", "setup"], "beat": ["minilok", "beat"]}
    for service in SERVICES:
        commands[f"{service}-api"] = ["minilok", "serve", service]
        commands[f"{service}-relay"] = ["minilok", "relay", service]
        commands[f"{service}-consumer"] = ["minilok", "consume", service]
        commands[f"{service}-worker"] = ["minilok", "worker", service]
    return commands


MINILOK_SERVICES = expected_commands()
APP_SERVICES = [name for name in MINILOK_SERVICES if name != "migrate"]
SCALABLE = [
    f"{service}-{role}" for service in SERVICES for role in ("relay", "consumer", "worker")
]


MISSING_COMPOSE = (
    "docker-compose is not on PATH: install it (Debian: `apt-get install docker-compose`, "
    "version 1.29) to validate docker-compose.yml"
)


def test_docker_compose_is_installed():
    # Fails (never skips) without docker-compose: CI installs it.
    assert shutil.which("docker-compose"), MISSING_COMPOSE


def compose_config(**given: str) -> subprocess.CompletedProcess:
    executable = shutil.which("docker-compose")
    if executable is None:
        pytest.fail(MISSING_COMPOSE, pytrace=False)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("COMPOSE_") and key not in INTERPOLATED
    }
    return subprocess.run(
        [executable, "--file", str(COMPOSE_FILE), "--project-directory", str(ROOT), "config"],
        cwd=ROOT,
        env={**env, **given},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def compose() -> dict:
    result = compose_config(**REQUIRED)
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    assert "WARNING" not in result.stderr, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_the_secret_and_the_rabbitmq_user_are_required(missing):
    result = compose_config(**{k: v for k, v in REQUIRED.items() if k != missing})
    assert result.returncode != 0 and missing in result.stderr, result.stderr


def test_published_ports_listen_on_loopback_only(compose):
    bindings = [binding for svc in compose["services"].values() for binding in port_bindings(svc)]
    assert bindings and all(host_ip == "127.0.0.1" for host_ip, _ in bindings), bindings


def test_rabbitmq_has_its_own_user_not_guest(compose):
    env = compose["services"]["rabbitmq"]["environment"]
    assert env["RABBITMQ_DEFAULT_USER"] == "minilok" and env["RABBITMQ_DEFAULT_PASS"] == "0123456789abcdef"


def command_of(service: dict) -> list[str]:
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


def port_bindings(service: dict) -> list[tuple[str, str]]:
    """(host IP, host port) of every published port ("" for the IP: every interface)."""
    bindings = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            if port.get("published") not in (None, ""):
                bindings.append((port.get("host_ip", ""), str(port["published"])))
        elif ":" in str(port):  # "HOST:CONTAINER" or "IP:HOST:CONTAINER", maybe with "/tcp"
            parts = str(port).split("/")[0].split(":")
            bindings.append((parts[0] if len(parts) == 3 else "", parts[-2]))
    return bindings


def published_ports(service: dict) -> list[str]:
    return [published for _, published in port_bindings(service)]


def test_every_service_is_defined(compose):
    names = set(compose["services"])
    expected = set(MINILOK_SERVICES) | set(INFRA) | {"mailpit"}
    assert expected <= names, f"missing: {sorted(expected - names)}"


@pytest.mark.parametrize("name", sorted(MINILOK_SERVICES))
def test_minilok_service_runs_its_command_from_the_shared_image(compose, name):
    service = compose["services"][name]
    assert command_of(service) == MINILOK_SERVICES[name]
    assert service["image"] == "minilok:latest"


def test_the_image_is_built_from_the_repository(compose):
    builders = [name for name, svc in compose["services"].items() if "build" in svc]
    assert builders, "no service builds minilok:latest"
    for name in builders:
        context = compose["services"][name]["build"]
        context = context["context"] if isinstance(context, dict) else context
        assert Path(context).resolve() == ROOT
        assert compose["services"][name]["image"] == "minilok:latest"


@pytest.mark.parametrize("name", sorted(SCALABLE) + ["beat"])
def test_scalable_processes_have_no_fixed_name_or_host_port(compose, name):
    service = compose["services"][name]
    assert "container_name" not in service
    assert published_ports(service) == []


def test_no_minilok_service_has_a_container_name(compose):
    named = [name for name in MINILOK_SERVICES if "container_name" in compose["services"][name]]
    assert named == []


@pytest.mark.parametrize("name", sorted(MINILOK_SERVICES))
def test_minilok_services_wait_for_healthy_infrastructure(compose, name):
    depends_on = compose["services"][name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name}: depends_on must use conditions"
    for infra in INFRA:
        assert depends_on.get(infra, {}).get("condition") == "service_healthy", (name, infra)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_migrations(compose, name):
    depends_on = compose["services"][name]["depends_on"]
    assert depends_on["migrate"]["condition"] == "service_completed_successfully"


def test_migrate_is_one_shot(compose):
    assert compose["services"]["migrate"].get("restart", "no") == "no"


def test_exactly_one_beat(compose):
    beats = [
        name
        for name, svc in compose["services"].items()
        if command_of(svc) and command_of(svc)[:2] == ["minilok", "beat"]
    ]
    assert beats == ["beat"]
    beat = compose["services"]["beat"]
    assert beat.get("scale", 1) == 1
    assert beat.get("deploy", {}).get("replicas", 1) == 1


@pytest.mark.parametrize("service", SERVICES)
def test_api_is_published_and_health_checked(compose, service):
    api = compose["services"][f"{service}-api"]
    port = API_PORTS[service]
    assert [str(p) for p in published_ports(api)] == [str(port)]
    assert api["environment"][f"{service.upper()}_HOST"] == "0.0.0.0"
    test = api.get("healthcheck", {}).get("test")
    assert test, f"{service}-api has no healthcheck"
    assert f"http://127.0.0.1:{port}/health" in " ".join(test if isinstance(test, list) else [test])


@pytest.mark.parametrize("name", sorted(SCALABLE) + ["beat"])
def test_processes_without_an_api_serve_and_check_their_health_endpoint(compose, name):
    service = compose["services"][name]
    port = int(service["environment"]["MINILOK_HEALTH_PORT"])
    test = service.get("healthcheck", {}).get("test")
    assert test, f"{name} has no healthcheck"
    assert f"http://127.0.0.1:{port}/health" in " ".join(test if isinstance(test, list) else [test])


def test_infrastructure_is_health_checked(compose):
    for infra in INFRA:
        assert compose["services"][infra].get("healthcheck", {}).get("test"), infra


@pytest.mark.parametrize("name", sorted(MINILOK_SERVICES))
def test_environment_points_at_compose_hostnames(compose, name):
    env = compose["services"][name]["environment"]
    assert env["RABBITMQ_URL"] == "amqp://minilok:0123456789abcdef@rabbitmq:5672/%2F"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    for service in SERVICES:
        assert env[f"{service.upper()}_DATABASE_URL"] == (
            f"postgresql+psycopg://minilok:minilok@postgres:5432/{service}"
        )
    assert env["SMTP_URL"] == "smtp://mailpit:1025"
    assert env["MINILOK_SECRET"] == REQUIRED["MINILOK_SECRET"]
    assert str(env["NOTIFICATIONS_ALLOW_PRIVATE_TARGETS"]) == "0"
    assert env["MINILOK_LOG_FORMAT"] == "json" and "LOG_FORMAT" not in env


def test_postgres_creates_the_three_databases(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_USER"] == "minilok"
    mounts = [str(v) if not isinstance(v, dict) else f"{v['source']}:{v['target']}"
              for v in postgres.get("volumes", [])]
    assert any("deploy/postgres/init.sql:/docker-entrypoint-initdb.d/" in m for m in mounts)
    init_sql = (ROOT / "deploy" / "postgres" / "init.sql").read_text().lower()
    for service in SERVICES:
        assert f"create database {service}" in init_sql
