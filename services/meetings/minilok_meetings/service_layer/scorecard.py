"""The rapor lintas sektor: per agency, how its follow-ups due in a period went (assigned, done on
time, done late, still open past due, median days late), to show at the next minilok.

Which follow-ups: those due (`due_at`) within the period's days, cancelled ones left out; a
follow-up counts for the agency that owns it. Done on time: completed at or before its due time;
done late: completed after it; open overdue: open or in progress with its due time passed (as
the board says "terlambat"). Days late: whole local days past the due day (`days_late`) at
completion, or until now for the open ones; the median covers both, so that an agency that
never finishes is not read as never late. The period's days are read in the puskesmas's own
timezone (across puskesmas, in the first one's: a dinas's puskesmas share one in practice).

Who sees what (as follow-ups are read): a puskesmas its own; a dinas the puskesmas within its
area, one or all of them (then the rows add up across them); an admin any; an agency token only
its own row, wherever it owns follow-ups; other roles 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import forbidden, unprocessable
from minilok_shared.localtime import days_late
from sqlalchemy import and_, func, or_, select

from minilok_meetings import models
from minilok_meetings.access import puskesmas_in_area
from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.service_layer.puskesmas import get_puskesmas

DEFAULT_ZONE = "Asia/Jakarta"
MAX_DAYS = 400  # a period up to a little over a year: the late ones read for medians stay bounded
LATE_ROWS = 50_000  # ... and so does their number


@dataclass
class AgencyScore:
    agency_id: int
    agency_name: str
    assigned: int = 0
    done_on_time: int = 0
    done_late: int = 0
    open_overdue: int = 0
    median_days_late: float | None = None
    days: list[int] = field(default_factory=list, repr=False)


@dataclass
class Scorecard:
    from_: date
    to: date
    puskesmas_ids: list[int] | None  # None: every puskesmas (an admin's)
    items: list[AgencyScore]
    total: AgencyScore


def quarter_of(day: date) -> tuple[date, date]:
    """The calendar quarter holding `day`: its first and last day."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + (first_month == 10), 1 if first_month == 10 else first_month + 3, 1) - timedelta(days=1)
    return start, end


def _scope(session, principal: Principal, puskesmas_id: int | None):
    """(puskesmas filter or None for all, agency filter or None, timezone)."""
    if principal.role == "agency":
        if principal.agency_id is None or not principal.agency_id.isdigit():
            raise forbidden()
        wanted = [puskesmas_id] if puskesmas_id is not None else None
        return wanted, int(principal.agency_id), _zone_of(session, wanted)
    if puskesmas_id is not None:
        place = get_puskesmas(session, principal, puskesmas_id)
        return [place.id], None, place.timezone
    if principal.role == "puskesmas":
        place = get_puskesmas(session, principal, int(principal.puskesmas_id))
        return [place.id], None, place.timezone
    if principal.is_dinas:
        ids = list(session.scalars(puskesmas_in_area(principal.area_code).order_by(models.Puskesmas.id)))
        return ids, None, _zone_of(session, ids)
    if principal.is_admin:
        return None, None, DEFAULT_ZONE
    raise forbidden()


def _zone_of(session, ids: list[int] | None) -> str:
    if not ids:
        return DEFAULT_ZONE
    return session.scalar(select(models.Puskesmas.timezone).where(models.Puskesmas.id == ids[0])) or DEFAULT_ZONE


def scorecard(session, principal: Principal, puskesmas_id: int | None = None, from_: date | None = None,
              to: date | None = None, now: datetime | None = None) -> Scorecard:
    now = now or utcnow()
    puskesmas_ids, agency_id, zone = _scope(session, principal, puskesmas_id)
    tz = ZoneInfo(zone)
    default_from, default_to = quarter_of(now.astimezone(tz).date())
    from_, to = from_ or default_from, to or default_to
    if to < from_:
        raise unprocessable("to", "tanggal akhir sebelum tanggal awal / the end is before the start", where="query")
    if (to - from_).days > MAX_DAYS:
        raise unprocessable("to", f"periode paling panjang {MAX_DAYS} hari / a period of at most {MAX_DAYS} days",
                            where="query")
    start = datetime.combine(from_, time(), tz)
    end = datetime.combine(to + timedelta(days=1), time(), tz)

    f = models.FollowUp
    where = [f.due_at >= start, f.due_at < end, f.status != "cancelled"]
    if puskesmas_ids is not None:
        where.append(f.puskesmas_id.in_(puskesmas_ids))
    if agency_id is not None:
        where.append(f.owner_agency_id == agency_id)
    done = f.status == "done"
    overdue = and_(f.status.in_(ACTIVE), f.due_at < now)
    late = and_(done, f.completed_at > f.due_at)
    rows = session.execute(
        select(f.owner_agency_id, models.Agency.name, func.count(),
               func.count().filter(and_(done, or_(f.completed_at.is_(None), f.completed_at <= f.due_at))),
               func.count().filter(late), func.count().filter(overdue))
        .join(models.Agency, models.Agency.id == f.owner_agency_id)
        .where(*where).group_by(f.owner_agency_id, models.Agency.name)).all()
    items = {row[0]: AgencyScore(row[0], row[1], row[2], row[3], row[4], row[5]) for row in rows}
    for owner, due_at, completed_at, timezone in session.execute(
            select(f.owner_agency_id, f.due_at, f.completed_at, models.Puskesmas.timezone)
            .join(models.Puskesmas, models.Puskesmas.id == f.puskesmas_id)
            .where(*where, or_(late, overdue)).limit(LATE_ROWS)):
        items[owner].days.append(days_late(due_at, completed_at or now, timezone))
    total = AgencyScore(0, "Jumlah")
    for item in items.values():
        item.median_days_late = float(median(item.days)) if item.days else None
        for name in ("assigned", "done_on_time", "done_late", "open_overdue"):
            setattr(total, name, getattr(total, name) + getattr(item, name))
        total.days += item.days
    total.median_days_late = float(median(total.days)) if total.days else None
    ordered = sorted(items.values(), key=lambda s: (-s.open_overdue, -s.done_late, s.agency_name, s.agency_id))
    return Scorecard(from_, to, puskesmas_ids, ordered, total)
