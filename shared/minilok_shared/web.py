"""The FastAPI app every service builds on: health, readiness, metrics, body-size limit,
uniform JSON errors, and a database session dependency."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated

import pika
import redis
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Table, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from minilok_shared.config import ServiceSettings
from minilok_shared.db import make_engine, make_sessionmaker
from minilok_shared.metrics import HTTP_LATENCY, HTTP_REQUESTS
from minilok_shared.ratelimit import RateLimit

log = logging.getLogger(__name__)


class BodySizeLimit:
    """413 before reading a body larger than the limit (by Content-Length or as it streams)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
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
                if received > self.max_bytes:
                    answered = True
                    await self._too_large(send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if not answered:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)

    async def _too_large(self, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"Isi permintaan terlalu besar / request body exceeds {self.max_bytes} bytes"}, 413
        )
        await response({"type": "http"}, None, send)


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessionmaker() as session:
        session.info["minilok_request"] = request  # the audit log finds the caller through it
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def check_dependencies(app: FastAPI) -> dict[str, str]:
    settings: ServiceSettings = app.state.settings
    checks: dict[str, str] = {}
    try:
        with app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    try:
        params = pika.URLParameters(settings.rabbitmq_url)
        params.socket_timeout = 1
        params.blocked_connection_timeout = 1
        params.connection_attempts = 1
        pika.BlockingConnection(params).close()
        checks["rabbitmq"] = "ok"
    except Exception as exc:
        checks["rabbitmq"] = f"error: {type(exc).__name__}"
    return checks


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: list,
    on_startup: list[Callable[[FastAPI], None]] | None = None,
    audit_log: Table | None = None,
) -> FastAPI:
    """`audit_log` (from `minilok_shared.audit.audit_table`): record every change made through the
    API there, and serve it at GET /api/v1/audit to admins."""
    from minilok_shared import audit

    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if settings.uses_default_secret():
            log.warning("MINILOK_SECRET is the development default; set it in production")
        for hook in on_startup or []:
            hook(app)
        yield
        engine.dispose()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    service = settings.service_name

    @app.middleware("http")
    async def metrics_middleware(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(service, request.method, path, response.status_code).inc()
        HTTP_LATENCY.labels(service, request.method, path).observe(time.perf_counter() - started)
        return response

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RateLimit, redis_url=settings.redis_url, key_prefix=settings.redis_key_prefix,
                       service=service, per_minute=settings.rate_limit_per_minute)

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

    @app.get("/health", tags=["ops"])
    def health():
        return {"status": "ok", "service": service}

    @app.get("/ready", tags=["ops"])
    def ready():
        checks = check_dependencies(app)
        failing = [name for name, result in checks.items() if result != "ok"]
        body = {"status": "ok" if not failing else "unavailable", "service": service, "checks": checks,
                "failing": failing}
        return JSONResponse(body, status_code=200 if not failing else 503)

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics():
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    if audit_log is not None:
        audit.install(app.state.sessionmaker, audit_log)
        routers = [*routers, audit.audit_router(audit_log)]
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    return app
