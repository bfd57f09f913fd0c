"""`minilok`: tokens, migrations, and every process of every installed service.

    minilok token create --role admin  # 30 days (--ttl SECONDS, --ttl 0: no expiry)
    minilok token revoke JTI           # or --subject SUB: refused by every service from then on
    minilok secret init                # a random MINILOK_SECRET in ./var/secret (make run does it)
    minilok db upgrade                 # all services (or name some)
    minilok serve meetings             # API
    minilok relay meetings             # outbox relay (--health-port N: GET /health, /ready, /metrics)
    minilok consume notifications      # event consumer
    minilok worker notifications       # Celery worker
    minilok beat                       # the one Celery beat
    minilok setup                      # migrate every database, declare the broker topology
    minilok dlq list notifications     # events a service could not handle, and why
    minilok dlq replay notifications   # send them back for another try
    minilok check                      # are RabbitMQ and Redis reachable?
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from minilok_shared.auth import DEFAULT_TTL_SECONDS, ROLES, InvalidToken, create_token, decode_token
from minilok_shared.config import CommonSettings, WeakSecret, write_secret_file
from minilok_shared.db import make_engine, upgrade
from minilok_shared.logs import configure_logging
from minilok_shared.service import ServiceSpec, all_services, get_service

app = typer.Typer(help="Minilok: lokakarya mini follow-ups, indicators and notifications.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
token_app = typer.Typer(help="Access tokens.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")
broker_app = typer.Typer(help="RabbitMQ topology and dead letters.", no_args_is_help=True)
app.add_typer(broker_app, name="broker")
dlq_app = typer.Typer(help="Dead letters: events a service could not handle.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
secret_app = typer.Typer(help="The secret that signs tokens (MINILOK_SECRET).", no_args_is_help=True)
app.add_typer(secret_app, name="secret")


def _service(name: str) -> ServiceSpec:
    try:
        return get_service(name)
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0])) from exc


def strong_secret(settings: CommonSettings) -> CommonSettings:
    """Exit with one line on stderr if the secret is known or guessable (unless MINILOK_DEV=1)."""
    try:
        settings.require_strong_secret()
    except WeakSecret as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    return settings


def prepare(spec: ServiceSpec):
    """Settings, logging and an up-to-date schema: what every process does first."""
    settings = strong_secret(spec.settings())
    configure_logging(spec.name, settings.log_level, settings.log_format)
    upgrade(spec.migrations, settings.database_url, spec.name)
    return settings


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
    puskesmas: Annotated[str | None, typer.Option(help="Puskesmas id (role puskesmas)")] = None,
    agency: Annotated[str | None, typer.Option(help="Agency id (role agency; role dinas: its agency)")] = None,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds (0: no expiry, for a service account)",
                                     min=0)] = DEFAULT_TTL_SECONDS,
    subject: Annotated[str | None, typer.Option(help="Who the token is for (audit)")] = None,
    area: Annotated[str | None, typer.Option(
        help="Area code: role dinas (required: the dinas's area), role puskesmas (a narrower working "
             "area; default: the puskesmas's own area)")] = None,
) -> None:
    """Print a signed token on stdout."""
    settings = strong_secret(CommonSettings())
    try:
        if role == "puskesmas" and puskesmas is not None:
            area = _puskesmas_area(puskesmas, area)
        token = create_token(settings.minilok_secret, role, puskesmas_id=puskesmas, agency_id=agency,
                             ttl_seconds=ttl, subject=subject, area_code=area)
    except (ValueError, LookupError) as exc:
        typer.echo(f"error: {exc.args[0]}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(token)


def _puskesmas_area(puskesmas_id: str, narrower: str | None) -> str | None:
    """The puskesmas's own area (from the service that knows it), or `narrower` if it lies within it."""
    hooks = [spec for spec in all_services().values() if spec.puskesmas_area]
    if not hooks:
        return narrower
    own = hooks[0].load(hooks[0].puskesmas_area)(puskesmas_id)
    if narrower is None or narrower == own:
        return own
    if not narrower.startswith(own + "."):
        raise ValueError(f"--area {narrower} is not within the area {own} of puskesmas {puskesmas_id}")
    return narrower


@token_app.command("revoke")
def token_revoke(
    jti: Annotated[str | None, typer.Argument(help="The token's jti (or the token itself)")] = None,
    subject: Annotated[str | None, typer.Option(
        help="Refuse every token of this subject issued until now")] = None,
) -> None:
    """Refuse a token (or every token of a subject so far) in every installed service."""
    from datetime import UTC, datetime

    from minilok_shared.revocation import revoke

    if (jti is None) == (subject is None):
        typer.echo("error: give a JTI or --subject SUB (one of them)", err=True)
        raise typer.Exit(2)
    expires_at = None
    if jti is not None and jti.count(".") == 2:  # a whole token: its jti, and when it expires anyway
        import jwt

        settings = CommonSettings()
        try:
            principal = decode_token(settings.minilok_secret, jti, settings.minilok_secret_previous)
        except InvalidToken as exc:
            typer.echo(f"error: not a token of ours ({exc})", err=True)
            raise typer.Exit(2) from exc
        exp = jwt.decode(jti, options={"verify_signature": False}).get("exp")
        expires_at = datetime.fromtimestamp(exp, UTC) if exp else None
        jti = principal.jti
    for spec in all_services().values():
        settings = spec.settings()
        upgrade(spec.migrations, settings.database_url, spec.name)
        engine = make_engine(settings.database_url)
        try:
            revoke(engine, jti=jti, subject=subject, expires_at=expires_at)
        finally:
            engine.dispose()
        typer.echo(f"{spec.name}: revoked {'jti ' + jti if jti else 'subject ' + str(subject)}", err=True)


@secret_app.command("init")
def secret_init() -> None:
    """Write a random secret to MINILOK_SECRET_FILE (default ./var/secret, mode 0600) unless
    MINILOK_SECRET is set or the file exists. Every process and this CLI read it from there."""
    import os

    settings = CommonSettings()
    if os.environ.get("MINILOK_SECRET"):
        typer.echo("MINILOK_SECRET is set: no secret file needed", err=True)
        return
    path = settings.secret_file()
    created = write_secret_file(path)
    typer.echo(f"{'created' if created else 'using'} the secret in {path}", err=True)


@db_app.command("upgrade")
def db_upgrade(services: Annotated[list[str] | None, typer.Argument(help="Services (default: all)")] = None) -> None:
    """Migrate each service's database to the latest schema."""
    specs = [_service(name) for name in services] if services else list(all_services().values())
    for spec in specs:
        settings = spec.settings()
        upgrade(spec.migrations, settings.database_url, spec.name)
        typer.echo(f"{spec.name}: database at the latest schema ({_safe_url(settings.database_url)})")


@db_app.command("revision")
def db_revision(service: str, message: Annotated[str, typer.Option("-m", "--message")]) -> None:
    """Autogenerate a migration from the service's models (for developers)."""
    from alembic import command

    from minilok_shared.db import alembic_config

    spec = _service(service)
    settings = spec.settings()
    upgrade(spec.migrations, settings.database_url, spec.name)
    command.revision(alembic_config(spec.migrations, settings.database_url), message=message, autogenerate=True)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _stop_on_signals(stop) -> None:
    """Finish the message or batch at hand, then exit (Ctrl-C under honcho, SIGTERM in containers)."""
    signal.signal(signal.SIGTERM, lambda *_: stop())
    signal.signal(signal.SIGINT, lambda *_: stop())


HealthPort = Annotated[int | None, typer.Option(
    "--health-port", min=0, max=65535,
    help="Serve GET /health, /ready and /metrics on this port (default: MINILOK_HEALTH_PORT; 0: off)")]


def start_health(settings: CommonSettings, port: int | None, service: str, process: str, heartbeat,
                 checks: dict):
    """The health endpoint of a relay, consumer, worker or beat, if a port is configured."""
    from minilok_shared.health import HealthServer, Probe

    port = settings.health_port if port is None else port
    if not port:
        return None
    probe = Probe(service, process, heartbeat, settings.health_stale_seconds, checks)
    try:
        server = HealthServer(probe, settings.health_host, port)
    except OSError as exc:
        typer.echo(f"error: cannot serve health endpoints on {settings.health_host}:{port}: {exc}", err=True)
        raise typer.Exit(1) from exc
    return server.start()


@app.command()
def serve(service: str) -> None:
    """Run a service's HTTP API (host and port from <SERVICE>_HOST / <SERVICE>_PORT; worker
    processes from <SERVICE>_WORKERS where the service has that setting, default 1)."""
    import uvicorn

    spec = _service(service)
    settings = prepare(spec)
    workers = getattr(settings, "workers", 1)
    typer.echo(f"{spec.name} API on http://{settings.host}:{settings.port} (docs at /docs)"
               + (f", {workers} worker processes" if workers > 1 else ""))
    uvicorn.run(spec.app, factory=True, host=settings.host, port=settings.port, log_config=None,
                access_log=False, proxy_headers=True, workers=workers)


@app.command()
def relay(service: str, health_port: HealthPort = None) -> None:
    """Publish a service's committed outbox events to RabbitMQ."""
    from minilok_shared.events.outbox import OutboxRelay

    spec = _service(service)
    settings = prepare(spec)
    runner = OutboxRelay(make_engine(settings.database_url), spec.metadata.tables["outbox"], settings.rabbitmq_url,
                         spec.name, batch_size=settings.relay_batch_size, poll_seconds=settings.relay_poll_seconds,
                         declare_topology=declare_all_queues)
    _run_until_stopped(runner, settings, health_port, spec.name, "relay")


def _run_until_stopped(runner, settings: CommonSettings, health_port: int | None, service: str, process: str) -> None:
    """A relay's or consumer's main loop, with its health endpoint, until SIGTERM/SIGINT."""
    from minilok_shared.health import check_database

    health = start_health(settings, health_port, service, process, runner.heartbeat,
                          {"database": lambda: check_database(runner.engine), "rabbitmq": runner.broker_check})
    _stop_on_signals(runner.stop)
    try:
        runner.run_forever()
    finally:
        if health is not None:
            health.stop()


@app.command()
def consume(service: str, health_port: HealthPort = None) -> None:
    """Consume the events a service handles (several may run: competing consumers)."""
    from minilok_shared.events.consumer import EventConsumer

    spec = _service(service)
    settings = prepare(spec)
    runner = EventConsumer(spec.name, make_engine(settings.database_url), spec.metadata.tables["inbox"],
                           spec.load_handlers(), settings.rabbitmq_url, prefetch=settings.consumer_prefetch,
                           max_attempts=settings.consumer_max_attempts,
                           retry_delay_ms=settings.consumer_retry_delay_ms, batch_size=settings.consumer_batch,
                           linger_seconds=settings.consumer_linger_ms / 1000, queue_type=settings.queue_type)
    _run_until_stopped(runner, settings, health_port, spec.name, "consumer")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def worker(ctx: typer.Context, service: str, health_port: HealthPort = None) -> None:
    """Run a service's Celery worker; extra arguments go to `celery worker` (e.g. --concurrency 8)."""
    from minilok_shared.celery_app import add_health_step
    from minilok_shared.health import Heartbeat, check_database

    spec = _service(service)
    settings = prepare(spec)
    celery_app = spec.load(spec.celery)
    if (settings.health_port if health_port is None else health_port):
        heartbeat = Heartbeat()
        redis_check = add_health_step(celery_app, heartbeat)
        # The tasks use the service's database from the pool's processes; this small engine only
        # answers /ready from the main process.
        engine = make_engine(settings.database_url, pool_size=1, max_overflow=1)
        start_health(settings, health_port, spec.name, "worker", heartbeat,
                     {"database": lambda: check_database(engine), "redis": redis_check})
    celery_app.worker_main(["worker", "--queues", spec.name, "--loglevel", "INFO", *ctx.args])


@app.command()
def beat(health_port: HealthPort = None) -> None:
    """Run the one Celery beat that schedules every service's periodic tasks."""
    from minilok_shared.beat import HEARTBEAT, build_beat_app
    from minilok_shared.health import check_redis

    beat_app, settings = build_beat_app()
    strong_secret(settings)
    configure_logging("beat", settings.log_level, settings.log_format)
    Path(settings.var_dir).mkdir(parents=True, exist_ok=True)
    start_health(settings, health_port, "beat", "beat", HEARTBEAT, {"redis": lambda: check_redis(settings.redis_url)})
    beat_app.start(["beat", "--loglevel", "INFO", "--schedule", str(Path(settings.var_dir) / "celerybeat-schedule")])


def declare_all_queues(channel) -> None:
    """Every installed consuming service's queues and bindings (idempotent)."""
    from minilok_shared.events.consumer import declare_queues

    settings = CommonSettings()
    for spec in all_services().values():
        if spec.handlers:
            declare_queues(channel, spec.name, spec.load_handlers().bindings, settings.consumer_retry_delay_ms,
                           settings.queue_type)


@broker_app.command("setup")
def broker_setup() -> None:
    """Declare the event exchange and every service's queues, bindings and dead-letter queues."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(CommonSettings().rabbitmq_url))
    try:
        declare_all_queues(connection.channel())
    finally:
        connection.close()
    typer.echo("RabbitMQ: exchange minilok.events and every service's queues are declared")


@app.command()
def setup() -> None:
    """Everything a fresh deployment needs before it starts: migrations and broker topology."""
    db_upgrade(None)
    broker_setup()


def _dead_letters(service: str, limit: int):
    """Up to `limit` dead letters of a service, unacknowledged (the caller acks or requeues)."""
    import pika

    from minilok_shared.events.consumer import queue_names

    settings = CommonSettings()
    _, _, dlq = queue_names(_service(service).name, settings.consumer_retry_delay_ms, settings.queue_type)
    connection = pika.BlockingConnection(pika.URLParameters(settings.rabbitmq_url))
    channel = connection.channel()
    channel.queue_declare(dlq, durable=True,
                          arguments={"x-queue-type": "quorum"} if settings.queue_type == "quorum" else None)
    letters = []
    for _ in range(limit):
        method, properties, body = channel.basic_get(dlq, auto_ack=False)
        if method is None:
            break
        letters.append((method, properties, body))
    return connection, channel, letters


def _describe(properties, body: bytes) -> dict:
    import json

    from minilok_shared.events.consumer import ATTEMPTS_HEADER, ERROR_HEADER, ROUTING_KEY_HEADER

    headers = properties.headers or {}
    try:
        event = json.loads(body)
        event_id, event_type = event.get("id"), event.get("type")
    except ValueError:
        event_id, event_type = None, None
    return {"event_id": event_id, "type": event_type, "routing_key": headers.get(ROUTING_KEY_HEADER),
            "attempts": headers.get(ATTEMPTS_HEADER), "failed_at": headers.get("x-minilok-failed-at"),
            "error": headers.get(ERROR_HEADER)}


@dlq_app.command("list")
def dlq_list(service: str, limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100) -> None:
    """Show a service's dead letters (one JSON object a line) without removing them."""
    import json

    connection, channel, letters = _dead_letters(service, limit)
    try:
        for _method, properties, body in letters:
            typer.echo(json.dumps(_describe(properties, body), ensure_ascii=False))
    finally:
        connection.close()  # unacknowledged: they go back to the queue
    if not letters:
        typer.echo(f"no dead letters for {service}", err=True)


@dlq_app.command("replay")
def dlq_replay(
    service: str,
    event_id: Annotated[str | None, typer.Option(help="Only this event")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Send dead letters back to the service's queue for another try (attempts start over)."""
    import pika

    from minilok_shared.events.consumer import ATTEMPTS_HEADER, ERROR_HEADER, queue_names

    settings = CommonSettings()
    queue, _, _ = queue_names(_service(service).name, settings.consumer_retry_delay_ms, settings.queue_type)
    connection, channel, letters = _dead_letters(service, limit)
    replayed = 0
    try:
        channel.confirm_delivery()
        for method, properties, body in letters:
            if event_id and _describe(properties, body)["event_id"] != event_id:
                continue
            headers = {k: v for k, v in (properties.headers or {}).items() if k not in (ATTEMPTS_HEADER, ERROR_HEADER)}
            channel.basic_publish("", queue, body, pika.BasicProperties(
                content_type=properties.content_type, delivery_mode=pika.DeliveryMode.Persistent,
                message_id=properties.message_id, type=properties.type, headers=headers))
            channel.basic_ack(method.delivery_tag)
            replayed += 1
    finally:
        connection.close()
    typer.echo(f"replayed {replayed} dead letter(s) to {queue}")


@app.command()
def check() -> None:
    """Say whether RabbitMQ and Redis are reachable, and how to start them if not."""
    import pika
    import redis

    settings = CommonSettings()
    problems = []
    try:
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:
        problems.append(f"Redis unreachable at {settings.redis_url} ({type(exc).__name__}); start it with: "
                        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no")
    try:
        params = pika.URLParameters(settings.rabbitmq_url)
        params.connection_attempts = 1
        params.socket_timeout = 2
        pika.BlockingConnection(params).close()
    except Exception as exc:
        problems.append(f"RabbitMQ unreachable at {_safe_url_amqp(settings.rabbitmq_url)} ({type(exc).__name__}); "
                        "start it with: rabbitmq-server -detached")
    for line in problems:
        typer.echo(line, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("RabbitMQ and Redis are reachable.")


def _safe_url_amqp(url: str) -> str:
    import re

    return re.sub(r"//[^@/]*@", "//***@", url)


def _add_service_commands() -> None:
    for name, spec in all_services().items():
        if spec.cli is not None:
            app.add_typer(spec.load(spec.cli), name=name)


def main() -> None:
    _add_service_commands()
    app(prog_name="minilok")


if __name__ == "__main__":
    sys.exit(main())
