"""API CPU per request, without the HTTP server or a load generator: the meetings app (all its
middleware, auth, rate limit in Redis, the real database) driven in-process, one request after
another, timed by this process's CPU clock (time.process_time), which other load on the machine
barely moves. Run it twice in a row on the same database to compare two versions of the code
(e.g. PYTHONPATH pointing at an older checkout's shared/ and services/meetings/).

    python bench/api_cpu.py --database-url postgresql+psycopg://...  [--requests 2000]

The database is one `bench/api_load.py --database-url ...` seeded (it is only read).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time

import httpx
from sqlalchemy import create_engine, text


class _Answer:
    def __init__(self, status_code: int, body: bytes):
        self.status_code, self.text = status_code, body.decode(errors="replace")


class DirectClient:
    """Calls the ASGI app itself (one http scope per request, as uvicorn builds it), so that the
    figure is the app's CPU alone: httpx's ASGI transport costs ~0.5 ms per request of its own."""

    def __init__(self, app):
        self.app = app

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return None

    async def get(self, path: str, params: dict, headers: dict) -> _Answer:
        query = "&".join(f"{k}={v}" for k, v in params.items()).encode()
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
                 "root_path": "", "server": ("bench", 80), "client": ("127.0.0.1", 50000),
                 "headers": [(b"host", b"bench"), *((k.lower().encode(), v.encode()) for k, v in headers.items())]}
        status, body = 0, []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return _Answer(status, b"".join(body))


async def run(url: str, requests: int, profile: str | None = None, kinds_wanted: tuple[str, ...] = ("list", "get"),
              direct: bool = False) -> dict:
    os.environ["MEETINGS_DATABASE_URL"] = url
    os.environ.setdefault("MINILOK_DEV", "1")
    os.environ.setdefault("RATE_LIMIT_PER_MINUTE", "100000000")
    from minilok_meetings.spec import spec
    from minilok_shared.auth import create_token

    engine = create_engine(url)
    with engine.connect() as conn:
        puskesmas = conn.scalars(text("SELECT id FROM puskesmas ORDER BY id LIMIT 200")).all()
        followups = conn.execute(text("SELECT id, puskesmas_id FROM followups TABLESAMPLE SYSTEM (1) LIMIT 2000")).all()
    engine.dispose()
    app = spec.load(spec.app)()
    secret = app.state.settings.minilok_secret
    tokens = {p: {"Authorization": f"Bearer {create_token(secret, 'puskesmas', puskesmas_id=p)}"} for p in puskesmas}
    rng = random.Random(1)
    results = {}
    http = DirectClient(app) if direct else httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench")
    async with app.router.lifespan_context(app), http as client:
        kinds = {
            "list": lambda: ("/api/v1/follow-ups", {"limit": 50, "status": rng.choice(["open", "in_progress"])},
                             tokens[rng.choice(puskesmas)]),
            "get": lambda: (f"/api/v1/follow-ups/{(f := rng.choice(followups))[0]}", {}, tokens.get(f[1])
                            or tokens[puskesmas[0]]),
        }
        for kind, make in kinds.items():
            if kind not in kinds_wanted:
                continue
            for warm in (True, False):
                n = 200 if warm else requests
                profiler = None
                if profile and not warm:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(n):
                    path, params, headers = make()
                    r = await client.get(path, params=params, headers=headers)
                    assert r.status_code in (200, 403), (r.status_code, r.text[:200])
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(f"{profile}.{kind}.prof")
                if not warm:
                    results[kind] = {"cpu_ms_per_request": round((time.process_time() - cpu) / n * 1000, 3),
                                     "wall_ms_per_request": round((time.perf_counter() - wall) / n * 1000, 3)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--kinds", nargs="+", default=["list", "get"], choices=["list", "get"])
    parser.add_argument("--profile", metavar="PREFIX",
                        help="cProfile the measured requests into PREFIX.<kind>.prof (the CPU figures then include "
                             "the profiler's own cost: compare them only with each other)")
    parser.add_argument("--direct", action="store_true",
                        help="call the ASGI app directly instead of through httpx's ASGI transport (the app's CPU "
                             "alone; without it the figure includes ~0.5 ms per request of httpx, as earlier runs did)")
    args = parser.parse_args()
    result = asyncio.run(run(args.database_url, args.requests, args.profile, tuple(args.kinds), args.direct))
    print(json.dumps({"load_average": os.getloadavg(), "driver": "direct" if args.direct else "httpx", **result}))


if __name__ == "__main__":
    main()
