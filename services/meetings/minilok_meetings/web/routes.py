"""The dashboard's one router and its installation in the meetings app: the pages, the static
files, and the two answers that are pages rather than JSON (sign in first; a form without its
CSRF token)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from minilok_meetings.web import (
    action_page,
    admin_page,
    agency_page,
    board,
    evidence_files,
    followup_page,
    indicator_page,
    login_page,
    meeting_page,
    note_form,
    overview,
    scorecard_page,
    stream,
)
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import render
from minilok_meetings.web.session import CsrfFailed, SignInRequired, web_user

router = APIRouter(include_in_schema=False)
# note_form before followup_page: its POST /follow-ups/{id}/{verb} would take /notes.
for _page in (login_page, overview, board, note_form, followup_page, evidence_files, agency_page, meeting_page,
              indicator_page, scorecard_page, stream, action_page, admin_page):
    router.include_router(_page.router)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, _exc: SignInRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed):
        _ = translator(lang_of(request))
        return render(request, "error.html", web_user(request), 403,
                      message=_("Formulir kedaluwarsa atau tidak sah; muat ulang halaman dan coba lagi.",
                                "The form expired or is not valid; reload the page and try again."), status=403)
