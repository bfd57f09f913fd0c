"""The action page (`/a/{token}`): a phone-sized page, no sign-in, where a follow-up's owning agency
acknowledges, reports progress, completes or asks for more time; its forms post to `/a/{token}/...`
and the link is their only credential."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from minilok_shared import labels
from minilok_shared.action_links import ActionClaim
from minilok_shared.db import utcnow
from minilok_shared.deps import SessionDep
from minilok_shared.localtime import days_late, format_local
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from minilok_meetings.documents.evidence_files import MAX_BYTES, inline_response
from minilok_meetings.events import Names
from minilok_meetings.schemas import AcknowledgeIn, CompleteIn, ExtensionRequestIn, ProgressIn
from minilok_meetings.service_layer import actions
from minilok_meetings.web.forms import blank_to_none, int_or_none
from minilok_meetings.web.i18n import actor_label, lang_of, translator
from minilok_meetings.web.render import describe, render

router = APIRouter(include_in_schema=False)

LINK_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
VERBS = ("acknowledge", "progress", "complete", "extend")
# History kinds the dashboard's table does not name (yet), in the page's words.
DONE = {"acknowledge": ("Terima kasih, tindak lanjut sudah Anda terima.", "Thank you, the follow-up is acknowledged."),
        "progress": ("Kemajuan tercatat. Terima kasih.", "Progress recorded. Thank you."),
        "complete": ("Tindak lanjut ditandai selesai. Terima kasih.", "The follow-up is marked done. Thank you."),
        "extend": ("Permintaan perpanjangan terkirim ke puskesmas.",
                   "Your request for more time went to the puskesmas.")}


def _answer(response: Response) -> Response:
    response.headers.update(LINK_HEADERS)  # after render(): its Referrer-Policy is same-origin
    return response


def _refused(request: Request, exc: HTTPException, token: str | None = None) -> Response:
    """A kind page for a link that opens nothing: tampered (401), expired (410), reassigned (403)."""
    return _answer(render(request, "action.html", None, exc.status_code, refused=exc.status_code,
                          message=describe(exc, lang_of(request)), token=token))


def _page(request: Request, db, token: str, claim: ActionClaim, status_code: int = 200,
          error: str | None = None) -> Response:
    lang = lang_of(request)
    link = actions.open_link(db, claim)
    f, tz = link.followup, link.timezone
    overdue_days = days_late(f.due_at, utcnow(), tz) if f.is_overdue else None
    done = request.query_params.get("ok")
    actors = Names(agencies=dict(link.agency_names)).load(db, actors=[h.actor for h in link.history])
    history = [{"kind": labels.label("history", h.kind, lang), "when": format_local(h.at, tz, lang),
                "who": actor_label(h.actor, actors.actor_name(h.actor), lang), "data": h.data or {}}
               for h in reversed(link.history)]
    return _answer(render(
        request, "action.html", None, status_code, link=link, f=f, token=token, error=error,
        done=DONE[done][lang == "en"] if done in DONE and not error else None,
        due=format_local(f.due_at, tz, lang), overdue_days=overdue_days, history=history,
        acknowledged=format_local(f.acknowledged_at, tz, lang) if f.acknowledged_at else None,
        expires=format_local(link.expires_at, tz, lang), today=utcnow().astimezone(ZoneInfo(tz or "UTC")).date(),
    ))


@router.get("/a/{token}")
def action_page(request: Request, token: str, db: SessionDep):
    try:
        claim = actions.read_link(token, request.app.state.settings.minilok_secret,
                                  request.app.state.settings.minilok_secret_previous)
        return _page(request, db, token, claim)
    except HTTPException as exc:
        return _refused(request, exc, token)


def _same_origin(request: Request) -> bool:
    """The form came from our own page (no cross-site posts). Under `no-referrer` a browser sends
    `Origin: null` for our own forms, so Sec-Fetch-Site is what tells, where the browser sends it."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin in (None, "null") or urlsplit(origin).netloc == request.headers.get("host")


@router.post("/a/{token}/{verb}")
async def action_post(request: Request, token: str, verb: str, db: SessionDep):
    _ = translator(lang_of(request))
    if verb not in VERBS:
        return _answer(RedirectResponse(f"/a/{token}", status_code=303))
    if not _same_origin(request):
        return _refused(request, HTTPException(403, _("Formulir ini tidak dikirim dari halaman Minilok.",
                                                      "This form was not sent from a Minilok page.")), token)
    form = await request.form(max_files=1, max_fields=20)
    photo = form.get("photo")
    data = await photo.read(MAX_BYTES + 1) if isinstance(photo, UploadFile) and photo.filename else b""
    return await run_in_threadpool(_act, request, db, token, verb, form, data,
                                   photo.filename if data else None)


def _act(request: Request, db, token: str, verb: str, form, photo: bytes, filename: str | None) -> Response:
    settings = request.app.state.settings
    try:
        claim = actions.read_link(token, settings.minilok_secret, settings.minilok_secret_previous)
    except HTTPException as exc:
        return _refused(request, exc, token)
    request.state.principal = actions.link_principal(claim)  # the audit log names the agency, via the link
    try:
        if verb == "acknowledge":
            actions.acknowledge(db, claim, AcknowledgeIn(note=blank_to_none(form.get("note"))))
        elif verb == "extend":
            actions.request_extension(db, claim, ExtensionRequestIn(
                due_date=_date(form.get("due_date")), reason=(form.get("reason") or "").strip()))
        else:
            note = (form.get("note") or "").strip()
            body = (ProgressIn(note=note, percent=int_or_none(form.get("percent"))) if verb == "progress"
                    else CompleteIn(note=note))  # checked before a photo is stored for it
            if photo:
                evidence = actions.add_evidence(db, claim, photo, filename)
                body = body.model_copy(update={"evidence_ids": [evidence.id]})
            (actions.report_progress if verb == "progress" else actions.complete)(db, claim, body)
    except HTTPException as exc:
        if exc.status_code in (401, 403, 404, 410):
            return _refused(request, exc, token)
        db.rollback()  # the page again, as it stands without the refused change
        return _page(request, db, token, claim, exc.status_code, error=describe(exc, lang_of(request)))
    except ValidationError as exc:
        db.rollback()
        return _page(request, db, token, claim, 422, error=describe(exc, lang_of(request)))
    return _answer(RedirectResponse(f"/a/{token}?ok={verb}", status_code=303))


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


@router.get("/a/{token}/evidence/{evidence_id}/thumbnail")
def action_evidence_thumbnail(request: Request, token: str, evidence_id: int, db: SessionDep):
    """A thumbnail of evidence on the link's own follow-up, for the page's history."""
    try:
        claim = actions.read_link(token, request.app.state.settings.minilok_secret,
                                  request.app.state.settings.minilok_secret_previous)
        chunks, content_type = actions.evidence_thumbnail(db, claim, evidence_id)
    except HTTPException as exc:
        return _answer(Response(status_code=exc.status_code))
    return _answer(inline_response(chunks, content_type, f"bukti-{evidence_id}-kecil"))
