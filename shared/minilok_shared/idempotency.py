"""Idempotency keys: a POST repeated with the same `Idempotency-Key` answers its first response.

How a request with a key runs (the contract, "Security defaults"):
1. Its key is reserved in the service's own `idempotency_keys` table, in a short transaction of its
   own: a second request with that key while the first runs gets 409, one with another body 422,
   and one after the first finished gets the stored response again.
2. The request runs with its database session *held*: `session.commit()` flushes and keeps a
   savepoint instead of committing, `session.rollback()` goes back to the last such point.
3. After the app has answered, the response is written to the key's row and the held transaction
   commits once: the change and the stored answer commit together or not at all. A crash or an
   outage at any moment leaves either both (a retry replays the answer) or neither (a retry runs
   the request again once the reservation's lease has passed).

The dashboard's forms carry the key as a hidden `idempotency_key` field (one per form render), so
a double submit creates nothing twice; multipart forms (the action page's, with a photo) too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio.to_thread
from sqlalchemy import (
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from minilok_shared.crypto import SecretBox, Undecryptable
from minilok_shared.db import BigId, UTCDateTime, utcnow
from minilok_shared.errors import database_unavailable
from minilok_shared.events.outbox import write_pending

log = logging.getLogger(__name__)

HEADER = b"idempotency-key"
FORM_FIELD = "idempotency_key"
SCOPE_KEY = "minilok.idempotency"
SESSION_COOKIE = "minilok_session"
KEEP_FOR = timedelta(hours=24)
# How long a reservation stands for a request that never finished (its process died, or its
# database went away before the answer was stored); then a retry runs the request again.
LEASE = timedelta(seconds=30)
_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")
_ANSWERS = SecretBox(salt=b"minilok-idempotency", purpose=b"stored answers of keyed requests")
_REPLAYED_HEADERS = {b"content-type", b"location", b"set-cookie", b"retry-after"}


def idempotency_table(metadata: MetaData) -> Table:
    table = Table(
        "idempotency_keys",
        metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        # sha256 of (caller, method, path, key): one caller's key never answers another's request
        Column("scope_hash", String(64), nullable=False, unique=True),
        Column("request_hash", String(64), nullable=False),  # sha256 of the body
        Column("status", String(10), nullable=False),  # running | done
        Column("created_at", UTCDateTime, nullable=False),
        Column("locked_until", UTCDateTime, nullable=False),
        Column("response_status", Integer, nullable=True),
        # The answer (status apart): headers worth replaying and body, encrypted (it may carry a
        # webhook secret or a session cookie).
        Column("response", LargeBinary, nullable=True),
    )
    Index("ix_idempotency_keys_created_at", table.c.created_at)
    return table


@dataclass
class Hold:
    """One keyed request's held session: its commit points and what runs after the real commit."""

    session: Session | None = None
    committed: bool = False  # the request asked for a commit at least once
    savepoint: SessionTransaction | None = None
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    finish: Callable[[], None] | None = None  # gives the session's slot back (set by get_session)


class RequestSession(Session):
    """The session of an API request. Held (see the module's docstring) when the request carries
    an idempotency key; otherwise an ordinary session."""

    def commit(self) -> None:
        hold: Hold | None = self.info.get(SCOPE_KEY)
        if hold is None:
            super().commit()
            return
        self.flush()
        write_pending(self)  # the outbox rows of this commit point
        if hold.savepoint is not None and hold.savepoint.is_active:
            hold.savepoint.commit()
        hold.committed = True
        hold.savepoint = self.begin_nested()

    def rollback(self) -> None:
        hold: Hold | None = self.info.get(SCOPE_KEY)
        if hold is None or hold.savepoint is None or not hold.savepoint.is_active:
            super().rollback()
            return
        hold.savepoint.rollback()  # back to the last commit point, which stays
        hold.savepoint = self.begin_nested()


def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run `fn` once the caller's change is really committed: at once for an ordinary session
    (call it after `session.commit()`), after the final commit for a held one."""
    hold: Hold | None = session.info.get(SCOPE_KEY)
    if hold is None:
        fn()
    else:
        hold.after_commit.append(fn)


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()


def _caller(headers: dict[bytes, bytes]) -> bytes:
    """Who asks: the bearer token, or the dashboard's session cookie."""
    if b"authorization" in headers:
        return b"auth:" + headers[b"authorization"]
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # an unreadable cookie header: no session, anonymous
        return b"anonymous"
    morsel = cookie.get(SESSION_COOKIE)
    return b"session:" + morsel.value.encode() if morsel else b"anonymous"


# The field as a browser writes it in a multipart form (the action page's forms carry a photo).
_MULTIPART_KEY = re.compile(rb'\r\nContent-Disposition: form-data; name="' + FORM_FIELD.encode()
                            + rb'"\r\n\r\n([\x21-\x7e]{1,255})\r\n', re.IGNORECASE)


def _form_key(headers: dict[bytes, bytes], body: bytes) -> str | None:
    content_type = headers.get(b"content-type", b"")
    if FORM_FIELD.encode() not in body:
        return None
    if content_type.startswith(b"multipart/form-data"):
        found = _MULTIPART_KEY.search(body)
        return found.group(1).decode("ascii") if found else None
    if not content_type.startswith(b"application/x-www-form-urlencoded"):
        return None
    values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FORM_FIELD)
    return values[0] if values else None


def _request_hash(content_type: bytes, body: bytes) -> str:
    """What "the same body" means: for a multipart form, the same fields and files, whatever
    boundary each submit chose (a browser picks a new one every time)."""
    if content_type.startswith(b"multipart/form-data"):
        found = re.search(rb'boundary="?([^";]+)"?', content_type)
        if found:
            return _digest(b"multipart/form-data", body.replace(found.group(1), b""))
    return _digest(content_type, body)


def _problem(status: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status, headers=headers)


@dataclass
class _Decision:
    action: str  # run | replay | busy | mismatch
    row_id: int | None = None
    locked_until: datetime | None = None
    row: Any = None


class Idempotency:
    """ASGI middleware: keyed POSTs run once (see the module's docstring)."""

    def __init__(self, app: ASGIApp, sessions: sessionmaker, table: Table, secret: str, previous_secret: str = ""):
        self.app, self.sessions, self.table = app, sessions, table
        self.secret, self.previous_secret = secret, previous_secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key_header = headers.get(HEADER)
        content_type = headers.get(b"content-type", b"")
        if key_header is None and not content_type.startswith((b"application/x-www-form-urlencoded",
                                                               b"multipart/form-data")):
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        key = key_header.decode("latin-1") if key_header is not None else _form_key(headers, body)
        replay_receive = _replaying(body, more, receive)
        if key is None:
            await self.app(scope, replay_receive, send)
            return
        if not _KEY_PATTERN.fullmatch(key):
            await _problem(422, [{"loc": ["header", "Idempotency-Key"], "type": "value_error",
                                  "msg": "Idempotency-Key harus 1-255 karakter ASCII tanpa spasi / "
                                         "must be 1-255 printable ASCII characters"}])(scope, receive, send)
            return
        scope_hash = _digest(_caller(headers), scope["method"].encode(), scope["path"].encode(), key.encode())
        request_hash = _request_hash(headers.get(b"content-type", b""), body)
        try:
            decision = await anyio.to_thread.run_sync(self._reserve, scope_hash, request_hash)
        except SQLAlchemyError:
            log.warning("idempotency key could not be reserved: database unavailable", exc_info=True)
            await database_unavailable()(scope, receive, send)
            return
        if decision.action == "mismatch":
            await _problem(422, [{"loc": ["header", "Idempotency-Key"], "type": "value_error",
                                  "msg": "Idempotency-Key ini sudah dipakai untuk permintaan lain / this key was "
                                         "used with a different request body"}])(scope, receive, send)
            return
        if decision.action == "busy":
            await _problem(409, "Permintaan dengan Idempotency-Key ini masih berjalan / a request with this "
                                "Idempotency-Key is still running", {"Retry-After": "1"})(scope, receive, send)
            return
        if decision.action == "replay":
            try:
                headers, body = self._open(decision.row.response)
            except Undecryptable as exc:
                await _problem(409, str(exc))(scope, receive, send)
                return
            await _replay(decision.row.response_status, headers, body, send)
            return
        await self._run(scope, replay_receive, send, decision)

    async def _run(self, scope: Scope, receive: Receive, send: Send, decision: _Decision) -> None:
        hold = Hold()
        scope[SCOPE_KEY] = hold
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        outcome = None
        try:
            try:
                await self.app(scope, receive, capture)
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._abandon, hold, decision)
                raise
            start = next((m for m in messages if m["type"] == "http.response.start"), None)
            with anyio.CancelScope(shield=True):
                if start is None or start["status"] >= 500:
                    await anyio.to_thread.run_sync(self._abandon, hold, decision)
                else:
                    outcome = await anyio.to_thread.run_sync(self._finish, hold, decision, start, messages)
        finally:
            if hold.finish is not None:
                hold.finish()  # the session's slot: an anyio semaphore, given back on the event loop
        if outcome is not None:
            await outcome(scope, receive, send)
            return
        for message in messages:
            await send(message)

    # --- database work (in a worker thread) ----------------------------------------------

    def _reserve(self, scope_hash: str, request_hash: str) -> _Decision:
        t = self.table
        now = utcnow()
        with self.sessions() as session:
            if random.random() < 0.01:  # now and then, forget keys older than a day
                session.execute(delete(t).where(t.c.created_at < now - KEEP_FOR))
            row = session.execute(select(t).where(t.c.scope_hash == scope_hash)).first()
            if row is not None and row.created_at < now - KEEP_FOR:
                session.execute(delete(t).where(t.c.id == row.id))
                row = None
            if row is None:
                locked_until = now + LEASE
                try:
                    row_id = session.execute(
                        insert(t).values(scope_hash=scope_hash, request_hash=request_hash, status="running",
                                         created_at=now, locked_until=locked_until).returning(t.c.id)
                    ).scalar_one()
                    session.commit()
                except IntegrityError:  # another request with this key got there first
                    session.rollback()
                    return _Decision("busy")
                return _Decision("run", row_id, locked_until)
            if row.request_hash != request_hash:
                return _Decision("mismatch")
            if row.status == "done":
                return _Decision("replay", row=row)
            if row.locked_until > now:
                return _Decision("busy")
            # The first request never finished: take its reservation over (once).
            locked_until = now + LEASE
            taken = session.execute(update(t).where(t.c.id == row.id, t.c.locked_until == row.locked_until)
                                    .values(locked_until=locked_until)).rowcount
            session.commit()
            return _Decision("run", row.id, locked_until) if taken == 1 else _Decision("busy")

    def _finish(self, hold: Hold, decision: _Decision, start: Message, messages: list[Message]):
        """Store the answer and commit the held change with it; an ASGI response to send instead
        when that failed (None: send the app's answer)."""
        t = self.table
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        replayed = [[name.decode("latin-1"), value.decode("latin-1")] for name, value in start["headers"]
                    if name.lower() in _REPLAYED_HEADERS]
        session = hold.session
        own_session = session is None
        if own_session:
            session = self.sessions()
        try:
            if hold.committed:
                hold.savepoint.rollback()  # work after the last commit point was never committed
            else:
                Session.rollback(session)  # nothing was committed: nothing of it stays
            session.info.pop(SCOPE_KEY, None)
            stored = session.execute(
                update(t).where(t.c.id == decision.row_id, t.c.status == "running",
                                t.c.locked_until == decision.locked_until)
                .values(status="done", response_status=start["status"], response=self._seal(replayed, body))
            ).rowcount
            if stored != 1:
                Session.rollback(session)
                return _problem(409, "Permintaan dengan Idempotency-Key ini diambil alih oleh percobaan ulang / "
                                     "a retry with this Idempotency-Key took over")
            Session.commit(session)
        except SQLAlchemyError:
            log.warning("a keyed request could not be committed: database unavailable", exc_info=True)
            self._close(session)
            return database_unavailable()
        finally:
            self._close(session)
        for fn in hold.after_commit:
            try:
                fn()
            except Exception:
                log.exception("after-commit step of a keyed request failed")
        return None

    def _abandon(self, hold: Hold, decision: _Decision) -> None:
        """The request failed (5xx or an exception): nothing of it stays, and its key is free again."""
        if hold.session is not None:
            self._close(hold.session)
        try:
            with self.sessions() as session:
                session.execute(delete(self.table).where(self.table.c.id == decision.row_id,
                                                         self.table.c.locked_until == decision.locked_until))
                session.commit()
        except SQLAlchemyError:
            log.warning("idempotency reservation left to expire: database unavailable", exc_info=True)

    def _seal(self, headers: list[list[str]], body: bytes) -> bytes:
        answer = json.dumps({"headers": headers, "body": base64.b64encode(body).decode()})
        return _ANSWERS.encrypt(self.secret, answer).encode()

    def _open(self, sealed: bytes) -> tuple[list[list[str]], bytes]:
        answer = json.loads(_ANSWERS.decrypt(self.secret, sealed.decode(), self.previous_secret))
        return answer["headers"], base64.b64decode(answer["body"])

    @staticmethod
    def _close(session: Session) -> None:
        session.info.pop(SCOPE_KEY, None)
        try:
            session.close()
        except SQLAlchemyError:
            log.debug("closing a session whose database went away", exc_info=True)


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole body, and any message that came after it (a disconnect)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), [message]
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), []


def _replaying(body: bytes, after: list[Message], receive: Receive) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}, *after]

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _replay(status: int, headers: list[list[str]], body: bytes, send: Send) -> None:
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    raw += [(b"content-length", str(len(body)).encode()), (b"idempotent-replayed", b"true")]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
