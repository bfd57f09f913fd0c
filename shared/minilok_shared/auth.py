"""Signed bearer tokens (JWT, HS256 with MINILOK_SECRET), verified by every service alone."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
from fastapi import FastAPI

from minilok_shared.revocation import RevocationList

Role = Literal["admin", "puskesmas", "agency", "dinas"]
# dinas: a dinas kesehatan, reading every puskesmas whose area lies within its `area_code`.
ROLES: tuple[str, ...] = ("admin", "puskesmas", "agency", "dinas")
ISSUER = "minilok"
DEFAULT_TTL_SECONDS = 30 * 86400


@dataclass(frozen=True)
class Principal:
    role: str
    subject: str
    puskesmas_id: str | None = None
    agency_id: str | None = None
    # The puskesmas's working area (an area code of the indicators service): its token reports
    # indicator values only there and beneath. A dinas's area: it reads every puskesmas within.
    # None: not limited.
    area_code: str | None = None
    jti: str | None = None
    issued_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_dinas(self) -> bool:
        return self.role == "dinas"

    def covers_area(self, area_code: str | None) -> bool:
        """A dinas's (or an area-limited puskesmas's) area holds `area_code`: equal, or beneath it."""
        if self.area_code is None:
            return self.is_admin
        return area_code is not None and (area_code == self.area_code or area_code.startswith(self.area_code + "."))


def create_token(
    secret: str,
    role: str,
    *,
    puskesmas_id: str | int | None = None,
    agency_id: str | int | None = None,
    ttl_seconds: int | None = DEFAULT_TTL_SECONDS,
    subject: str | None = None,
    area_code: str | None = None,
) -> str:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "puskesmas" and puskesmas_id is None:
        raise ValueError("a puskesmas token needs --puskesmas ID")
    if role == "agency" and agency_id is None:
        raise ValueError("an agency token needs --agency ID")
    if role == "dinas" and area_code is None:
        raise ValueError("a dinas token needs --area CODE")
    now = datetime.now(UTC)
    claims: dict = {"iss": ISSUER, "sub": subject or f"{role}:{uuid.uuid4().hex[:12]}", "role": role, "iat": now,
                    "jti": uuid.uuid4().hex}
    if puskesmas_id is not None:
        claims["puskesmas_id"] = str(puskesmas_id)
    if agency_id is not None:
        claims["agency_id"] = str(agency_id)
    if area_code is not None:
        if role not in ("puskesmas", "dinas"):
            raise ValueError("--area is for puskesmas and dinas tokens")
        claims["area_code"] = str(area_code)
    if ttl_seconds:
        claims["exp"] = now + timedelta(seconds=ttl_seconds)
    return jwt.encode(claims, secret, algorithm="HS256")


class InvalidToken(Exception):
    pass


class TokensUnchecked(Exception):
    """The service has not yet read its revoked tokens (its database was unreachable)."""


def decode_token(secret: str, token: str, previous_secret: str = "") -> Principal:
    """Verify with `secret`, then with `previous_secret` (during a rotation, MINILOK_SECRET_PREVIOUS)."""
    return _verify(secret, token, previous_secret)[0]


def _verify(secret: str, token: str, previous_secret: str) -> tuple[Principal, float | None]:
    """The principal and the token's expiry (epoch seconds; None: never)."""
    for key in (secret, previous_secret) if previous_secret else (secret,):
        try:
            claims = jwt.decode(token, key, algorithms=["HS256"], issuer=ISSUER,
                                options={"require": ["sub", "iat"]})
            break
        except jwt.InvalidSignatureError as exc:
            error: Exception = exc
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("token expired") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("invalid token") from exc
    else:
        raise InvalidToken("invalid token") from error
    role = claims.get("role")
    if role not in ROLES:
        raise InvalidToken("invalid token role")
    return Principal(role=role, subject=claims["sub"], puskesmas_id=claims.get("puskesmas_id"),
                     agency_id=claims.get("agency_id"), area_code=claims.get("area_code"),
                     jti=claims.get("jti"), issued_at=datetime.fromtimestamp(claims["iat"], UTC)), claims.get("exp")


class VerifiedTokens:
    """Bearer tokens whose signature and claims were verified in the last `seconds`, keyed by the
    token itself: a client's next requests skip the HMAC and the claim checks (most of the cost of
    authenticating). Only what the token says is kept; revocation is checked on every request
    all the same, and an entry never outlives the token's own expiry."""

    def __init__(self, seconds: float = 5.0, size: int = 10_000):
        self.seconds, self.size = seconds, size
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if time.time() >= entry[1]:
            del self._entries[token]
            return None
        return entry[0]

    def put(self, token: str, principal: Principal, expires_at: float | None) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()  # many distinct tokens within seconds: start over, no LRU bookkeeping
        until = time.time() + self.seconds
        self._entries[token] = (principal, until if expires_at is None else min(until, expires_at))


def revocation_list(app: FastAPI) -> RevocationList:
    """The app's revoked tokens, read from its own database (`app.state.engine`)."""
    revocations = getattr(app.state, "revocations", None)
    if revocations is None:
        revocations = app.state.revocations = RevocationList(app.state.engine)
    return revocations


def check_not_revoked(revocations: RevocationList, principal: Principal) -> None:
    """InvalidToken if revoked; TokensUnchecked if the list could never be read. Reads the list
    again when it is stale (blocking: call `revocations.refresh` in a thread from async code first)."""
    current = revocations.refresh() if revocations.stale() else revocations.current
    if current is None:
        raise TokensUnchecked
    if current.refuses(principal.jti, principal.subject, principal.issued_at):
        raise InvalidToken("token revoked")


def authenticate(app: FastAPI, token: str) -> Principal:
    """The principal of a bearer token: signed by us (current or previous secret), not expired, not revoked."""
    verified = getattr(app.state, "verified_tokens", None)
    if verified is None:
        verified = app.state.verified_tokens = VerifiedTokens()
    principal = verified.get(token)
    if principal is None:
        settings = app.state.settings
        principal, expires_at = _verify(settings.minilok_secret, token, settings.minilok_secret_previous)
        verified.put(token, principal, expires_at)
    check_not_revoked(revocation_list(app), principal)
    return principal
