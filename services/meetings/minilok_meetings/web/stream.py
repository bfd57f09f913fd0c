"""`GET /live`: Server-Sent Events for the signed-in user's open page, fed by Redis pub/sub
(`web/live.py`). A stream lasts half a minute at most: the browser reconnects at once and the page
refreshes itself on reconnecting, so nothing is missed and a stopping server is never held up
for long by open streams."""

from __future__ import annotations

import json
import time

import redis.asyncio
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, StreamingResponse

from minilok_meetings.web import live
from minilok_meetings.web.session import web_user

router = APIRouter(include_in_schema=False)

STREAM_SECONDS = 30
KEEPALIVE_SECONDS = 15


@router.get("/live")
async def live_stream(request: Request):
    user = await run_in_threadpool(web_user, request)  # a database read: not on the event loop
    if user is None:
        return PlainTextResponse("Silakan masuk / sign in", status_code=401)
    puskesmas_ids = await run_in_threadpool(live.area_puskesmas, request.app, user.principal)
    client = redis.asyncio.Redis.from_url(request.app.state.settings.redis_url)
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(live.channel())
    except redis.RedisError:
        await client.aclose()
        return PlainTextResponse("Pembaruan langsung tidak tersedia / live updates unavailable", status_code=503)

    async def events():
        started = last_sent = time.monotonic()
        try:
            yield "retry: 2000\n\n"
            while time.monotonic() - started < STREAM_SECONDS and not await request.is_disconnected():
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    notice = json.loads(message["data"])
                    if live.concerns(user.principal, notice, puskesmas_ids):
                        yield f"event: change\ndata: {json.dumps(notice)}\n\n"
                        last_sent = time.monotonic()
                elif time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                    yield ": keepalive\n\n"
                    last_sent = time.monotonic()
        finally:
            await pubsub.aclose()
            await client.aclose()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
