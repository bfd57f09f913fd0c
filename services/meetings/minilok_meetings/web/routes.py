"""Wires the dashboard into the meetings app: its pages, static files and the two answers
that are pages rather than JSON (sign in first; a form without its CSRF token)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from minilok_meetings.web import indicators, meeting, pages, stream
from minilok_meetings.web.common import lang_of, render, translator
from minilok_meetings.web.session import CsrfFailed, SignInRequired, web_user


def install(app: FastAPI) -> None:
    for module in (pages, meeting, indicators, stream):
        app.include_router(module.router)
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
                                "The form expired or is not valid; reload the page and try again."))
