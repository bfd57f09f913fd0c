"""Sign-in for the dashboard: the user pastes a token (`minilok token create ...`); the server keeps
it in a session (table dashboard_sessions) with a CSRF token that every form sends back, and the
HttpOnly, SameSite=Lax cookie holds only the session's random id. Signing out deletes the session,
so a copied cookie stops working. The token is checked again on every request, so an expired,
revoked or foreign token signs the user out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from minilok_shared.auth import InvalidToken, Principal, TokensUnchecked, authenticate
from minilok_shared.crypto import SecretBox, Undecryptable
from minilok_shared.db import utcnow

from minilok_meetings.service_layer import dashboard_sessions

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


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


# The stored token is encrypted under the session id itself, which only the user's cookie holds:
# the table alone (a backup, a leak) signs nobody in.
_TOKENS = SecretBox(salt=b"minilok-dashboard-session", purpose=b"bearer token of a dashboard session")


def sign_in(request: Request, response: Response, token: str) -> Principal:
    """InvalidToken when the token is not ours, has expired or is revoked."""
    principal = authenticate(request.app, token)
    session_id, now = secrets.token_urlsafe(32), utcnow()
    with request.app.state.engine.begin() as connection:
        dashboard_sessions.open_session(connection, _id_hash(session_id), _TOKENS.encrypt(session_id, token),
                                        secrets.token_urlsafe(24), now,
                                        now + timedelta(seconds=SESSION_SECONDS))
    response.set_cookie(SESSION_COOKIE, session_id, max_age=SESSION_SECONDS, httponly=True, samesite="lax",
                        secure=_secure(request), path="/")
    return principal


def sign_out(request: Request, response: Response) -> None:
    """End the session on the server (its cookie, wherever copied, no longer signs anyone in)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        with request.app.state.engine.begin() as connection:
            dashboard_sessions.end_session(connection, _id_hash(session_id))
    response.delete_cookie(SESSION_COOKIE, path="/")


_NOBODY = object()


def web_user(request: Request) -> WebUser | None:
    """The signed-in user of this request (one database read per request, then remembered)."""
    known = getattr(request.state, "web_user", _NOBODY)
    if known is not _NOBODY:
        return known
    request.state.web_user = user = _session_user(request)
    return user


def _session_user(request: Request) -> WebUser | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        return None
    with request.app.state.engine.connect() as connection:
        row = dashboard_sessions.live_session(connection, _id_hash(session_id), utcnow())
    if row is None:
        return None
    try:
        token = _TOKENS.decrypt(session_id, row.token)
        principal = authenticate(request.app, token)
    except (Undecryptable, InvalidToken, TokensUnchecked):
        return None
    return WebUser(principal, token, row.csrf)


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
