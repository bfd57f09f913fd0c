"""Rate limit per bearer token (per client address on the sign-in routes, which take none),
counted in Redis so that every API process of a service shares one budget: at most
RATE_LIMIT_PER_MINUTE requests in each clock minute (0 turns it off), then 429 with Retry-After
until the minute ends. Redis unreachable: requests pass (availability over strictness) and a
warning is logged. One Redis command per request (a Lua script: count and expiry together),
awaited: the event loop serves other requests while Redis answers."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
from weakref import WeakKeyDictionary

import redis
import redis.asyncio
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

# Routes whose credential is the action link in the path (meetings: the JSON actions and the page).
LINK_PREFIXES = ("/api/v1/actions/", "/a/")

# The ways in (sign-in by code) take no token: they are counted per client address instead.
OPEN_PATHS = ("/api/v1/auth/",)

# The request's count in this clock minute; the key lives a minute past it.
_COUNT = """local used = redis.call('INCR', KEYS[1])
if used == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return used"""


class RateLimit:
    def __init__(self, app: ASGIApp, *, redis_url: str, key_prefix: str, service: str, per_minute: int):
        self.app, self.per_minute = app, per_minute
        self.prefix = f"{key_prefix}ratelimit:{service}:"
        self.redis_url = redis_url
        # An asyncio client belongs to its event loop (tests run several loops over one app).
        self._scripts: WeakKeyDictionary = WeakKeyDictionary()

    def _script(self):
        loop = asyncio.get_running_loop()
        script = self._scripts.get(loop)
        if script is None:
            client = redis.asyncio.Redis.from_url(self.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
            script = self._scripts[loop] = client.register_script(_COUNT)
        return script

    def _token(self, scope: Scope) -> str | None:
        for prefix in LINK_PREFIXES:
            if scope["path"].startswith(prefix):
                link = scope["path"][len(prefix):].partition("/")[0]
                return "link:" + hashlib.sha256(link.encode()).hexdigest()[:32] if link else None
        if not scope["path"].startswith("/api/"):
            return None
        value = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, token = value.partition(b" ")
        if scheme.lower() != b"bearer" or not token:
            if scope["path"].startswith(OPEN_PATHS) and scope.get("client"):
                return "address:" + hashlib.sha256(scope["client"][0].encode()).hexdigest()[:32]
            return None  # answered 401 anyway; nothing to count against
        return hashlib.sha256(token).hexdigest()[:32]

    async def count(self, token: str, now: float) -> int:
        window = int(now // 60)
        return await self._script()(keys=[f"{self.prefix}{token}:{window}"], args=[120])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = self._token(scope) if scope["type"] == "http" and self.per_minute > 0 else None
        if token is not None:
            now = time.time()
            try:
                used = await self.count(token, now)
            except redis.RedisError as exc:
                log.warning("rate limit not checked, Redis unavailable: %s", exc)
                used = 0
            if used > self.per_minute:
                retry_after = max(1, math.ceil(60 - now % 60))
                response = JSONResponse(
                    {"detail": f"Terlalu banyak permintaan; coba lagi dalam {retry_after} detik / "
                               f"rate limit of {self.per_minute} requests per minute exceeded"},
                    status_code=429, headers={"Retry-After": str(retry_after)})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
