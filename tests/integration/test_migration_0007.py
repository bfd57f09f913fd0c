"""Migration 0007 fills `followup_escalations` from the history written before it: every agency
a follow-up was escalated to (history kinds overdue and escalated, data.escalated_to_agency_ids)
may open it from then on, as if the scan had recorded it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from minilok_shared.db import alembic_config, make_engine
from minilok_shared.service import get_service

spec = get_service("meetings")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
BATCH = 5000  # the migration reads the history in batches of this many rows


def test_backfill_of_escalated_agencies_from_history(database_url):
    url = database_url("meetings")
    command.upgrade(alembic_config(spec.migrations, url), "0006")
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine, only=["puskesmas", "agencies", "meetings", "followups", "followup_history"])
    t = meta.tables
    with engine.begin() as conn:
        conn.execute(t["puskesmas"].insert(), [{"id": 1, "code": "P1", "name": "Puskesmas Baloi Permai",
                                               "timezone": "Asia/Jakarta", "area_code": "21.71.06",
                                               "kota": "Kota Batam", "provinsi": "Kepulauan Riau",
                                               "extra_holidays": [], "created_at": T0}])
        conn.execute(t["agencies"].insert(), [
            {"id": aid, "name": name, "kind": kind, "puskesmas_id": pid, "created_at": T0}
            for aid, name, kind, pid in ((10, "Kelurahan Baloi", "kelurahan", 1), (11, "Kecamatan Batam Kota",
                                         "kecamatan", 1), (12, "Dinas Kesehatan Kota Batam", "dinas_kesehatan",
                                         None))])
        conn.execute(t["meetings"].insert(), [{"id": 1, "puskesmas_id": 1, "kind": "quarterly_cross_sector",
                                              "title": "Lokmin", "scheduled_at": T0, "status": "published",
                                              "decisions": [], "created_at": T0}])
        conn.execute(t["followups"].insert(), [
            {"id": fid, "meeting_id": 1, "puskesmas_id": 1, "title": f"RTL {fid}", "owner_agency_id": 10,
             "due_at": T0, "priority": "normal", "status": "open", "escalation_level": 3, "percent": 0,
             "created_at": T0, "updated_at": T0, "reminder_stage": 3} for fid in (1, 2, 3, 4)])

        def history(fid: int, kind: str, data: dict, minutes: int) -> dict:
            return {"followup_id": fid, "at": T0 + timedelta(minutes=minutes), "actor": "system:reminders",
                    "kind": kind, "data": data}

        rows = [
            history(1, "created", {"status": "open"}, 0),
            history(1, "overdue", {"escalation_level": 1, "escalated_to_agency_ids": []}, 1),
            history(1, "escalated", {"escalation_level": 2, "escalated_to_agency_ids": [11]}, 2),
            history(1, "escalated", {"escalation_level": 3, "escalated_to_agency_ids": [12]}, 3),
            history(2, "overdue", {"escalation_level": 1, "escalated_to_agency_ids": [11]}, 4),
            # An agency deleted since (no foreign key to point at): left out, the upgrade does not fail.
            history(2, "escalated", {"escalation_level": 2, "escalated_to_agency_ids": [999]}, 5),
            # Other kinds never count, whatever their data says.
            history(3, "progress", {"note": "x", "escalated_to_agency_ids": [11]}, 6),
            history(3, "escalated", {}, 7),
        ]
        # Enough rows to need a second batch; the same (follow-up, agency) again in that batch.
        rows += [history(4, "progress", {"note": f"catatan {i}"}, 10) for i in range(BATCH)]
        rows += [history(4, "escalated", {"escalation_level": 2, "escalated_to_agency_ids": [11, 12]}, 20),
                 history(1, "escalated", {"escalation_level": 3, "escalated_to_agency_ids": [11]}, 21)]
        conn.execute(t["followup_history"].insert(), rows)

    command.upgrade(alembic_config(spec.migrations, url), "head")

    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT followup_id, agency_id, level, at FROM followup_escalations "
                                     "ORDER BY followup_id, agency_id")).all()
    engine.dispose()
    got = {(r.followup_id, r.agency_id): r for r in found}
    assert set(got) == {(1, 11), (1, 12), (2, 11), (4, 11), (4, 12)}
    assert len(found) == len(got)  # once per (follow-up, agency)
    assert (got[(1, 12)].level, got[(2, 11)].level, got[(4, 11)].level) == (3, 1, 2)
    assert got[(1, 11)].level in (2, 3)  # reached at level 2, again at 3 in a later batch
    assert _utc(got[(1, 12)].at) == T0 + timedelta(minutes=3)
    assert _utc(got[(4, 12)].at) == T0 + timedelta(minutes=20)


def _utc(value: datetime) -> datetime:
    # Read with plain SQL: SQLite gives back the stored text, PostgreSQL an aware datetime.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
