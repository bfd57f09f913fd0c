"""API load (issue 9): the real meetings API (`minilok serve meetings`) on a PostgreSQL database
of 1,000,000 follow-ups, under an open-loop load at a fixed rate.

    python bench/api_load.py [--rate 200] [--duration 60] [--followups 1000000] [--database-url ...]

Scenarios, each `--duration` seconds at `--rate` requests/s after `--warmup` seconds not counted:
  health  GET /health: the floor of server + load generator (no database, no auth)
  list    GET /api/v1/follow-ups with typical filters (a puskesmas token, or admin with puskesmas_id;
          status / overdue; limit 50); a quarter of the requests follow a next_cursor of an earlier page
  get     GET /api/v1/follow-ups/{id} of a random follow-up (its puskesmas's token or admin); not run
          unless named in --scenarios
  create  POST /api/v1/meetings/{id}/follow-ups (owner and 0-2 supporting agencies of that puskesmas)
  mix     70 % list, 15 % GET /api/v1/follow-ups/{id}, 15 % create
Then the list again at rising rates (`--max-step`, `--step-duration`) until p99 > `--p99-target-ms`
or an error: the highest rate that passed is the maximum sustainable rate.

Open loop: request i is due at start + i/rate whether or not earlier ones have answered, and its
latency counts from that due time (so a slow server cannot lower the offered load and hide its own
queueing: no coordinated omission). `lag` is how late the generator sent requests; with the
generator's CPU it tells whether the generator, not the server, was the limit.

The database: a fresh PostgreSQL database (dropped at the end), migrated by the service's own
Alembic upgrade, seeded server-side in bulk (INSERT ... SELECT generate_series): ~1,000
puskesmas of unequal size, 20 agencies and 12 monthly meetings each, follow-ups in creation
order over a year with a realistic spread of statuses (old ones mostly done), due dates, overdue
escalation levels and supporting agencies (about 55 %), then VACUUM ANALYZE. History, outbox and
audit start empty. With --database-url an existing database is used (and kept); if it already
holds follow-ups, seeding is skipped.

The API runs as users run it, with a raised RATE_LIMIT_PER_MINUTE (the limiter still counts every
request in Redis). The admin token comes from `minilok token create`; puskesmas tokens from the
same function in-process (one per puskesmas). RSS and CPU of the API process (and any children)
are sampled with psutil. JSON goes to bench/results/api-load-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import psutil
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import drop_database, fresh_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
AGENCIES_PER_PUSKESMAS = 20
MEETINGS_PER_PUSKESMAS = 12


# --- database --------------------------------------------------------------------------------


AGENCY_KINDS = ["kecamatan", "kelurahan", "kelurahan", "kelurahan", "kelurahan", "pkk", "lpm", "posyandu",
                "posyandu", "posyandu", "posyandu", "kader", "babinsa", "bhabinkamtibmas", "sekolah", "sekolah",
                "dinas_sosial", "rt", "rw", "tokoh_masyarakat"]
TITLES = ["Sweeping imunisasi dasar lengkap", "Pemberantasan sarang nyamuk serentak", "Kunjungan rumah balita gizi kurang",
          "Pelacakan kontak erat TB", "Penyuluhan ASI eksklusif", "Kelas ibu hamil", "Pemeriksaan jentik berkala",
          "Revitalisasi posyandu", "Pendataan sasaran D/S", "Skrining hipertensi lansia", "Fogging fokus",
          "Pemberian makanan tambahan", "Rapat koordinasi kader", "Pelaporan kasus DBD 1x24 jam"]
ACTIONS = ["Kader mendata ulang sasaran dan melaporkan ke bidan desa setiap minggu; kelurahan menyiapkan tempat dan undangan.",
           "Babinsa dan Bhabinkamtibmas mendampingi petugas dalam kunjungan rumah; PKK menyiapkan konsumsi kegiatan.",
           "Sekolah menjadwalkan pemeriksaan, puskesmas mengirim petugas; hasil direkap dan dibahas pada minilok berikutnya."]
PROBLEMS = ["Cakupan di bawah target tiga bulan berturut-turut", "Kasus meningkat dibanding bulan lalu",
            "Kehadiran sasaran rendah karena jadwal bentrok", None]
INDICATORS = ["DS_POSYANDU", "DBD_ABJ", "IMUN_IDL", "TB_CNR", "GIZI_STUNTING", "SPM_HIPERTENSI"]


def seed(url: str, followups: int, puskesmas: int, seed_value: float = 0.42) -> dict:
    """Bulk-seed (server side) and VACUUM ANALYZE; returns row counts and seconds."""
    started = time.perf_counter()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    base = now - timedelta(days=360)
    a, m = AGENCIES_PER_PUSKESMAS, MEETINGS_PER_PUSKESMAS
    params = {"np": puskesmas, "n": followups, "now": now, "base": base, "a": a, "m": m, "seed": seed_value,
              "kinds": AGENCY_KINDS, "titles": TITLES, "actions": ACTIONS, "problems": PROBLEMS,
              "indicators": INDICATORS}
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(:seed)"), params)
        conn.execute(text("""
            INSERT INTO puskesmas (id, code, name, timezone, area_code, kota, provinsi, head_name, extra_holidays, created_at)
            SELECT p, 'PKM' || lpad(p::text, 5, '0'), 'Puskesmas Bench ' || p,
                   CASE WHEN p % 10 < 7 THEN 'Asia/Jakarta' WHEN p % 10 < 9 THEN 'Asia/Makassar' ELSE 'Asia/Jayapura' END,
                   'A' || lpad(p::text, 5, '0'), 'Kota ' || (p % 97), 'Provinsi ' || (p % 38), 'dr. Kepala ' || p,
                   CASE WHEN p % 5 = 0 THEN '["2026-08-17"]'::json ELSE '[]'::json END, :base
            FROM generate_series(1, :np) AS p"""), params)
        conn.execute(text("""
            INSERT INTO agencies (id, name, kind, parent_id, puskesmas_id, area_code, created_at)
            SELECT (p - 1) * :a + k, initcap(replace((:kinds ::text[])[k], '_', ' ')) || ' ' || k || ' / PKM ' || p, (:kinds ::text[])[k],
                   CASE WHEN k = 1 THEN NULL ELSE (p - 1) * :a + 1 END, p, 'A' || lpad(p::text, 5, '0') || '.' || k, :base
            FROM generate_series(1, :np) AS p, generate_series(1, :a) AS k"""), params)
        conn.execute(text("""
            INSERT INTO meetings (id, puskesmas_id, kind, title, scheduled_at, location, status, summary, decisions,
                                  published_at, created_at)
            SELECT (p - 1) * :m + k, p,
                   CASE WHEN k % 3 = 0 THEN 'quarterly_cross_sector' ELSE 'monthly_internal' END,
                   'Lokakarya mini bulan ke-' || k, :base + make_interval(days => (k - 1) * 30, hours => 1 + p % 7),
                   'Aula puskesmas', 'published', 'Ringkasan rapat', '[]'::json,
                   :base + make_interval(days => (k - 1) * 30 + 1), :base + make_interval(days => (k - 1) * 30 - 7)
            FROM generate_series(1, :np) AS p, generate_series(1, :m) AS k"""), params)
        # Follow-ups in creation order (ids rise with created_at, puskesmas interleaved as in real use);
        # puskesmas sizes are unequal (power law: the largest has a few times the average).
        conn.execute(text("""
            INSERT INTO followups (id, meeting_id, puskesmas_id, title, action, problem, owner_agency_id, due_at,
                                   area_code, indicator_code, priority, status, escalation_level, percent, created_at,
                                   updated_at, completed_at, next_reminder_at, reminder_stage)
            SELECT i, (p - 1) * :m + mo, p, (:titles ::text[])[1 + (i % cardinality(:titles ::text[]))] || ' #' || i,
                   (:actions ::text[])[1 + (i % cardinality(:actions ::text[]))], (:problems ::text[])[1 + (i % cardinality(:problems ::text[]))],
                   (p - 1) * :a + owner, due_at,
                   'A' || lpad(p::text, 5, '0') || '.' || owner,
                   CASE WHEN r4 < 0.3 THEN NULL ELSE (:indicators ::text[])[1 + (i % cardinality(:indicators ::text[]))] END,
                   CASE WHEN r4 < 0.15 THEN 'high' WHEN r4 < 0.85 THEN 'normal' ELSE 'low' END,
                   status,
                   CASE WHEN status IN ('open', 'in_progress') AND due_at < :now
                        THEN least(3, floor(extract(epoch FROM :now - due_at) / 604800))::int ELSE 0 END,
                   CASE WHEN status = 'done' THEN 100 WHEN status = 'in_progress' THEN 5 + floor(r3 * 90)::int ELSE 0 END,
                   created_at,
                   CASE WHEN status = 'done' THEN created_at + (due_at - created_at) * r3
                        WHEN status IN ('in_progress', 'cancelled') THEN created_at + (least(due_at, :now) - created_at) * r3
                        ELSE created_at END,
                   CASE WHEN status = 'done' THEN created_at + (due_at - created_at) * r3 END,
                   CASE WHEN status NOT IN ('open', 'in_progress') THEN NULL
                        WHEN due_at > :now + interval '2 days' THEN due_at - interval '2 days'
                        ELSE :now + interval '1 day' END,
                   CASE WHEN status IN ('open', 'in_progress') AND due_at < :now
                        THEN 2 + least(3, floor(extract(epoch FROM :now - due_at) / 604800))::int ELSE 0 END
            FROM (
                SELECT i, p, mo, owner, r3, r4, created_at, due_at,
                       CASE WHEN r1 < 0.04 THEN 'cancelled'
                            WHEN r1 < 0.04 + 0.75 * age AND due_at < :now + interval '30 days' THEN 'done'
                            WHEN r1 < 0.24 + 0.75 * age THEN 'in_progress'
                            ELSE 'open' END AS status
                FROM (
                    SELECT i, p, mo, owner, r1, r3, r4, age, created_at,
                           created_at + make_interval(days => 7 + floor(r2 * 60)::int, hours => 16) AS due_at
                    FROM (
                        SELECT i, 1 + floor(:np * power(random(), 1.3))::int AS p,
                               1 + ((i - 1)::bigint * :m / :n)::int AS mo,
                               2 + floor(random() * (:a - 1))::int AS owner,
                               random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                               1 - (i - 1)::float8 / :n AS age,
                               :base + make_interval(secs => (i - 1)::float8 / :n * 360 * 86400) AS created_at
                        FROM generate_series(1, :n) AS i
                    ) s0
                ) s1
            ) s2"""), params)
        # 40 % of follow-ups have one supporting agency, 15 % a second (never the owner).
        conn.execute(text("""
            INSERT INTO followup_supporters (followup_id, agency_id)
            SELECT f.id, (f.puskesmas_id - 1) * :a + 1 + ((f.owner_agency_id - (f.puskesmas_id - 1) * :a - 1 + k * 7) % :a)
            FROM followups f CROSS JOIN generate_series(1, 2) AS k
            WHERE (f.id * 2654435761) % 100 < CASE WHEN k = 1 THEN 40 ELSE 15 END"""), params)
        for table in ("puskesmas", "agencies", "meetings", "followups"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    inserted = time.perf_counter() - started
    vac = create_engine(url, isolation_level="AUTOCOMMIT")
    with vac.connect() as conn:
        conn.execute(text("VACUUM ANALYZE"))
        counts = {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in
                  ("puskesmas", "agencies", "meetings", "followups", "followup_supporters")}
        statuses = dict(conn.execute(text("SELECT status, count(*) FROM followups GROUP BY status")).all())
        overdue = conn.scalar(text("SELECT count(*) FROM followups WHERE status IN ('open', 'in_progress') "
                                   "AND due_at < now()"))
        sizes = conn.execute(text("SELECT min(c), percentile_disc(0.5) WITHIN GROUP (ORDER BY c), max(c) FROM "
                                  "(SELECT count(*) c FROM followups GROUP BY puskesmas_id) s")).one()
        size = conn.scalar(text("SELECT pg_size_pretty(pg_database_size(current_database()))"))
    vac.dispose()
    engine.dispose()
    return {"seconds": round(time.perf_counter() - started, 1), "insert_seconds": round(inserted, 1),
            "rows": counts, "statuses": statuses, "overdue": overdue,
            "followups_per_puskesmas": {"min": sizes[0], "median": sizes[1], "max": sizes[2]},
            "database_size": size}


@dataclass
class Catalogue:
    """What the load generator picks from: puskesmas, their agencies and meetings, some follow-ups."""

    puskesmas: list[int]
    agencies: dict[int, list[int]]
    meetings: dict[int, list[int]]
    followups: list[tuple[int, int]]  # (id, puskesmas_id)


def load_catalogue(url: str) -> Catalogue:
    engine = create_engine(url)
    with engine.connect() as conn:
        agencies = {p: ids for p, ids in conn.execute(text(
            "SELECT puskesmas_id, array_agg(id ORDER BY id) FROM agencies WHERE puskesmas_id IS NOT NULL "
            "GROUP BY puskesmas_id"))}
        meetings = {p: ids for p, ids in conn.execute(text(
            "SELECT puskesmas_id, array_agg(id ORDER BY scheduled_at) FROM meetings GROUP BY puskesmas_id"))}
        followups = [tuple(r) for r in conn.execute(text(
            "SELECT id, puskesmas_id FROM followups TABLESAMPLE SYSTEM (2) REPEATABLE (7) LIMIT 20000"))]
    engine.dispose()
    puskesmas = sorted(set(agencies) & set(meetings))
    return Catalogue(puskesmas, agencies, meetings, followups)


# --- the API process -------------------------------------------------------------------------


class DatabaseBackends:
    """CPU of the PostgreSQL backends serving the bench database (postgres shows the database
    name in each backend's title), sampled once a second as the API's connections come and go:
    a lower bound (a backend's last second before it exits is missed)."""

    def __init__(self, url: str):
        self.marker = f" {url.rsplit('/', 1)[1]} "
        self.seen: dict[int, tuple[psutil.Process, float]] = {}

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in psutil.process_iter(["cmdline"]):
            cmdline = " ".join(proc.info["cmdline"] or []) + " "
            if self.marker in cmdline:
                with contextlib.suppress(psutil.Error):
                    t = proc.cpu_times()
                    self.seen[proc.pid] = (proc, t.user + t.system)
        for _pid, (_proc, seconds) in self.seen.items():  # including backends that have exited
            total += seconds
        return total


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ApiProcess:
    """`minilok serve meetings` as users start it; RSS and CPU of it and its children."""

    def __init__(self, database_url: str, log_dir: Path, extra_env: dict[str, str]):
        self.port = free_port()
        self.secret = secrets.token_hex(24)
        self.key_prefix = f"bench-api-{uuid.uuid4().hex[:8]}:"
        self.env = {**os.environ, "MEETINGS_DATABASE_URL": database_url, "MEETINGS_HOST": "127.0.0.1",
                    "MEETINGS_PORT": str(self.port), "MINILOK_SECRET": self.secret,
                    "REDIS_KEY_PREFIX": self.key_prefix, "MINILOK_VAR_DIR": str(log_dir / "var"),
                    # Not what we measure: the limiter still counts each request, it just never says 429.
                    "RATE_LIMIT_PER_MINUTE": "1000000000", "LOG_FORMAT": "text", "PYTHONUNBUFFERED": "1",
                    **extra_env}
        self.env.setdefault("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
        self.log_path = log_dir / "meetings-api.log"
        self.proc: subprocess.Popen | None = None
        self.ps: psutil.Process | None = None
        self.samples: list[tuple[float, int]] = []
        self.database = DatabaseBackends(database_url)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(BIN / "minilok"), "serve", "meetings"], env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
        self.ps = psutil.Process(self.proc.pid)
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the API exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"the API did not answer /health within {timeout}s:\n{self.log()[-3000:]}")

    def token(self, *args: str) -> str:
        out = subprocess.run([str(BIN / "minilok"), "token", "create", *args], env=self.env, capture_output=True,
                             text=True, check=True)
        return out.stdout.strip()

    def processes(self) -> list[psutil.Process]:
        try:
            return [self.ps, *self.ps.children(recursive=True)]
        except psutil.Error:
            return []

    def rss(self) -> int:
        total = 0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                total += p.memory_info().rss
        return total

    def cpu_seconds(self) -> float:
        total = 0.0
        for p in self.processes():
            with contextlib.suppress(psutil.Error):
                t = p.cpu_times()
                total += t.user + t.system
        return total

    def sample(self) -> int:
        value = self.rss()
        self.samples.append((time.monotonic(), value))
        return value

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def forget_rate_limit_keys(self) -> None:
        with contextlib.suppress(Exception):
            import redis

            client = redis.Redis.from_url(self.env.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
            keys = list(client.scan_iter(f"{self.key_prefix}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()


# --- requests --------------------------------------------------------------------------------


@dataclass
class Request:
    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: dict | None = None
    follow: bool = False  # a list page whose next_cursor may be followed later


LIST_FILTERS = [({"status": "open"}, 0.35), ({"status": "in_progress"}, 0.2), ({"overdue": "true"}, 0.15),
                ({}, 0.15), ({"status": "done"}, 0.1), ({"status": "cancelled"}, 0.05)]


class Workload:
    def __init__(self, cat: Catalogue, admin_token: str, puskesmas_tokens: dict[int, str], seed_value: int = 1):
        self.cat = cat
        self.rng = random.Random(seed_value)
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.tokens = {p: {"Authorization": f"Bearer {t}"} for p, t in puskesmas_tokens.items()}
        self.cursors: deque[tuple[str, dict[str, str]]] = deque(maxlen=2000)
        self.filters = [f for f, _ in LIST_FILTERS]
        self.weights = [w for _, w in LIST_FILTERS]
        self.created = 0

    def list_request(self) -> Request:
        rng = self.rng
        if self.cursors and rng.random() < 0.25:
            path, headers = self.cursors.popleft()
            return Request("list_next", "GET", path, headers)
        p = rng.choice(self.cat.puskesmas)
        params = dict(rng.choices(self.filters, self.weights)[0])
        if rng.random() < 0.5:
            headers = self.tokens[p]
        else:
            headers = self.admin
            params["puskesmas_id"] = p
        params["limit"] = 50
        return Request("list", "GET", f"/api/v1/follow-ups?{urlencode(params)}", headers, follow=True)

    def create_request(self) -> Request:
        rng = self.rng
        p = rng.choice(self.cat.puskesmas)
        agencies = self.cat.agencies[p]
        owner, *supporters = rng.sample(agencies[1:], 3)
        self.created += 1
        body = {"title": f"{rng.choice(TITLES)} (bench {self.created})", "action": rng.choice(ACTIONS),
                "owner_agency_id": owner, "supporting_agency_ids": supporters[:rng.choice((0, 1, 1, 2))],
                "priority": rng.choice(("low", "normal", "normal", "high")),
                "indicator_code": rng.choice(INDICATORS)}
        if rng.random() < 0.5:
            body["due_in_working_days"] = rng.randint(5, 30)
        else:
            body["due_date"] = (date.today() + timedelta(days=rng.randint(7, 60))).isoformat()
        meeting = self.cat.meetings[p][-1 - rng.randrange(3)]  # one of its latest meetings
        headers = self.tokens[p] if rng.random() < 0.5 else self.admin
        return Request("create", "POST", f"/api/v1/meetings/{meeting}/follow-ups", headers, body)

    def get_request(self) -> Request:
        fid, p = self.rng.choice(self.cat.followups)
        headers = self.tokens[p] if self.rng.random() < 0.5 else self.admin
        return Request("get", "GET", f"/api/v1/follow-ups/{fid}", headers)

    def health_request(self) -> Request:
        return Request("health", "GET", "/health", {})

    def mix_request(self) -> Request:
        r = self.rng.random()
        if r < 0.70:
            return self.list_request()
        if r < 0.85:
            return self.get_request()
        return self.create_request()

    def picker(self, scenario: str):
        return {"health": self.health_request, "list": self.list_request, "create": self.create_request,
                "get": self.get_request, "mix": self.mix_request}[scenario]

    def remember(self, request: Request, body: bytes) -> None:
        """Queue the next page of a first page, to be asked for by a later arrival."""
        at = body.rfind(b'"next_cursor":"')
        if at < 0:
            return
        start = at + len(b'"next_cursor":"')
        cursor = body[start:body.index(b'"', start)].decode()
        self.cursors.append((f"{request.path}&cursor={cursor}", request.headers))


# --- the open-loop generator -----------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(q * len(sorted_values)) - 1))]


def summarize(latencies: list[float]) -> dict:
    v = sorted(latencies)
    return {"n": len(v), "p50_ms": round(percentile(v, 0.50) * 1000, 2), "p95_ms": round(percentile(v, 0.95) * 1000, 2),
            "p99_ms": round(percentile(v, 0.99) * 1000, 2), "max_ms": round(v[-1] * 1000, 2) if v else None,
            "mean_ms": round(sum(v) / len(v) * 1000, 2) if v else None}


@dataclass
class Outcome:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    sent: int = 0
    done: int = 0
    answered_in_window: int = 0  # responses (any status) that arrived while the load was offered
    ok_in_window: int = 0
    ok: int = 0


async def open_loop(session: aiohttp.ClientSession, work: Workload, scenario: str, rate: float, duration: float,
                    api: ApiProcess, record: bool = True) -> dict:
    """Send `rate` requests/s for `duration` s at fixed due times; latency from each due time."""
    loop = asyncio.get_running_loop()
    pick = work.picker(scenario)
    out = Outcome()
    total = int(rate * duration)
    interval = 1.0 / rate
    tasks: set[asyncio.Task] = set()

    clock = time.perf_counter  # uvloop's loop.time() has only millisecond resolution

    async def one(req: Request, due: float) -> None:
        sent = clock()
        out.lags.append(sent - due)
        status, body, error = 0, b"", None
        try:
            async with session.request(req.method, req.path, headers=req.headers, json=req.body) as resp:
                body = await resp.read()
                status = resp.status
        except Exception as exc:  # timeouts and connection errors count as errors
            error = f"{type(exc).__name__}: {exc}"[:200]
        finished = clock()
        out.done += 1
        if finished <= window_end:
            out.answered_in_window += 1
            out.ok_in_window += error is None and 200 <= status < 300
        if error is None and 200 <= status < 300:
            out.ok += 1
            out.latencies.setdefault(req.kind, []).append(finished - due)
            if req.follow:
                work.remember(req, body)
        else:
            out.errors[error.split(":")[0] if error else str(status)] += 1
            out.latencies.setdefault(req.kind, []).append(finished - due)
            if len(out.error_samples) < 5:
                out.error_samples.append(error or f"{status} {req.method} {req.path}: {body[:200]!r}")

    me = psutil.Process()
    cpu0, api_cpu0, db_cpu0 = me.cpu_times(), api.cpu_seconds(), api.database.cpu_seconds()
    psutil.cpu_percent(None)
    rss_peak = api.sample()
    next_sample = next_db_sample = 0.0
    t0 = clock() + 0.05
    window_end = t0 + total * interval
    wall0 = time.monotonic()
    for i in range(total):
        due = t0 + i * interval
        now = clock()
        if now >= next_sample:  # RSS of the API, 4 times a second
            rss_peak = max(rss_peak, api.sample())
            next_sample = now + 0.25
        if now >= next_db_sample:  # backends of pool overflow connections come and go: follow them
            api.database.cpu_seconds()
            next_db_sample = now + 1.0
        if due > now:
            await asyncio.sleep(due - now)
        task = loop.create_task(one(pick(), due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        out.sent += 1
    end_of_schedule = clock()
    while tasks and clock() < end_of_schedule + 30:
        await asyncio.wait(set(tasks), timeout=0.25)
        rss_peak = max(rss_peak, api.sample())
    for task in list(tasks):  # still unanswered 30 s after the last was due
        task.cancel()
        out.errors["unanswered"] += 1
    finished = clock()
    wall = time.monotonic() - wall0
    system_cpu = psutil.cpu_percent(None)
    cpu1 = me.cpu_times()
    loader_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall
    api_cpu = (api.cpu_seconds() - api_cpu0) / wall
    db_cpu = (api.database.cpu_seconds() - db_cpu0) / wall
    if not record:
        return {}
    everything = [x for values in out.latencies.values() for x in values]
    lags = sorted(out.lags)
    result = {
        "scenario": scenario,
        "offered_rps": rate,
        "duration_s": duration,
        "sent": out.sent,
        "ok": out.ok,
        "errors": sum(out.errors.values()),
        "errors_by_kind": dict(out.errors),
        "error_samples": out.error_samples,
        # Responses that arrived while the load was offered, per second of it: what the server
        # sustained. (Counting the drain after it would credit an overloaded server with the
        # requests that timed out after the window.)
        "achieved_rps": round(out.answered_in_window / duration, 1),
        "ok_rps": round(out.ok_in_window / duration, 1),
        "answered_incl_drain_rps": round(out.done / (finished - t0), 1),
        **summarize(everything),
        "by_request": {kind: summarize(values) for kind, values in sorted(out.latencies.items())},
        "generator_lag_p99_ms": round(percentile(lags, 0.99) * 1000, 2),
        "generator_lag_max_ms": round(lags[-1] * 1000, 2) if lags else None,
        "loader_cpu_percent_of_core": round(loader_cpu * 100, 1),
        "api_cpu_percent_of_core": round(api_cpu * 100, 1),
        "postgres_cpu_percent_of_core": round(db_cpu * 100, 1),
        "api_cpu_ms_per_request": round(api_cpu * wall / max(out.done, 1) * 1000, 2),
        "system_cpu_percent": round(system_cpu, 1),
        "api_rss_peak_mb": round(rss_peak / 2**20, 1),
    }
    # The generator, not the server, is the limit when it is busy itself; late without being busy
    # means the machine did not give it a core in time (other processes, the API, PostgreSQL).
    result["loader_bound"] = loader_cpu > 0.85
    result["generator_late"] = result["generator_lag_p99_ms"] > 10
    return result


@contextlib.contextmanager
def profiling(directory: str | None, api: ApiProcess, scenario: str):
    """--profile DIR: py-spy samples the API (and its children) during the scenario; collapsed
    stacks to DIR/<scenario>.txt (flamegraph.pl or speedscope read them)."""
    if not directory:
        yield
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(api.proc.pid), "--subprocesses", "--rate", "100",
                            "--nonblocking", "--format", "raw", "--output", str(Path(directory) / f"{scenario}.txt")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


async def settle(api: ApiProcess, limit: float = 90) -> float:
    """Wait until the API is idle (< 10 % of a core over half a second): an overloaded scenario
    leaves a backlog that the server keeps working through after the clients gave up on it."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = api.cpu_seconds()
        await asyncio.sleep(0.5)
        if api.cpu_seconds() - before < 0.05:
            break
    return round(time.monotonic() - started, 1)


async def run_all(args, api: ApiProcess, work: Workload) -> dict:
    connector = aiohttp.TCPConnector(limit=args.connections, limit_per_host=args.connections, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    results: dict = {"scenarios": [], "max_sustainable": None}
    async with aiohttp.ClientSession(api.base_url, connector=connector, timeout=timeout) as session:
        for scenario in args.scenarios:
            settled = await settle(api)
            if args.warmup > 0:
                await open_loop(session, work, scenario, args.rate, args.warmup, api, record=False)
            with profiling(args.profile, api, scenario):
                result = await open_loop(session, work, scenario, args.rate, args.duration, api)
            result["settled_before_s"] = settled
            results["scenarios"].append(result)
            print_row(result)
        if args.max_step > 0:
            steps = []
            rate, passed = args.max_start, None
            while rate <= args.max_rate:
                await settle(api)
                if args.warmup > 0:
                    await open_loop(session, work, "list", rate, min(args.warmup, 3), api, record=False)
                result = await open_loop(session, work, "list", rate, args.step_duration, api)
                ok = result["errors"] == 0 and result["p99_ms"] <= args.p99_target_ms
                result["passed"] = ok
                steps.append(result)
                print_row(result, label=f"list step {'ok' if ok else 'FAIL'}")
                if not ok:
                    break
                passed = rate
                rate += args.max_step
            results["max_sustainable"] = {
                "criterion": f"p99 <= {args.p99_target_ms} ms and no errors, {args.step_duration:g} s per step",
                "rps": passed, "first_failing_rps": steps[-1]["offered_rps"] if steps and not steps[-1]["passed"] else None,
                "steps": steps}
    return results


HEADER = (f"{'scenario':<22} {'offered':>7} {'achieved':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>8} "
          f"{'errors':>6} {'loader%':>7} {'api%':>5} {'pg%':>4} {'sys%':>5} {'lag99':>6}")


def print_row(r: dict, label: str | None = None) -> None:
    print(f"{(label or r['scenario']):<22} {r['offered_rps']:>7g} {r['achieved_rps']:>8.1f} {r['p50_ms']:>7.1f} "
          f"{r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['max_ms'] or 0:>8.1f} {r['errors']:>6} "
          f"{r['loader_cpu_percent_of_core']:>7.1f} {r['api_cpu_percent_of_core']:>5.0f} "
          f"{r['postgres_cpu_percent_of_core']:>4.0f} {r['system_cpu_percent']:>5.0f} "
          f"{r['generator_lag_p99_ms']:>6.1f}", flush=True)


def uptime() -> str:
    with contextlib.suppress(Exception):
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def git_commit() -> str | None:
    with contextlib.suppress(Exception):
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                              timeout=5).stdout.strip() or None
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200, help="requests per second of each scenario")
    parser.add_argument("--duration", type=float, default=60, help="seconds per scenario (after warm-up)")
    parser.add_argument("--warmup", type=float, default=5, help="seconds at the rate before each scenario, not counted")
    parser.add_argument("--followups", type=int, default=1_000_000)
    parser.add_argument("--puskesmas", type=int, default=1000)
    parser.add_argument("--database-url", help="use (and keep) this database; seeding skipped if it has follow-ups")
    parser.add_argument("--scenarios", nargs="+", default=["health", "list", "create", "mix"],
                        choices=["health", "list", "get", "create", "mix"])
    parser.add_argument("--max-step", type=float, default=50, help="step of the max-rate search (0: skip it)")
    parser.add_argument("--max-start", type=float, default=50, help="first rate of the search")
    parser.add_argument("--max-rate", type=float, default=3000, help="highest rate the search tries")
    parser.add_argument("--step-duration", type=float, default=20, help="seconds per step of the search")
    parser.add_argument("--p99-target-ms", type=float, default=50)
    parser.add_argument("--connections", type=int, default=256, help="most open connections of the generator")
    parser.add_argument("--timeout", type=float, default=10, help="seconds before a request counts as an error")
    parser.add_argument("--api-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the API process (e.g. MEETINGS_WORKERS=2)")
    parser.add_argument("--profile", metavar="DIR", help="py-spy the API during each scenario (pip install py-spy)")
    parser.add_argument("--output", help="JSON path (default bench/results/api-load-<timestamp>.json)")
    args = parser.parse_args()

    # SIGTERM (e.g. a CI timeout) unwinds through the finally blocks like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started_at = datetime.now(timezone.utc)
    load_before = uptime()
    url = fresh_database(args.database_url, "minilok_bench_api")
    api: ApiProcess | None = None
    logs = Path(tempfile.mkdtemp(prefix="minilok-bench-api-"))
    keep_logs = False
    try:
        from minilok_meetings.spec import spec
        from minilok_shared.auth import create_token
        from minilok_shared.db import upgrade

        upgrade(spec.migrations, url, "meetings")  # what `minilok serve` does first
        engine = create_engine(url)
        with engine.connect() as conn:
            existing = conn.scalar(text("SELECT count(*) FROM followups"))
        engine.dispose()
        if existing:
            seeded = {"skipped": f"database already holds {existing} follow-ups"}
        else:
            seeded = seed(url, args.followups, args.puskesmas)
        print(f"seed: {json.dumps(seeded)}", flush=True)
        cat = load_catalogue(url)

        extra_env = dict(item.split("=", 1) for item in args.api_env)
        api = ApiProcess(url, logs, extra_env)
        api.start()
        time.sleep(1)
        rss_start = api.rss()
        admin = api.token("--role", "admin", "--subject", "bench-admin")
        tokens = {p: create_token(api.secret, "puskesmas", puskesmas_id=p, subject=f"bench-puskesmas-{p}")
                  for p in cat.puskesmas}
        work = Workload(cat, admin, tokens)
        print(HEADER, flush=True)
        try:
            import uvloop

            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        results = runner(run_all(args, api, work))
        rss_end = api.rss()
        api_processes = api.processes()
        rss_peak = max([v for _, v in api.samples] + [rss_start, rss_end])
        api.stop()
        load_after = uptime()
        traceback_in_log = "Traceback" in api.log()

        list_result = next((r for r in results["scenarios"] if r["scenario"] == "list"), None)
        result = {
            "benchmark": "api_load",
            "args": vars(args),
            "seed": seeded,
            "api": {"command": "minilok serve meetings", "extra_env": extra_env, "processes": len(api_processes),
                    "rss_start_mb": round(rss_start / 2**20, 1), "rss_end_mb": round(rss_end / 2**20, 1),
                    "rss_peak_mb": round(rss_peak / 2**20, 1), "traceback_in_log": traceback_in_log},
            **results,
            "target": {"list_p99_ms_at_rate": args.p99_target_ms, "rate": args.rate,
                       "met": bool(list_result and list_result["p99_ms"] <= args.p99_target_ms
                                   and list_result["errors"] == 0)},
            "load_average": {"before": load_before, "after": load_after},
            "machine": f"{os.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GiB, "
                       f"python {sys.version.split()[0]}",
            "commit": git_commit(),
            "at": started_at.isoformat(timespec="seconds"),
        }
        print()
        ms = result["max_sustainable"]
        if ms:
            print(f"max sustainable list rate: {ms['rps']} rps ({ms['criterion']}; first failing: "
                  f"{ms['first_failing_rps']})")
        print(f"API RSS: start {result['api']['rss_start_mb']} MB, end {result['api']['rss_end_mb']} MB, "
              f"peak {result['api']['rss_peak_mb']} MB")
        print(f"target list p99 <= {args.p99_target_ms:g} ms at {args.rate:g} rps: "
              f"{'met' if result['target']['met'] else 'MISSED'}")
        print(f"load: before [{load_before}]  after [{load_after}]")
        runs = results["scenarios"] + (results["max_sustainable"] or {}).get("steps", [])
        if any(r["loader_bound"] for r in runs):
            print("note: the load generator used > 85 % of a core in some run: it may be the limit there")
        if any(r["generator_late"] for r in runs):
            print("note: the generator sent requests > 10 ms late (p99) in some run: the machine was short of CPU; "
                  "latencies count from the due time, so they include that")
        if traceback_in_log:
            keep_logs = True
            print(f"note: the API logged a traceback (log kept at {api.log_path})")
        out = Path(args.output) if args.output else \
            ROOT / "bench" / "results" / f"api-load-{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, default=str))
        print(f"written: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
        return 0
    except BaseException:
        keep_logs = True
        if api is not None:
            print(f"the API's log: {api.log_path}", file=sys.stderr)
        raise
    finally:
        if api is not None:
            api.stop()
            api.forget_rate_limit_keys()
        if not args.database_url:
            drop_database(url)
        if not keep_logs:
            shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
