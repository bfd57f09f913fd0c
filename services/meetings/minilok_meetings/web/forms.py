"""Reading the dashboard's form posts: the form dependency (FormDep), the small field parsers,
and each form's fields turned into the schema the service layer takes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from minilok_shared.errors import unprocessable
from starlette.datastructures import FormData

from minilok_meetings.schemas import (
    AcknowledgeIn,
    CompleteIn,
    ExtensionDecisionIn,
    ExtensionRequestIn,
    MeetingCreate,
    MeetingPatch,
    ProgressIn,
    ProposalAccept,
    ReasonIn,
)


async def read_form(request: Request) -> FormData:
    return await request.form(max_files=0, max_fields=1000)


FormDep = Annotated[FormData, Depends(read_form)]


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def blank_to_none(value: Any) -> str | None:
    text = (value or "").strip() if isinstance(value, str) else value
    return text or None


def local_path(value: str | None, default: str) -> str:
    """Only paths of this site are followed after a form (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def local_datetime(value: str | None, tz: str) -> datetime | None:
    """A `datetime-local` input, read in the puskesmas's timezone (None when empty or invalid)."""
    try:
        return datetime.fromisoformat((value or "").strip()).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        return None


def meeting_create(form: FormData, puskesmas_id: int | None, tz: str) -> MeetingCreate:
    return MeetingCreate(puskesmas_id=puskesmas_id or 0, kind=form.get("kind") or "", title=form.get("title") or "",
                         scheduled_at=local_datetime(form.get("scheduled_at"), tz),
                         location=blank_to_none(form.get("location")))


def meeting_patch(form: FormData, tz: str) -> MeetingPatch:
    """The edit form sends all three fields; the service changes only what differs."""
    when = form.get("scheduled_at")
    scheduled = local_datetime(when, tz)
    if when and scheduled is None:
        raise unprocessable("scheduled_at", "waktu tidak sah / not a valid time")
    fields = {"title": form.get("title") or "", "location": blank_to_none(form.get("location"))}
    return MeetingPatch(**fields, **({"scheduled_at": scheduled} if scheduled else {}))


def invited_agency_ids(form: FormData) -> list[int]:
    """The ticked agencies of the invitation form (one checkbox `agency_id` each)."""
    return [i for i in (int_or_none(v) for v in form.getlist("agency_id")) if i is not None]


def progress(form: FormData) -> ProgressIn:
    return ProgressIn(note=form.get("note") or "", percent=int_or_none(form.get("percent")),
                      evidence_url=blank_to_none(form.get("evidence_url")))


def completion(form: FormData) -> CompleteIn:
    return CompleteIn(note=form.get("note") or "", evidence_url=blank_to_none(form.get("evidence_url")))


def acknowledgement(form: FormData) -> AcknowledgeIn:
    return AcknowledgeIn(note=blank_to_none(form.get("note")))


def extension_request(form: FormData, _) -> ExtensionRequestIn:
    try:
        due_date = date.fromisoformat((form.get("due_date") or "").strip())
    except ValueError:
        raise unprocessable("due_date", _("tanggal tidak valid", "invalid date")) from None
    return ExtensionRequestIn(due_date=due_date, reason=form.get("reason") or "")


def extension_decision(form: FormData) -> ExtensionDecisionIn:
    return ExtensionDecisionIn(reason=blank_to_none(form.get("reason")))


def reason(form: FormData) -> ReasonIn:
    return ReasonIn(reason=form.get("reason") or "")


def proposal_accept(form: FormData) -> ProposalAccept:
    return ProposalAccept(meeting_id=int_or_none(form.get("meeting_id")) or 0)


def subscription(form: FormData, agency_id: int | None) -> dict[str, Any]:
    """The body of `POST /subscriptions` at the notifications service."""
    return {"agency_id": agency_id, "channel": form.get("channel"), "target": (form.get("target") or "").strip(),
            "event_types": form.getlist("event_types") or ["followup.*"], "language": form.get("language") or "id"}
