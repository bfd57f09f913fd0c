"""Load shedding in `get_session`: an API admits as many requests as its pool has connections;
one that waits longer than MINILOK_REQUEST_QUEUE_SECONDS for its turn gets 503 + Retry-After,
and the others go on as before."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from weakref import WeakKeyDictionary

import httpx
from fastapi import FastAPI
from minilok_shared.db import make_engine, make_sessionmaker
from minilok_shared.deps import SessionDep
from minilok_shared.web import pool_capacity
from sqlalchemy import QueuePool, text


def make_app(tmp_path, queue_seconds: float) -> tuple[FastAPI, asyncio.Event]:
    engine = make_engine(f"sqlite:///{tmp_path / 'shed.db'}", poolclass=QueuePool, pool_size=1, max_overflow=0)
    app = FastAPI()
    app.state.settings = SimpleNamespace(request_queue_seconds=queue_seconds, service_name="test")
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.session_capacity = pool_capacity(engine)
    app.state.session_slots = WeakKeyDictionary()
    release = asyncio.Event()

    @app.get("/hold")
    async def hold(session: SessionDep):
        await release.wait()  # holds its session slot until released
        return {"one": session.execute(text("SELECT 1")).scalar()}

    return app, release


def test_a_request_that_waits_too_long_for_a_session_gets_503_and_the_rest_go_on(tmp_path):
    async def scenario():
        app, release = make_app(tmp_path, queue_seconds=0.3)
        assert app.state.session_capacity == 1
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            holder = asyncio.create_task(client.get("/hold"))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            shed = await client.get("/hold")
            waited = time.monotonic() - started
            assert shed.status_code == 503
            assert shed.headers["retry-after"] == "1"
            assert "sibuk" in shed.json()["detail"] and "busy" in shed.json()["detail"]
            assert 0.25 < waited < 5
            release.set()
            assert (await holder).json() == {"one": 1}
            assert (await client.get("/hold")).status_code == 200  # the slot is free again
        app.state.engine.dispose()

    asyncio.run(scenario())


def test_a_request_queued_within_the_limit_is_served(tmp_path):
    async def scenario():
        app, release = make_app(tmp_path, queue_seconds=5)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            holder = asyncio.create_task(client.get("/hold"))
            await asyncio.sleep(0.05)
            queued = asyncio.create_task(client.get("/hold"))
            await asyncio.sleep(0.3)
            assert not queued.done()  # waiting for the one connection, not shed
            release.set()
            assert (await holder).status_code == 200
            assert (await queued).status_code == 200
        app.state.engine.dispose()

    asyncio.run(scenario())
