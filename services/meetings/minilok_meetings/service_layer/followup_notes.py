"""Notes on a follow-up by anyone it concerns ("sudah kami tegur" from an agency it escalated to).

A note is history only: it changes nothing of the follow-up and emits no event (no status, owner
or due time moves, so there is nothing for subscribers to hear; the owner sees it on the page)."""

from __future__ import annotations

from minilok_shared.auth import Principal

from minilok_meetings import models
from minilok_meetings.access import check_note_writer
from minilok_meetings.schemas import NoteIn
from minilok_meetings.service_layer.followup_reads import load_followup


def add_note(session, principal: Principal, followup_id: int, body: NoteIn) -> models.FollowUpHistory:
    """The history entry (kind "note"), for the owner, supporters, agencies escalated to, the
    puskesmas, a dinas over it and admins."""
    followup = load_followup(session, followup_id)
    check_note_writer(principal, followup, session)
    data: dict = {"note": body.note}
    if principal.agency_id is not None:
        data["agency_id"] = int(principal.agency_id)  # the page names the agency that wrote it
    entry = models.FollowUpHistory(followup_id=followup.id, actor=principal.subject, kind="note", data=data)
    session.add(entry)
    session.commit()
    return entry
