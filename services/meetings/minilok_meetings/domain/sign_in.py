"""Sign-in by one-time code: who a contact is, how a code is made and kept, and when it lets someone in."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_DIGITS = 6
CODE_VALID = timedelta(minutes=10)
# Five wrong codes for one contact within the window lock it until fewer than five remain in it.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
# At most this many codes are sent to one contact per window; more requests send nothing.
MAX_SENT = 3
SEND_WINDOW = timedelta(minutes=15)
# Asking for a code is answered no sooner than this after the request began, known contact or
# not: sending one (rows, an outbox event, a commit) takes longer than finding no one, and the
# difference would tell who is known.
ANSWER_AFTER = timedelta(milliseconds=300)
# Codes and failures older than this are deleted.
KEEP_FOR = timedelta(days=1)
# Tokens handed out by a code: an agency's staff sign in seldom, from a phone they keep; a
# puskesmas or dinas token reads a whole puskesmas or area, so it lasts a working day.
AGENCY_TOKEN_TTL = timedelta(days=30)
OFFICE_TOKEN_TTL = timedelta(hours=12)


def email_key(email: str) -> str:
    return email.strip().lower()


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(secret: str, contact_key: str, code: str) -> str:
    """HMAC-SHA256 under MINILOK_SECRET of `contact_key:code`: the table alone gives no code away,
    and a code sent to one contact never matches another's row."""
    return hmac.new(secret.encode(), f"{contact_key}:{code}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedCode:
    id: int
    code_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None


def locked_until(failures: list[datetime], now: datetime) -> datetime | None:
    """When the contact may try again, if `failures` (the times of its wrong codes) lock it now."""
    recent = sorted(at for at in failures if now - FAILURE_WINDOW < at <= now)
    if len(recent) < MAX_FAILURES:
        return None
    # Unlocked once all but MAX_FAILURES - 1 of them have left the window.
    return recent[len(recent) - MAX_FAILURES] + FAILURE_WINDOW


def retry_after_seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def may_send(sent: list[datetime], now: datetime) -> bool:
    """Whether another code may go out to a contact that was sent codes at the times `sent`."""
    return sum(1 for at in sent if now - SEND_WINDOW < at <= now) < MAX_SENT


def accepted(codes: list[IssuedCode], presented_hash: str, now: datetime) -> IssuedCode | None:
    """The code that lets the contact in: only the newest one it was sent (a newer code replaces
    the older), unused, not expired, and equal to the one presented."""
    if not codes:
        return None
    newest = max(codes, key=lambda c: (c.created_at, c.id))
    if newest.used_at is not None or now >= newest.expires_at:
        return None
    return newest if hmac.compare_digest(newest.code_hash, presented_hash) else None


@dataclass(frozen=True)
class Grant:
    """What a contact of an agency signs in as (the contract's "People, sign-in")."""

    role: str
    puskesmas_id: int | None = None
    agency_id: int | None = None
    area_code: str | None = None

    @property
    def ttl(self) -> timedelta:
        return AGENCY_TOKEN_TTL if self.role == "agency" else OFFICE_TOKEN_TTL


def grant_for(agency_id: int, kind: str, puskesmas_id: int | None, agency_area: str | None,
              puskesmas_area: str | None) -> Grant:
    """A puskesmas's own agency signs in as that puskesmas (its area, as `token create` gives it);
    a dinas kesehatan with an area as a dinas of that area; every other agency as itself."""
    if kind == "puskesmas" and puskesmas_id is not None:
        return Grant("puskesmas", puskesmas_id=puskesmas_id, area_code=puskesmas_area)
    if kind == "dinas_kesehatan" and agency_area:
        return Grant("dinas", agency_id=agency_id, area_code=agency_area)
    return Grant("agency", agency_id=agency_id)


def masked_phone(e164: str) -> str:
    """"+6281234561234" -> "0812-xxxx-1234": enough for its owner to recognise, not to read off a screen."""
    national = "0" + e164[3:] if e164.startswith("+62") else e164
    return f"{national[:4]}-xxxx-{national[-4:]}" if len(national) > 8 else national


def masked_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"
