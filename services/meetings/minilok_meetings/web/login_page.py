"""Signing in to the dashboard with a token, and signing out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from minilok_shared.auth import InvalidToken, TokensUnchecked

from minilok_meetings.web.forms import FormDep, local_path
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, render
from minilok_meetings.web.session import sign_in, sign_out, web_user

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request):
    return render(request, "login.html", web_user(request), next=local_path(request.query_params.get("next"), "/"))


@router.post("/login")
def login(request: Request, form: FormDep):
    _ = translator(lang_of(request))
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host"):
        return render(request, "login.html", None, 403, error=_("Asal formulir tidak dikenal.", "Unknown form origin."))
    token = (form.get("token") or "").strip()
    target = local_path(form.get("next"), "/")
    response = RedirectResponse(target, status_code=303)
    try:
        sign_in(request, response, token)
    except InvalidToken:
        return render(request, "login.html", None, 401, next=target,
                      error=_("Token tidak sah, kedaluwarsa, atau dicabut.",
                              "The token is invalid, has expired or was revoked."))
    except TokensUnchecked:
        return render(request, "login.html", None, 503, next=target,
                      error=_("Layanan belum siap; coba lagi sebentar.", "Not ready yet; try again shortly."))
    return response


@router.post("/logout")
@action("/login")
def logout(request: Request, form: FormDep, user):
    response = RedirectResponse("/login", status_code=303)
    sign_out(request, response)
    return response
