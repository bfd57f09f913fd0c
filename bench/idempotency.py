"""What an Idempotency-Key costs: follow-up creates through the meetings API (in-process ASGI
client), without a key and with a fresh key each, alternating in rounds so that drift on a
shared machine hits both alike; and a replay (the same key again).

    python bench/idempotency.py [--creates 200] [--rounds 3] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import database, latency_summary, table, write_result  # noqa: E402

SECRET = "minilok-bench-secret-0123456789abcdef0123456789"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=200, help="creates per kind and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="PostgreSQL to use (default: a throwaway database)")
    args = parser.parse_args()
    os.environ.update(MINILOK_SECRET=SECRET, RATE_LIMIT_PER_MINUTE="0")

    with database(args.database_url, "minilok_bench_idem") as url:
        os.environ["MEETINGS_DATABASE_URL"] = url
        from fastapi.testclient import TestClient
        from minilok_meetings.spec import spec
        from minilok_shared.auth import create_token
        from minilok_shared.db import upgrade

        spec.settings.cache_clear()
        upgrade(spec.migrations, url, "meetings")
        with TestClient(spec.load(spec.app)()) as client:
            auth = {"Authorization": f"Bearer {create_token(SECRET, 'admin')}"}
            pid = client.post("/api/v1/puskesmas", headers=auth, json={
                "code": "BENCH", "name": "Puskesmas Bench", "timezone": "Asia/Makassar", "area_code": "64",
                "kota": "Kota Balikpapan", "provinsi": "Kalimantan Timur"}).json()["id"]
            owner = client.post("/api/v1/agencies", headers=auth, json={
                "name": "Kelurahan Bench", "kind": "kelurahan", "puskesmas_id": pid}).json()["id"]
            meeting = client.post("/api/v1/meetings", headers=auth, json={
                "puskesmas_id": pid, "kind": "other", "title": "Lokmin",
                "scheduled_at": "2026-03-02T09:00:00+08:00"}).json()["id"]
            path = f"/api/v1/meetings/{meeting}/follow-ups"
            body = {"title": "Fogging fokus RW 05", "owner_agency_id": owner, "due_in_working_days": 5}

            def create(key: str | None) -> float:
                headers = {**auth, "Idempotency-Key": key} if key else auth
                started = time.perf_counter()
                response = client.post(path, headers=headers, json=body)
                elapsed = time.perf_counter() - started
                assert response.status_code == 201, response.text
                return elapsed

            samples: dict[str, list[float]] = {"no key": [], "new key": [], "replayed key": []}
            create(None), create("warm-up")
            for _ in range(args.rounds):
                samples["no key"] += [create(None) for _ in range(args.creates)]
                keys = [uuid.uuid4().hex for _ in range(args.creates)]
                samples["new key"] += [create(k) for k in keys]
                samples["replayed key"] += [create(k) for k in keys]

    summary = {kind: latency_summary(s) for kind, s in samples.items()}
    print(table([(kind, s["count"], s["p50_ms"], s["p95_ms"], s["p99_ms"]) for kind, s in summary.items()],
                ("POST /follow-ups", "requests", "p50 ms", "p95 ms", "p99 ms")))
    print(f"written to {write_result('idempotency', {'latency': summary})}")


if __name__ == "__main__":
    main()
