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


async def run(url: str, requests: int) -> dict:
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
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                                                   base_url="http://bench") as client:
        kinds = {
            "list": lambda: ("/api/v1/follow-ups", {"limit": 50, "status": rng.choice(["open", "in_progress"])},
                             tokens[rng.choice(puskesmas)]),
            "get": lambda: (f"/api/v1/follow-ups/{(f := rng.choice(followups))[0]}", {}, tokens.get(f[1])
                            or tokens[puskesmas[0]]),
        }
        for kind, make in kinds.items():
            for warm in (True, False):
                n = 200 if warm else requests
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(n):
                    path, params, headers = make()
                    r = await client.get(path, params=params, headers=headers)
                    assert r.status_code in (200, 403), (r.status_code, r.text[:200])
                if not warm:
                    results[kind] = {"cpu_ms_per_request": round((time.process_time() - cpu) / n * 1000, 3),
                                     "wall_ms_per_request": round((time.perf_counter() - wall) / n * 1000, 3)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    result = asyncio.run(run(args.database_url, args.requests))
    print(json.dumps({"load_average": os.getloadavg(), **result}))


if __name__ == "__main__":
    main()
