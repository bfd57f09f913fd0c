"""What every benchmark here needs: a throwaway PostgreSQL database, RSS sampling of processes,
percentiles, the machine's state, and the JSON result in bench/results/."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RESULTS = Path(__file__).resolve().parent / "results"


def fresh_database(url: str | None = None, prefix: str = "minilok_bench", admin: str = PG_ADMIN) -> str:
    """`url` when given, else a new empty database on the server of `admin` (a URL of it)."""
    if url:
        return url
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.rsplit("/", 1)[0] + f"/{name}"


def drop_database(url: str, admin: str = PG_ADMIN) -> None:
    name = url.rsplit("/", 1)[1]
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextmanager
def database(url: str | None, prefix: str = "minilok_bench"):
    """A throwaway database for the run (dropped after), or the one given (kept)."""
    created = fresh_database(url, prefix)
    try:
        yield created
    finally:
        if not url:
            drop_database(created)


def percentile(samples: list[float], q: float) -> float:
    """q in 0..100, linear interpolation between the closest ranks (numpy's default)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    return {"count": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
            "p99_ms": round(percentile(ms, 99), 2), "max_ms": round(ms[-1], 2) if ms else None}


class RssSampler:
    """Peak and first/last resident set size of processes (and their children), sampled on a thread."""

    def __init__(self, pids: dict[str, int], interval: float = 0.5):
        import psutil

        self._psutil = psutil
        self.pids, self.interval = pids, interval
        self.peak: dict[str, int] = {name: 0 for name in pids}
        self.first: dict[str, int] = {}
        self.last: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self, pid: int) -> int:
        try:
            process = self._psutil.Process(pid)
            return process.memory_info().rss + sum(
                child.memory_info().rss for child in process.children(recursive=True))
        except self._psutil.Error:
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                rss = self._rss(pid)
                if rss:
                    self.first.setdefault(name, rss)
                    self.last[name] = rss
                    self.peak[name] = max(self.peak[name], rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def summary_mib(self) -> dict[str, dict]:
        mib = 1024 * 1024
        return {name: {"peak_mib": round(self.peak[name] / mib, 1),
                       "first_mib": round(self.first.get(name, 0) / mib, 1),
                       "last_mib": round(self.last.get(name, 0) / mib, 1)} for name in self.pids}


def machine() -> dict:
    return {"cores": os.cpu_count(), "python": sys.version.split()[0], "load_average": list(os.getloadavg()),
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def write_result(name: str, result: dict) -> Path:
    """bench/results/<name>-<UTC time>.json and bench/results/<name>-latest.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    body = json.dumps({"benchmark": name, **result, "machine": machine()}, indent=2, default=str)
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(body)
    (RESULTS / f"{name}-latest.json").write_text(body)
    return path


def table(rows: list[tuple], headers: tuple) -> str:
    """A plain text table, columns padded to fit."""
    cells = [tuple(str(c) for c in headers)] + [tuple("" if c is None else str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Timer:
    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started


def insert_due_followups(conn, *, meeting_id: int, puskesmas_id: int, agency_ids: list[int], count: int,
                         due: datetime) -> None:
    """`count` open follow-ups of one meeting, owners in turn, all due at `due` with their
    overdue reminder due then too: the next reminder scan emits `followup.overdue` for each."""
    from minilok_meetings import models

    rows = [dict(meeting_id=meeting_id, puskesmas_id=puskesmas_id, title=f"RTL {i}",
                 owner_agency_id=agency_ids[i % len(agency_ids)], due_at=due, priority="normal", status="open",
                 escalation_level=0, percent=0, created_at=due, updated_at=due, next_reminder_at=due,
                 reminder_stage=1)
            for i in range(count)]
    for start in range(0, count, 10_000):
        conn.execute(models.FollowUp.__table__.insert(), rows[start:start + 10_000])
