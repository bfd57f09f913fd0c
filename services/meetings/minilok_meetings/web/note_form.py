"""The note form of a follow-up's page (`POST /follow-ups/{id}/notes`): anyone who may open the
follow-up may add a note to its history (an agency it escalated to: "sudah kami tegur")."""

from __future__ import annotations

from fastapi import APIRouter, Request
from minilok_shared.deps import SessionDep

from minilok_meetings.schemas import NoteIn
from minilok_meetings.service_layer import followup_notes
from minilok_meetings.web.forms import FormDep
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action

router = APIRouter(include_in_schema=False)


@router.post("/follow-ups/{followup_id}/notes")
@action("/follow-ups/{followup_id}")
def add_note(request: Request, form: FormDep, followup_id: int, db: SessionDep, user):
    followup_notes.add_note(db, user.principal, followup_id, NoteIn(note=form.get("note") or ""))
    return translator(lang_of(request))("Catatan ditambahkan.", "Note added.")
