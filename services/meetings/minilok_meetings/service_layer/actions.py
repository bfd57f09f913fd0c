"""Acting on one follow-up through its action link (`/a/{token}`): the link read, what its owning
agency may do now, and each action run as that agency by the use case the API runs."""

from __future__ import annotations

import re

from fastapi import HTTPException
from minilok_shared.action_links import ActionClaim, ExpiredActionLink, InvalidActionLink, read_action_token
from minilok_shared.auth import Principal
from minilok_shared.errors import conflict, forbidden, not_found

from minilok_meetings import models
from minilok_meetings.domain.followup import ACTIVE
from minilok_meetings.schemas import (
    ACTIONS,
    AcknowledgeIn,
    ActionLinkOut,
    CompleteIn,
    EvidenceOut,
    ExtensionRequestIn,
    ExtensionRequestOut,
    FollowUpOut,
    HistoryOut,
    ProgressIn,
)
from minilok_meetings.service_layer import evidence, extensions, followup_reads, followups
from minilok_meetings.service_layer.agencies import agency_names

_AGENCY_ACTOR = re.compile(r"^agency:(\d+)")


def read_link(token: str, secret: str, previous_secret: str = "") -> ActionClaim:
    """The link's claim; 401 for a link we did not sign, 410 for one past its time."""
    try:
        return read_action_token(secret, token, previous_secret)
    except ExpiredActionLink as exc:
        raise HTTPException(410, "Tautan ini sudah kedaluwarsa; minta tautan baru ke puskesmas / "
                                 "this link has expired; ask the puskesmas for a new one") from exc
    except InvalidActionLink as exc:
        raise HTTPException(401, "Tautan tidak sah; buka tautan persis seperti di pesan / "
                                 "invalid link; open it exactly as it came in the message") from exc


def link_principal(claim: ActionClaim) -> Principal:
    """Whom the link lets act: its agency, named in history and audit as acting through the link."""
    return Principal(role="agency", agency_id=str(claim.agency_id), subject=claim.subject)


def allowed_actions(followup: FollowUpOut) -> list[str]:
    """Nothing once done or cancelled; "acknowledge" only until the owner has acknowledged."""
    if followup.status not in ACTIVE:
        return []
    return [a for a in ACTIONS if a != "acknowledge" or followup.acknowledged_at is None]


def owned_followup(session, claim: ActionClaim) -> FollowUpOut:
    """The link's follow-up, while the link's agency still owns it (else 403: reassigned)."""
    found = followup_reads.read_followups(session, followup_reads.GET_STATEMENT, {"id": claim.followup_id})
    if not found:
        raise not_found("Tindak lanjut / follow-up", claim.followup_id)
    if found[0].owner_agency_id != claim.agency_id:
        raise forbidden("Tindak lanjut ini sudah dialihkan ke lembaga lain; lembaga Anda bukan lagi penanggung "
                        "jawabnya / this follow-up now belongs to another agency")
    return found[0]


def active_followup(session, claim: ActionClaim) -> FollowUpOut:
    """As `owned_followup`, and still open or in progress (else 409 saying which)."""
    followup = owned_followup(session, claim)
    if followup.status == "done":
        raise conflict("Tindak lanjut ini sudah selesai / this follow-up is already done")
    if followup.status == "cancelled":
        raise conflict("Tindak lanjut ini sudah dibatalkan / this follow-up was cancelled")
    return followup


def open_link(session, claim: ActionClaim) -> ActionLinkOut:
    """What the link's page shows: the follow-up, its names, its history and the allowed actions."""
    followup = owned_followup(session, claim)
    principal = link_principal(claim)
    history = [HistoryOut.model_validate(h) for h in
               followup_reads.followup_history(session, principal, followup.id, limit=200).items]
    puskesmas = session.get(models.Puskesmas, followup.puskesmas_id)
    meeting = session.get(models.Meeting, followup.meeting_id)
    mentioned = [followup.owner_agency_id, *followup.supporting_agency_ids]
    for h in history:
        found = _AGENCY_ACTOR.match(h.actor)
        mentioned += [int(found.group(1))] if found else []
        mentioned += [int(a) for a in (h.data or {}).get("escalated_to_agency_ids") or []]
    names = agency_names(session, mentioned)
    return ActionLinkOut(
        followup=followup, allowed=allowed_actions(followup), expires_at=claim.expires_at,
        puskesmas_name=puskesmas.name if puskesmas else None, owner_agency_name=names.get(followup.owner_agency_id),
        meeting_title=meeting.title if meeting else None, timezone=puskesmas.timezone if puskesmas else None,
        history=history, agency_names=names,
    )


def acknowledge(session, claim: ActionClaim, body: AcknowledgeIn) -> FollowUpOut:
    active_followup(session, claim)
    return followups.acknowledge_followup(session, link_principal(claim), claim.followup_id, body)


def report_progress(session, claim: ActionClaim, body: ProgressIn) -> FollowUpOut:
    active_followup(session, claim)
    return followups.report_progress(session, link_principal(claim), claim.followup_id, body)


def complete(session, claim: ActionClaim, body: CompleteIn) -> FollowUpOut:
    active_followup(session, claim)
    return followups.complete_followup(session, link_principal(claim), claim.followup_id, body)


def request_extension(session, claim: ActionClaim, body: ExtensionRequestIn) -> ExtensionRequestOut:
    active_followup(session, claim)
    return extensions.request_extension(session, link_principal(claim), claim.followup_id, body)


def add_evidence(session, claim: ActionClaim, data: bytes, filename: str | None) -> EvidenceOut:
    active_followup(session, claim)
    return evidence.add_evidence(session, link_principal(claim), claim.followup_id, data, filename)


def evidence_thumbnail(session, claim: ActionClaim, evidence_id: int):
    """The thumbnail (chunks, content type) of evidence on the link's own follow-up, while the link's
    agency owns it; evidence of any other follow-up is 404, as if it did not exist."""
    owned_followup(session, claim)
    row = session.get(models.Evidence, evidence_id)
    if row is None or row.followup_id != claim.followup_id:
        raise not_found("Bukti / evidence", evidence_id)
    chunks, content_type, _row = evidence.stream_evidence(session, link_principal(claim), evidence_id,
                                                          thumbnail=row.thumbnail_key is not None)
    return chunks, content_type
