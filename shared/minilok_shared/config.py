"""Settings read from the environment, with the names and defaults of shared/contract.md."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "minilok-development-secret-change-me-in-production"
MIN_SECRET_BYTES = 32
# Where `minilok secret init` (run by `make run`) keeps a generated secret, inside MINILOK_VAR_DIR.
SECRET_FILE_NAME = "secret"


class CommonSettings(BaseSettings):
    """What every Minilok process reads: brokers, secret, logging and event-pipeline tuning."""

    # Only the variable names (aliases) are read: with populate_by_name, pydantic-settings would
    # also read plain field names such as PORT from the environment.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prefix of every Redis key we write (Celery queues included): several deployments, or
    # test runs, can share one Redis.
    redis_key_prefix: str = ""
    # Unset: read from MINILOK_SECRET_FILE, else from `<MINILOK_VAR_DIR>/secret` when it exists (written
    # by `make run`), else the development default, which only MINILOK_DEV=1 accepts.
    minilok_secret: str = ""
    minilok_secret_file: Path | None = None
    # The secret before a rotation: tokens signed and webhook secrets encrypted with it stay
    # readable until it is removed.
    minilok_secret_previous: str = ""
    # Development mode: allows the built-in or a weak MINILOK_SECRET (never in production).
    minilok_dev: bool = False
    var_dir: Path = Field(Path("var"), validation_alias="MINILOK_VAR_DIR")
    # Where people open Minilok (the meetings dashboard): links in events and messages point here.
    public_url: str = Field("http://127.0.0.1:8001", validation_alias="MINILOK_PUBLIC_URL")
    log_level: str = "INFO"
    # "json" (one object a line, for machines) or "console" (one readable line, for a person at a
    # terminal; `make run`). LOG_FORMAT and "text" are the older names, still read.
    log_format: Literal["json", "console"] = Field(
        "json", validation_alias=AliasChoices("MINILOK_LOG_FORMAT", "LOG_FORMAT"))

    # Event pipeline: the relay polls the outbox; the consumer retries a failing handler
    # after a delay and dead-letters the event after the last attempt.
    relay_poll_seconds: float = 0.1
    relay_batch_size: int = 500
    consumer_prefetch: int = 50
    consumer_max_attempts: int = 5
    consumer_retry_delay_ms: int = 5000
    # The consumer handles up to this many messages in one transaction, closing a batch early
    # when no more arrive within the linger (MINILOK_CONSUMER_BATCH, MINILOK_CONSUMER_LINGER_MS).
    consumer_batch: int = Field(100, ge=1, validation_alias="MINILOK_CONSUMER_BATCH")
    consumer_linger_ms: int = Field(20, ge=0, validation_alias="MINILOK_CONSUMER_LINGER_MS")
    # "classic" or "quorum" (replicated, for a RabbitMQ cluster of 3+ nodes; docs/scaling.md).
    queue_type: str = Field("classic", validation_alias="MINILOK_QUEUE_TYPE")

    # Health endpoints of relays, consumers, workers and beat (GET /health, /ready, /metrics;
    # minilok_shared/health.py). Port 0: off (the default). /health turns 503 when the process's
    # main loop has not made progress for `health_stale_seconds`.
    health_port: int = Field(0, ge=0, le=65535, validation_alias="MINILOK_HEALTH_PORT")
    health_host: str = Field("127.0.0.1", validation_alias="MINILOK_HEALTH_HOST")
    health_stale_seconds: float = Field(60.0, gt=0, validation_alias="MINILOK_HEALTH_STALE_SECONDS")

    max_body_bytes: int = 1_000_000
    # Load shedding: how long a request may wait for a database session (the APIs admit as many
    # requests as their pool has connections) before it gets 503 with Retry-After, so that an API
    # whose database is the bottleneck does not work on requests whose clients have given up.
    # (When the API's own CPU is the limit, requests queue before the app sees them: this does
    # not trigger; see docs/benchmarks.md.) 0: no limit.
    request_queue_seconds: float = Field(5.0, ge=0, validation_alias="MINILOK_REQUEST_QUEUE_SECONDS")
    # Requests per bearer token per minute and service (429 beyond it); 0 turns the limit off.
    rate_limit_per_minute: int = 600

    @field_validator("log_format", mode="before")
    @classmethod
    def _text_is_console(cls, value):
        if isinstance(value, str):
            value = value.strip().lower()
        return "console" if value == "text" else value

    def model_post_init(self, __context) -> None:
        if not self.minilok_secret:
            self.minilok_secret = read_secret_file(self.secret_file()) or DEFAULT_SECRET

    def secret_file(self) -> Path:
        return self.minilok_secret_file or Path(self.var_dir) / SECRET_FILE_NAME

    def secret_problem(self) -> str | None:
        """Why MINILOK_SECRET must not be used outside development (None: it may)."""
        if self.minilok_dev:
            return None
        secret = self.minilok_secret
        if secret == DEFAULT_SECRET:
            why = "is the built-in development secret"
        elif "change-me" in secret.lower():
            why = "contains 'change-me'"
        elif len(secret.encode()) < MIN_SECRET_BYTES:
            why = f"is shorter than {MIN_SECRET_BYTES} bytes"
        else:
            return None
        return (f"MINILOK_SECRET {why}: set MINILOK_SECRET to {MIN_SECRET_BYTES}+ random bytes "
                "(openssl rand -hex 32), or MINILOK_DEV=1 on a development machine")

    def require_strong_secret(self) -> None:
        """Raises WeakSecret unless the secret may sign tokens here (every process calls it first)."""
        problem = self.secret_problem()
        if problem:
            raise WeakSecret(problem)


class WeakSecret(RuntimeError):
    """The process refuses to start: its MINILOK_SECRET is known or guessable."""


def read_secret_file(path: Path) -> str:
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        return ""


def write_secret_file(path: Path) -> bool:
    """Create `path` with a random secret, readable by its owner only; False if it exists."""
    import secrets

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32) + "\n")
    return True


def sqlite_url(var_dir: Path, service: str) -> str:
    return f"sqlite:///{Path(var_dir) / f'{service}.db'}"


class ServiceSettings(CommonSettings):
    """A service's own settings. Subclasses bind `database_url`, `host` and `port` to their
    `<SERVICE>_DATABASE_URL`, `<SERVICE>_HOST` and `<SERVICE>_PORT` variables, and only to those:
    plain PORT, HOST or DATABASE_URL (set by honcho and Heroku-style platforms) never apply."""

    service_name: ClassVar[str] = ""
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 0
    # Load shedding (web.ConcurrencyLimit): at most this many requests in flight per API process,
    # the next answered 503 with Retry-After at once. MINILOK_LIMIT_CONCURRENCY for every service,
    # <SERVICE>_LIMIT_CONCURRENCY for one (it wins); 0: no limit.
    limit_concurrency: int = Field(200, ge=0, validation_alias="MINILOK_LIMIT_CONCURRENCY")

    def model_post_init(self, __context) -> None:
        super().model_post_init(__context)
        if not self.database_url:
            self.database_url = sqlite_url(self.var_dir, self.service_name)
        own = os.environ.get(f"{self.service_name.upper()}_LIMIT_CONCURRENCY")
        if own is not None:
            if not own.strip().isdigit():
                raise ValueError(f"{self.service_name.upper()}_LIMIT_CONCURRENCY must be a whole number >= 0")
            self.limit_concurrency = int(own)
