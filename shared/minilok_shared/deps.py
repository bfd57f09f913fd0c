"""Dependencies every route declares: the request's database session and the caller (principal)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from minilok_shared.auth import InvalidToken, Principal, TokensUnchecked, authenticate, revocation_list
from minilok_shared.errors import forbidden
from minilok_shared.idempotency import SCOPE_KEY as IDEMPOTENCY_SCOPE
from minilok_shared.idempotency import Hold
from minilok_shared.metrics import REQUESTS_SHED

T = TypeVar("T")


def _session_slots(app: FastAPI) -> anyio.Semaphore | None:
    """One semaphore per event loop (tests run several loops over one app)."""
    capacity = getattr(app.state, "session_capacity", None)
    if capacity is None:
        return None
    slots = app.state.session_slots
    loop = asyncio.get_running_loop()
    if loop not in slots:
        slots[loop] = anyio.Semaphore(capacity)
    return slots[loop]


async def _take_session_slot(request: Request) -> anyio.Semaphore | None:
    """Wait for one of the app's session slots (None: the app has no gate) and return the gate;
    past MINILOK_REQUEST_QUEUE_SECONDS the request is shed with 503 and Retry-After."""
    slots = _session_slots(request.app)
    if slots is not None:
        acquired = False
        with anyio.move_on_after(request.app.state.settings.request_queue_seconds or None):
            await slots.acquire()
            acquired = True
        if not acquired:
            REQUESTS_SHED.labels(request.app.state.settings.service_name).inc()
            raise HTTPException(503, "Layanan sedang sibuk, coba lagi sebentar / service busy, retry shortly",
                                headers={"Retry-After": "1"})
    return slots


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session.

    At most as many requests hold a session as the pool has connections; the others wait here,
    on the event loop. Without this gate an overloaded API deadlocked until the pool's 30 s
    timeout: every thread of the pool waited for a connection, while the requests holding the
    connections waited for a thread to validate their response (FastAPI does that in the thread
    pool for `def` endpoints) or to close their session.

    Opening a session does no I/O (it takes a connection at its first query, in the endpoint's
    thread). Closing one that is still in a transaction (rollback, connection back to the pool)
    runs in a thread of its own, shielded from cancellation and outside the thread pool's limit;
    one whose transaction has ended (committed, or closed by `read_in_thread`) closes at once.

    A request that waits longer than MINILOK_REQUEST_QUEUE_SECONDS for its turn gets 503 with
    Retry-After (load shedding when the database is the bottleneck)."""
    slots = await _take_session_slot(request)
    hold: Hold | None = request.scope.get(IDEMPOTENCY_SCOPE)
    try:
        session = request.app.state.sessionmaker()
        session.info["minilok_request"] = request  # the audit log finds the caller through it
        if hold is not None:
            session.info[IDEMPOTENCY_SCOPE] = hold
            hold.session = session
        try:
            yield session
        finally:
            if hold is not None:
                # The idempotency middleware commits the held change with the stored answer, then
                # closes the session and gives its slot back.
                hold.finish = slots.release if slots is not None else None
            elif session.in_transaction():
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))
            else:
                session.close()
    finally:
        if slots is not None and hold is None:
            slots.release()


async def read_in_thread(session: Session, read: Callable[..., T], *args: Any) -> T:
    """`read(*args)` (blocking database reads that build the answer) in the thread pool, then the
    session's connection back to the pool in the same thread: from an `async def` endpoint, a
    read costs one thread hop, and FastAPI validates and serializes the answer on the event loop
    (a `def` endpoint costs three: the endpoint, its response validation, the session's close)."""

    def run() -> T:
        try:
            return read(*args)
        finally:
            session.close()

    return await run_in_threadpool(run)


async def read_with_session(request: Request, read: Callable[..., T], *args: Any) -> T:
    """`read(session, *args)` in the thread pool on a session of its own, closed in the same thread:
    what `get_session` + `read_in_thread` do, without a dependency. The hot read routes (a page of
    follow-ups, one follow-up) call it from the endpoint instead of declaring `SessionDep`: a
    generator dependency costs FastAPI an exit stack and a shielded context manager per request.
    Same gate as `get_session` (at most the pool's connections at once, 503 with Retry-After past
    MINILOK_REQUEST_QUEUE_SECONDS); the slot is given back only once the thread is done with the
    session (the thread is not abandoned when the request is cancelled)."""
    slots = await _take_session_slot(request)
    try:
        session = request.app.state.sessionmaker()
        session.info["minilok_request"] = request

        def run() -> T:
            try:
                # Autocommit: the read's statements go alone, without the BEGIN before them and the
                # ROLLBACK at close (two round trips and ~0.1 ms of CPU on each side per request).
                session.connection(execution_options=_READ_ONLY)
                return read(session, *args)
            finally:
                session.close()

        return await run_in_threadpool(run)
    finally:
        if slots is not None:
            slots.release()


_READ_ONLY = {"isolation_level": "AUTOCOMMIT"}


SessionDep = Annotated[Session, Depends(get_session)]


_bearer = HTTPBearer(auto_error=False)


# `async def` although nothing here waits: FastAPI runs a plain `def` dependency in its thread pool,
# a round trip between the event loop and a worker thread per request for ~50 µs of HMAC.
async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Token tidak ada / missing bearer token",
                            headers={"WWW-Authenticate": "Bearer"})
    revocations = revocation_list(request.app)
    if revocations.stale():  # at most every ~2 s per process: the only database read of this check
        await anyio.to_thread.run_sync(revocations.refresh)
    try:
        principal = authenticate(request.app, credentials.credentials)
    except InvalidToken as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"Token tidak sah / {exc}",
                            headers={"WWW-Authenticate": "Bearer"}) from exc
    except TokensUnchecked as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "Token belum dapat diperiksa, coba lagi sebentar / cannot check tokens yet, retry shortly",
                            headers={"Retry-After": "2"}) from exc
    request.state.principal = principal  # who the audit log names
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str):
    async def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise forbidden(f"Peran {principal.role} tidak diizinkan / role {principal.role} not allowed")
        return principal

    return Depends(check)
