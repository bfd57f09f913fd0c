"""Signing in to the dashboard: with a phone number or email and the one-time code sent to it
(the way agency staff get in), or by pasting a token (admins and integrations); signing out."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse
from minilok_shared.auth import InvalidToken, TokensUnchecked
from minilok_shared.deps import SessionDep
from pydantic import ValidationError
from starlette.datastructures import FormData

from minilok_meetings.domain.sign_in import masked_email, masked_phone
from minilok_meetings.schemas import SignInCodeIn, SignInVerifyIn
from minilok_meetings.service_layer import sign_in as codes
from minilok_meetings.web.forms import FormDep, local_path
from minilok_meetings.web.i18n import lang_of, translator
from minilok_meetings.web.render import action, render
from minilok_meetings.web.session import sign_in, sign_out, web_user

router = APIRouter(include_in_schema=False)


def _foreign_origin(request: Request) -> bool:
    """A form posted from another site (no CSRF token exists before sign-in: the origin is checked)."""
    origin = request.headers.get("origin")
    return bool(origin) and origin.split("://", 1)[-1] != request.headers.get("host")


def _contact(form: FormData) -> dict[str, str]:
    """The one field "Nomor HP atau email", as the schema's `phone` or `email`."""
    value = (form.get("contact") or "").strip()
    return {"email" if "@" in value else "phone": value}


def _sent_to(body: SignInCodeIn) -> str:
    return masked_phone(body.phone) if body.phone else masked_email(str(body.email))


@router.get("/login")
def login_page(request: Request):
    return render(request, "login.html", web_user(request), next=local_path(request.query_params.get("next"), "/"))


@router.post("/login/code")
async def send_code(request: Request, form: FormDep, db: SessionDep):
    """First screen: send the code, then ask for it (a resend posts here again)."""
    _ = translator(lang_of(request))
    target = local_path(form.get("next"), "/")
    contact = (form.get("contact") or "").strip()
    if _foreign_origin(request):
        return render(request, "login.html", None, 403, next=target, error=_("Asal formulir tidak dikenal.",
                                                                              "Unknown form origin."))
    try:
        body = SignInCodeIn(**_contact(form))
    except ValidationError:
        return render(request, "login.html", None, 422, next=target, contact=contact,
                      error=_("Nomor HP atau email tidak valid. Tulis nomor seperti 0812 3456 7890, atau alamat "
                              "email lengkap.", "Not a valid phone number or email. Write a number like "
                              "0812 3456 7890, or a full email address."))
    await codes.request_code_evenly(db, request.app.state.settings.minilok_secret, body, lang_of(request))
    return render(request, "login_code.html", None, next=target, contact=contact, sent_to=_sent_to(body),
                  resent=bool(form.get("resend")))


@router.post("/login/verify")
def verify_code(request: Request, form: FormDep):
    """Second screen: the code; right, the dashboard session holds the token it buys."""
    _ = translator(lang_of(request))
    target = local_path(form.get("next"), "/")
    contact = (form.get("contact") or "").strip()
    if _foreign_origin(request):
        return render(request, "login.html", None, 403, next=target, error=_("Asal formulir tidak dikenal.",
                                                                              "Unknown form origin."))
    code = "".join((form.get("code") or "").split())
    try:
        body = SignInVerifyIn(**_contact(form), code=code)
    except ValidationError as exc:
        if any(error["loc"][:1] == ("code",) for error in exc.errors()):
            return _code_screen(request, 422, target, contact, _("Kode terdiri dari 6 angka.",
                                                                 "The code is 6 digits."))
        return render(request, "login.html", None, 422, next=target, contact=contact,
                      error=_("Nomor HP atau email tidak valid.", "Not a valid phone number or email."))
    try:
        # A session of its own, not the request's (held until the answer when the form carries an
        # idempotency key): the code's use commits before `sign_in` writes the dashboard session
        # on another connection, which SQLite would otherwise keep waiting on the held lock.
        with request.app.state.sessionmaker() as db:
            signed_in = codes.verify_code(db, request.app.state.settings.minilok_secret, body)
    except HTTPException as exc:
        if exc.status_code == 429:
            minutes = -(-int(exc.headers["Retry-After"]) // 60)
            message = _(f"Terlalu banyak kode salah. Coba lagi dalam {minutes} menit.",
                        f"Too many wrong codes. Try again in {minutes} minutes.")
        else:
            message = _("Kode salah atau sudah kedaluwarsa. Periksa lagi, atau minta kode baru.",
                        "Wrong or expired code. Check it, or ask for a new code.")
        return _code_screen(request, exc.status_code, target, contact, message, sent_to=_sent_to(body))
    response = RedirectResponse(target, status_code=303)
    try:
        sign_in(request, response, signed_in["token"])
    except (InvalidToken, TokensUnchecked):  # the revoked-token list could not be read just now
        return _code_screen(request, 503, target, contact, _("Layanan belum siap; minta kode baru sebentar lagi.",
                                                             "Not ready yet; ask for a new code shortly."))
    return response


def _code_screen(request: Request, status: int, target: str, contact: str, error: str, sent_to: str | None = None):
    return render(request, "login_code.html", None, status, next=target, contact=contact, error=error,
                  sent_to=sent_to or contact)


@router.post("/login")
def login(request: Request, form: FormDep):
    _ = translator(lang_of(request))
    if _foreign_origin(request):
        return render(request, "login.html", None, 403, error=_("Asal formulir tidak dikenal.", "Unknown form origin."))
    token = (form.get("token") or "").strip()
    target = local_path(form.get("next"), "/")
    response = RedirectResponse(target, status_code=303)
    try:
        sign_in(request, response, token)
    except InvalidToken:
        return render(request, "login.html", None, 401, next=target, token_open=True,
                      error=_("Token tidak sah, kedaluwarsa, atau dicabut.",
                              "The token is invalid, has expired or was revoked."))
    except TokensUnchecked:
        return render(request, "login.html", None, 503, next=target, token_open=True,
                      error=_("Layanan belum siap; coba lagi sebentar.", "Not ready yet; try again shortly."))
    return response


@router.post("/logout")
@action("/login")
def logout(request: Request, form: FormDep, user):
    response = RedirectResponse("/login", status_code=303)
    sign_out(request, response)
    return response
