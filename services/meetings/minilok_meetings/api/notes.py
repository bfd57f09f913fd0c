"""Notes on a follow-up: parse the request, call the service layer, answer."""

from fastapi import APIRouter, status
from minilok_shared.deps import CurrentPrincipal, SessionDep

from minilok_meetings.schemas import HistoryOut, NoteIn
from minilok_meetings.service_layer import followup_notes

router = APIRouter(tags=["follow-ups"])


@router.post("/follow-ups/{followup_id}/notes", status_code=status.HTTP_201_CREATED, response_model=HistoryOut)
def add_note(followup_id: int, body: NoteIn, session: SessionDep, principal: CurrentPrincipal):
    """A note in the follow-up's history (kind "note"), by anyone who may read the follow-up; no event."""
    return followup_notes.add_note(session, principal, followup_id, body)
