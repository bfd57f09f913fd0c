"""Extension requests: an owner asks for a later due date; the puskesmas approves (the due time
moves and the ladder starts again) or refuses, and the owner hears either way."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from minilok_shared.auth import Principal
from minilok_shared.db import utcnow
from minilok_shared.errors import conflict, forbidden, not_found, unprocessable
from minilok_shared.pagination import Page, decode_cursor, keyset_page
from sqlalchemy import select

from minilok_meetings import models
from minilok_meetings.access import check_owner_or_manager, check_puskesmas, puskesmas_in_area
from minilok_meetings.domain.calendar import end_of_local_day
from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.events import emit_followup_event
from minilok_meetings.schemas import ExtensionDecisionIn, ExtensionRequestIn, ExtensionRequestOut
from minilok_meetings.service_layer import reminders
from minilok_meetings.service_layer.followup_reads import load_followup

STATUSES = ("pending", "approved", "refused")


def extension_out(row: models.ExtensionRequest) -> ExtensionRequestOut:
    return ExtensionRequestOut.model_validate(row, from_attributes=True)


def _pending(session, followup_id: int) -> models.ExtensionRequest | None:
    return session.scalars(select(models.ExtensionRequest).where(
        models.ExtensionRequest.followup_id == followup_id, models.ExtensionRequest.status == "pending")).first()


def pending_for(session, followup_ids: list[int]) -> dict[int, ExtensionRequestOut]:
    """The pending request of each of these follow-ups that has one (one query; for pages and boards)."""
    if not followup_ids:
        return {}
    rows = session.scalars(select(models.ExtensionRequest).where(
        models.ExtensionRequest.followup_id.in_(followup_ids), models.ExtensionRequest.status == "pending"))
    return {row.followup_id: extension_out(row) for row in rows}


def request_extension(session, principal: Principal, followup_id: int, body: ExtensionRequestIn) -> ExtensionRequestOut:
    """The owner (or its puskesmas, or an admin) asks for `due_date`; `followup.extension_requested`."""
    followup = load_followup(session, followup_id, for_update=True)
    check_owner_or_manager(principal, followup)
    if followup.status not in ACTIVE:
        raise conflict(f"Tindak lanjut berstatus {followup.status}; perpanjangan hanya untuk yang aktif / "
                       f"only an open or in-progress follow-up can be extended")
    if _pending(session, followup.id) is not None:
        raise conflict("Sudah ada permintaan perpanjangan yang menunggu keputusan / "
                       "an extension request is already pending")
    ctx = reminders.load_contexts(session, {followup.puskesmas_id})[followup.puskesmas_id]
    current = followup.due_at.astimezone(ZoneInfo(ctx.timezone)).date()
    if body.due_date <= current:
        raise unprocessable("due_date", f"harus setelah tanggal jatuh tempo sekarang ({current.isoformat()}) / "
                                        f"must be later than the current due date ({current.isoformat()})")
    row = models.ExtensionRequest(followup_id=followup.id, puskesmas_id=followup.puskesmas_id, due_date=body.due_date,
                                  reason=body.reason, status="pending", requested_by=principal.subject,
                                  created_at=utcnow())
    session.add(row)
    session.flush()
    out = extension_out(row)
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind="extension_requested",
                                       data={"extension_request_id": row.id, "due_date": body.due_date.isoformat(),
                                             "reason": body.reason}))
    emit_followup_event(session, "followup.extension_requested", followup, actor=principal.subject,
                        extension_request=out.model_dump(mode="json"))
    session.commit()
    return out


def _decide(session, principal: Principal, request_id: int, status: str,
            body: ExtensionDecisionIn) -> tuple[models.ExtensionRequest, models.FollowUp]:
    row = session.get(models.ExtensionRequest, request_id, with_for_update=True)
    if row is None:
        raise not_found("Permintaan perpanjangan / extension request", request_id)
    check_puskesmas(principal, row.puskesmas_id)
    if row.status != "pending":
        raise conflict(f"Permintaan perpanjangan {row.id} sudah {row.status} / extension request is already "
                       f"{row.status}")
    followup = load_followup(session, row.followup_id, for_update=True)
    if status == "approved" and followup.status not in ACTIVE:
        raise conflict(f"Tindak lanjut berstatus {followup.status}; tidak ada tenggat untuk dipindah / "
                       f"the follow-up is {followup.status}: no due time to move")
    row.status, row.decided_by, row.decided_at, row.decision_reason = status, principal.subject, utcnow(), body.reason
    return row, followup


def _record(session, principal: Principal, row: models.ExtensionRequest, followup: models.FollowUp,
            data: dict) -> ExtensionRequestOut:
    out = extension_out(row)
    followup.updated_at = row.decided_at
    session.add(models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind=f"extension_{row.status}",
                                       data={"extension_request_id": row.id, "reason": row.decision_reason, **data}))
    emit_followup_event(session, "followup.updated", followup, actor=principal.subject,
                        extension_request=out.model_dump(mode="json"))
    session.commit()
    return out


def approve_extension(session, principal: Principal, request_id: int, body: ExtensionDecisionIn) -> ExtensionRequestOut:
    """The puskesmas agrees: due at the end of the asked-for local day, the ladder from its start."""
    row, followup = _decide(session, principal, request_id, "approved", body)
    ctx = reminders.load_contexts(session, {followup.puskesmas_id})[followup.puskesmas_id]
    before = followup.due_at
    followup.due_at = end_of_local_day(row.due_date, ctx.timezone)
    reminders.reset(followup, ctx)
    return _record(session, principal, row, followup, {"before": {"due_at": before.isoformat()},
                                                      "after": {"due_at": followup.due_at.isoformat()}})


def refuse_extension(session, principal: Principal, request_id: int, body: ExtensionDecisionIn) -> ExtensionRequestOut:
    """The puskesmas says no: the due time stays; the owner hears it (`followup.updated`)."""
    row, followup = _decide(session, principal, request_id, "refused", body)
    return _record(session, principal, row, followup, {})


def list_extension_requests(session, principal: Principal, puskesmas_id: int | None = None,
                            status_: str | None = None, followup_id: int | None = None, limit: int = 50,
                            cursor: str | None = None) -> Page[ExtensionRequestOut]:
    """Newest first: all (admin), a puskesmas's own, those of the puskesmas in a dinas's area, or
    an agency's on the follow-ups it owns."""
    table = models.ExtensionRequest
    query = select(table).order_by(table.id.desc())
    if principal.role == "puskesmas":
        query = query.where(table.puskesmas_id == int(principal.puskesmas_id))
    elif principal.is_dinas:
        query = query.where(table.puskesmas_id.in_(puskesmas_in_area(principal.area_code)))
    elif principal.role == "agency" and principal.agency_id and principal.agency_id.isdigit():
        query = query.where(table.followup_id.in_(select(models.FollowUp.id).where(
            models.FollowUp.owner_agency_id == int(principal.agency_id))))
    elif not principal.is_admin:
        raise forbidden()
    if puskesmas_id is not None:
        query = query.where(table.puskesmas_id == puskesmas_id)
    if followup_id is not None:
        query = query.where(table.followup_id == followup_id)
    if status_ is not None:
        if status_ not in STATUSES:
            raise unprocessable("status", f"harus salah satu dari / must be one of {', '.join(STATUSES)}", "query")
        query = query.where(table.status == status_)
    if cursor:
        (before,) = decode_cursor(cursor)
        query = query.where(table.id < before)
    page = keyset_page(session.scalars(query.limit(limit + 1)).all(), limit)
    return Page(items=[extension_out(r) for r in page.items], next_cursor=page.next_cursor)
