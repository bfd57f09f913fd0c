"""Sign-in by one-time code: send a code to an agency contact (through the notifications service,
sealed on the bus), and trade a right code for a bearer token of the contact's agency."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
import jwt
from fastapi import HTTPException
from fastapi.concurrency import run_in_threadpool
from minilok_shared.auth import create_token
from minilok_shared.crypto import SecretBox
from minilok_shared.db import utcnow
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from minilok_meetings import models
from minilok_meetings.domain import sign_in as rules
from minilok_meetings.events import outbox
from minilok_meetings.schemas import SignInCodeIn, SignInVerifyIn

CODE_REQUESTED = "auth.code_requested"
# The notifications service opens `code_sealed` with the same labels under MINILOK_SECRET: the
# code never crosses RabbitMQ in clear.
SEALED_CODES = SecretBox(salt=b"minilok-sign-in-code", purpose=b"sign-in code")

Code, Failure, Contact, Agency = models.SignInCode, models.SignInFailure, models.AgencyContact, models.Agency


@dataclass(frozen=True)
class ContactMatch:
    contact_id: int
    agency_id: int
    kind: str
    puskesmas_id: int | None
    area_code: str | None


def contact_key(body: SignInCodeIn) -> tuple[str, str]:
    """("phone", E.164) or ("email", lower-cased): the schema has normalised the phone already."""
    if body.phone is not None:
        return "phone", body.phone
    return "email", rules.email_key(str(body.email))


def find_contact(session: Session, channel: str, key: str, agency_id: int | None = None) -> ContactMatch | None:
    """The contact with this phone or email that may sign in; of several agencies sharing it, the
    first (lowest id). One whose "boleh masuk" is off is not found, as if unknown."""
    matches = Contact.phone == key if channel == "phone" else func.lower(Contact.email) == key
    query = (select(Contact.id, Contact.agency_id, Agency.kind, Agency.puskesmas_id, Agency.area_code)
             .join(Agency, Agency.id == Contact.agency_id).where(matches, Contact.can_sign_in.is_(True))
             .order_by(Agency.id, Contact.id).limit(1))
    if agency_id is not None:
        query = query.where(Contact.agency_id == agency_id)
    row = session.execute(query).first()
    return ContactMatch(*row) if row else None


def _forget_old(session: Session, now: datetime) -> None:
    cutoff = now - rules.KEEP_FOR
    session.execute(delete(Code).where(Code.expires_at < cutoff))
    session.execute(delete(Failure).where(Failure.at < cutoff))


def request_code(session: Session, secret: str, body: SignInCodeIn, now: datetime | None = None,
                 language: str = "id") -> None:
    """Send a code to a known contact (at most MAX_SENT per window), its text in `language` ("en"
    adds English). The same work, the same answer for an unknown one: the caller learns nothing
    about who is known."""
    now = now or utcnow()
    channel, key = contact_key(body)
    contact = find_contact(session, channel, key)
    code = rules.new_code()
    hashed = rules.code_hash(secret, key, code)
    _forget_old(session, now)
    if contact is not None:
        sent = session.scalars(select(Code.created_at).where(Code.contact_key == key,
                                                             Code.created_at > now - rules.SEND_WINDOW)).all()
        if rules.may_send(list(sent), now):
            # The newest code replaces every earlier one still open.
            session.execute(update(Code).where(Code.contact_key == key, Code.used_at.is_(None),
                                               Code.expires_at > now).values(expires_at=now))
            row = Code(contact_key=key, code_hash=hashed, agency_id=contact.agency_id, created_at=now,
                       expires_at=now + rules.CODE_VALID)
            session.add(row)
            session.flush()
            outbox.add(session, CODE_REQUESTED, row.id, {
                "channel": channel, "target": key, "code_sealed": SEALED_CODES.encrypt(secret, code),
                "language": language if language in ("id", "en") else "id",
                "expires_at": row.expires_at.isoformat()})
    session.commit()


async def request_code_evenly(session: Session, secret: str, body: SignInCodeIn, language: str = "id") -> None:
    """`request_code` (in a worker thread), answered no sooner than ANSWER_AFTER after it began,
    waiting on the event loop (a slow answer must not hold a thread)."""
    started = time.monotonic()
    await run_in_threadpool(request_code, session, secret, body, None, language)
    await anyio.sleep(max(0.0, rules.ANSWER_AFTER.total_seconds() - (time.monotonic() - started)))


def _wrong_code() -> HTTPException:
    return HTTPException(401, "Kode salah, kedaluwarsa, atau sudah dipakai / wrong, expired or already used code")


def locked(seconds: int) -> HTTPException:
    minutes = -(-seconds // 60)
    return HTTPException(429, f"Terlalu banyak kode salah; coba lagi dalam {minutes} menit / too many wrong codes; "
                              f"try again in {minutes} minutes", headers={"Retry-After": str(seconds)})


def verify_code(session: Session, secret: str, body: SignInVerifyIn, now: datetime | None = None) -> dict:
    """The token of the contact's agency for a right code; 401 for a wrong, expired or used one
    (counted), 429 while the contact is locked (even for the right code)."""
    now = now or utcnow()
    channel, key = contact_key(body)
    failures = session.scalars(select(Failure.at).where(Failure.contact_key == key,
                                                        Failure.at > now - rules.FAILURE_WINDOW)).all()
    until = rules.locked_until(list(failures), now)
    if until is not None:
        raise locked(rules.retry_after_seconds(until, now))
    newest = session.execute(select(Code.id, Code.code_hash, Code.created_at, Code.expires_at, Code.used_at,
                                    Code.agency_id)
                             .where(Code.contact_key == key).order_by(Code.created_at.desc(), Code.id.desc())
                             .limit(1)).first()
    issued = [rules.IssuedCode(*newest[:5])] if newest else []
    code = rules.accepted(issued, rules.code_hash(secret, key, body.code), now)
    # Used once: of two requests racing with the same code, one updates the row.
    if code is None or session.execute(update(Code).where(Code.id == code.id, Code.used_at.is_(None))
                                       .values(used_at=now)).rowcount != 1:
        session.add(Failure(contact_key=key, at=now))
        session.commit()
        raise _wrong_code()
    contact = find_contact(session, channel, key, agency_id=newest.agency_id)
    if contact is None:  # removed from its agency since the code was sent
        session.commit()
        raise _wrong_code()
    puskesmas_area = None
    if contact.kind == "puskesmas" and contact.puskesmas_id is not None:
        puskesmas_area = session.scalar(select(models.Puskesmas.area_code)
                                        .where(models.Puskesmas.id == contact.puskesmas_id))
    grant = rules.grant_for(contact.agency_id, contact.kind, contact.puskesmas_id, contact.area_code, puskesmas_area)
    token = create_token(secret, grant.role, puskesmas_id=grant.puskesmas_id, agency_id=grant.agency_id,
                         area_code=grant.area_code, ttl_seconds=int(grant.ttl.total_seconds()),
                         subject=f"contact:{contact.contact_id}")
    session.commit()
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    return {"token": token, "expires_at": datetime.fromtimestamp(expires, UTC), "role": grant.role,
            "puskesmas_id": grant.puskesmas_id, "agency_id": grant.agency_id, "area_code": grant.area_code}
