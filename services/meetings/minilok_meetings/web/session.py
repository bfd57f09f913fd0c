"""Sign-in for the dashboard: the user pastes a token (`minilok token create ...`), which is kept
in an HttpOnly, SameSite=Lax cookie signed with MINILOK_SECRET, next to a per-session CSRF
token that every form sends back. The token is checked again on every request, so an expired
or foreign token signs the user out."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from minilok_shared.auth import InvalidToken, Principal, decode_token

SESSION_COOKIE = "minilok_session"
LANG_COOKIE = "minilok_lang"
FLASH_COOKIE = "minilok_flash"
SESSION_SECONDS = 12 * 3600
LANGUAGES = ("id", "en")


@dataclass(frozen=True)
class WebUser:
    principal: Principal
    token: str
    csrf: str


class SignInRequired(Exception):
    """Raised by pages that need a signed-in user: answered with a redirect to /login."""


class CsrfFailed(Exception):
    pass


def _serializer(request: Request, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.settings.minilok_secret, salt=f"minilok-dashboard-{purpose}")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def sign_in(request: Request, response: Response, token: str) -> Principal:
    """InvalidToken when the token is not ours or has expired."""
    principal = decode_token(request.app.state.settings.minilok_secret, token)
    value = _serializer(request, "session").dumps({"t": token, "c": secrets.token_urlsafe(24)})
    response.set_cookie(SESSION_COOKIE, value, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=_secure(request), path="/")
    return principal


def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def web_user(request: Request) -> WebUser | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request, "session").loads(raw, max_age=SESSION_SECONDS)
        principal = decode_token(request.app.state.settings.minilok_secret, data["t"])
    except (BadSignature, InvalidToken, KeyError, TypeError):
        return None
    return WebUser(principal, data["t"], data["c"])


def required_user(request: Request) -> WebUser:
    user = web_user(request)
    if user is None:
        raise SignInRequired
    request.state.principal = user.principal  # as the API's auth does: the audit log reads it
    return user


def check_csrf(user: WebUser, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(sent, user.csrf):
        raise CsrfFailed


def language(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return wanted if wanted in LANGUAGES else "id"


def remember_language(request: Request, response: Response) -> None:
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], max_age=365 * 86400, samesite="lax",
                            secure=_secure(request), path="/")


def set_flash(request: Request, response: Response, message: str, kind: str = "ok") -> None:
    response.set_cookie(FLASH_COOKIE, _serializer(request, "flash").dumps({"m": message[:1500], "k": kind}),
                        max_age=60, httponly=True, samesite="lax", secure=_secure(request), path="/")


def read_flash(request: Request) -> dict | None:
    """The message of the previous form post, if any (the page that shows it clears it)."""
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        return _serializer(request, "flash").loads(raw, max_age=60)
    except BadSignature:
        return None


def clear_flash(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/")
