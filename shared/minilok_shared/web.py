"""The FastAPI app every service builds on: health, readiness, metrics, body-size limit, load
shedding, uniform JSON errors, idempotency keys (the dependencies routes declare are in deps.py)."""

from __future__ import annotations

import gc
import logging
import re
import time
from collections.abc import Callable, Mapping
from contextlib import asynccontextmanager
from weakref import WeakKeyDictionary

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, QueuePool, Table, event
from sqlalchemy.exc import DataError, DisconnectionError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.types import ASGIApp, Receive, Scope, Send

from minilok_shared import audit
from minilok_shared.config import ServiceSettings
from minilok_shared.db import is_sqlite, make_engine, make_sessionmaker
from minilok_shared.errors import database_unavailable
from minilok_shared.health import check_database, check_rabbitmq, check_redis, readiness
from minilok_shared.idempotency import Idempotency, RequestSession
from minilok_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS, REQUESTS_SHED
from minilok_shared.ratelimit import RateLimit
from minilok_shared.validation import JsonGuard

log = logging.getLogger(__name__)


class BodySizeLimit:
    """413 before reading a body larger than the limit (by Content-Length or as it streams).
    `larger`: path patterns (regular expressions matched at the start of the path) allowed a
    larger body, such as file uploads."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None):
        self.app, self.max_bytes = app, max_bytes
        self.larger = [(re.compile(pattern), limit) for pattern, limit in (larger or {}).items()]

    def limit_for(self, path: str) -> int:
        return next((limit for pattern, limit in self.larger if pattern.match(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._too_large(send, max_bytes)
            return
        received = 0
        answered = False

        async def limited_receive():
            # Past the limit: answer 413 at once and tell the app the client went away, so that
            # whatever it answers to a cut-off body (FastAPI: 400) is never sent.
            nonlocal received, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    answered = True
                    await self._too_large(send, max_bytes)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if not answered:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _too_large(self, send: Send, max_bytes: int) -> None:
        response = JSONResponse(
            {"detail": f"Isi permintaan terlalu besar / request body exceeds {max_bytes} bytes"}, 413
        )
        await response({"type": "http"}, None, send)


class RequestMetrics:
    """Count and time every request by route template and status. Plain ASGI: Starlette's
    BaseHTTPMiddleware (`@app.middleware("http")`) costs a task and a memory stream per request."""

    def __init__(self, app: ASGIApp, service: str):
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless the app answers: an exception escaping it is a 500 to the client

        async def send_with_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")  # set by the router on this scope
            HTTP_REQUESTS.labels(self.service, scope["method"], path, status).inc()
            HTTP_LATENCY.labels(self.service, scope["method"], path).observe(time.perf_counter() - started)


class ConcurrencyLimit:
    """Load shedding: at most `limit` requests inside the app at once (per process); the next one is
    answered 503 with Retry-After at once instead of queueing behind work its client may no longer
    wait for. Uvicorn's own --limit-concurrency counts open connections (idle keep-alive ones too)
    and answers plain text without Retry-After. /health, /ready and /metrics always pass, so
    that probes tell a busy process from a dead one."""

    EXEMPT = frozenset(("/health", "/ready", "/metrics"))

    def __init__(self, app: ASGIApp, limit: int, service: str):
        self.app, self.limit, self.service = app, limit, service
        self.in_flight = 0
        self.busy = JSONResponse({"detail": "Layanan sedang sibuk, coba lagi sebentar / service busy, retry shortly"},
                                 503, headers={"Retry-After": "1"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            REQUESTS_SHED.labels(self.service).inc()
            await self.busy(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1


def pool_capacity(engine: Engine) -> int | None:
    """How many connections the engine's pool hands out at most (None: no limit)."""
    pool = engine.pool
    if isinstance(pool, QueuePool):
        overflow = getattr(pool, "_max_overflow", 0)
        return None if overflow < 0 else pool.size() + overflow
    return None


# A pooled connection given back less than this long ago is handed out without a ping.
PING_IDLE_SECONDS = 1.0


def ping_when_idle(engine: Engine, idle_seconds: float = PING_IDLE_SECONDS) -> None:
    """The pool's pre-ping, only for connections idle for `idle_seconds` or more. `pool_pre_ping`
    pings on every checkout: at 200 requests/s that was a round trip per request and 14 % of the
    API's samples (py-spy). A connection used within the last second is as good as the request that
    just used it; one that sat idle (the database may have restarted meanwhile) is pinged and, if
    dead, replaced before the request sees it (a DisconnectionError makes the pool reconnect). A
    database gone within that second fails the first request with 503 and SQLAlchemy drops the pool."""

    @event.listens_for(engine, "connect")
    def connected(_dbapi_connection, record) -> None:
        record.info["minilok_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def checked_in(_dbapi_connection, record) -> None:
        if record is not None:
            record.info["minilok_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection, record, _proxy) -> None:
        since = record.info.get("minilok_idle_since")
        if since is not None and time.monotonic() - since < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc
        if alive is False:
            raise DisconnectionError("pooled connection failed its ping")


def check_dependencies(app: FastAPI) -> dict[str, str]:
    settings: ServiceSettings = app.state.settings
    return {"database": check_database(app.state.engine), "redis": check_redis(settings.redis_url),
            "rabbitmq": check_rabbitmq(settings.rabbitmq_url)}


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: list,
    on_startup: list[Callable[[FastAPI], None]] | None = None,
    audit_log: Table | None = None,
    idempotency_keys: Table | None = None,
    upload_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """`audit_log` (from `minilok_shared.audit.audit_table`): record every change made through the
    API there, and serve it at GET /api/v1/audit to admins. `upload_limits`: path patterns whose
    bodies may exceed `max_body_bytes`, and their own limits (file uploads)."""
    settings.require_strong_secret()  # WeakSecret: no app on a known or guessable secret
    if is_sqlite(settings.database_url):
        engine = make_engine(settings.database_url)
    else:
        engine = make_engine(settings.database_url, pool_pre_ping=False)
        ping_when_idle(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for hook in on_startup or []:
            hook(app)
        # What start-up built (routes, models, SQLAlchemy's and pydantic's caches: most of the heap)
        # goes to the permanent generation: a full collection no longer walks it, which is what
        # made some requests wait tens of milliseconds under load.
        gc.freeze()
        yield
        engine.dispose()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine, RequestSession)
    app.state.session_capacity = pool_capacity(engine)
    app.state.session_slots = WeakKeyDictionary()
    service = settings.service_name

    app.add_middleware(JsonGuard)
    if idempotency_keys is not None:
        app.add_middleware(Idempotency, sessions=app.state.sessionmaker, table=idempotency_keys,
                           secret=settings.minilok_secret, previous_secret=settings.minilok_secret_previous)
    app.add_middleware(RequestMetrics, service=service)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, larger=upload_limits)
    app.add_middleware(RateLimit, redis_url=settings.redis_url, key_prefix=settings.redis_key_prefix,
                       service=service, per_minute=settings.rate_limit_per_minute)
    if settings.limit_concurrency:
        app.add_middleware(ConcurrencyLimit, limit=settings.limit_concurrency, service=service)  # outermost

    @app.exception_handler(IntegrityError)
    async def integrity_error(_request: Request, exc: IntegrityError):
        log.info("integrity error answered 409: %s", exc.orig)
        return JSONResponse({"detail": "Data bentrok dengan yang sudah ada / conflicts with existing data"}, 409)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def unstorable_value(_request: Request, exc: Exception):
        # A value the database cannot hold: an id beyond 64 bits (SQLite raises OverflowError,
        # PostgreSQL "bigint out of range"), a NUL character in text (PostgreSQL). Bad input, not a fault.
        log.info("unstorable value answered 422: %s", getattr(exc, "orig", exc))
        return JSONResponse({"detail": [{"loc": ["body"], "msg": "nilai tidak dapat disimpan (angka di luar jangkauan "
                                         "atau karakter NUL) / value out of range or contains a NUL character",
                                         "type": "value_error"}]}, 422)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    async def database_down(_request: Request, exc: Exception):
        # Unreachable, restarting or dropped the connection: the client may retry the same request.
        log.warning("database unavailable, answered 503: %s", getattr(exc, "orig", exc))
        return database_unavailable()

    @app.get("/health", tags=["ops"])
    async def health():  # no I/O: answered on the event loop, no thread hop
        return {"status": "ok", "service": service}

    @app.get("/ready", tags=["ops"])
    def ready():
        status, body = readiness(service, check_dependencies(app))
        return JSONResponse(body, status_code=status)

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics():
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    if audit_log is not None:
        audit.install(app.state.sessionmaker, audit_log)
        routers = [*routers, audit.audit_router(audit_log)]
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    return app
