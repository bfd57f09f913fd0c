"""Action links: the token in `{MINILOK_PUBLIC_URL}/a/{token}` that lets the owning agency act on one
follow-up from a message, without signing in.

Minted by the notifications service (it writes the messages) and read by the meetings service
(it owns the follow-ups), both with MINILOK_SECRET. The token is a JWT with its own audience, so
it never passes as a bearer token (`auth.decode_token` refuses any token with an audience), and
a bearer token never passes as an action link. Claims are short: the link goes into an SMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

AUDIENCE = "minilok:action"
# A link lasts until this long after the follow-up's due time (contract).
VALID_AFTER_DUE = timedelta(days=30)


@dataclass(frozen=True)
class ActionClaim:
    followup_id: int
    agency_id: int
    expires_at: datetime

    @property
    def subject(self) -> str:
        """Who acts, for history and audit: the agency, through its link."""
        return f"agency:{self.agency_id}:link"


class InvalidActionLink(Exception):
    """Not signed by us, or not an action link (401)."""


class ExpiredActionLink(Exception):
    """Signed by us, but past its time (410)."""


def mint_action_token(secret: str, followup_id: int, agency_id: int, due_at: datetime) -> str:
    expires = due_at + VALID_AFTER_DUE
    claims = {"aud": AUDIENCE, "f": int(followup_id), "a": int(agency_id), "exp": int(expires.timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256", headers={"typ": None})


def read_action_token(secret: str, token: str, previous_secret: str = "") -> ActionClaim:
    """The claim of a link signed with `secret` (or, during a rotation, `previous_secret`). The
    signature is checked before the expiry, so a forged expired link is 401, not 410."""
    error: Exception = InvalidActionLink("invalid action link")
    for key in (secret, previous_secret) if previous_secret else (secret,):
        try:
            claims = jwt.decode(token, key, algorithms=["HS256"], audience=AUDIENCE,
                                options={"require": ["aud", "exp", "f", "a"]})
        except jwt.ExpiredSignatureError as exc:
            raise ExpiredActionLink("action link expired") from exc
        except jwt.InvalidSignatureError as exc:
            error = exc
            continue
        except jwt.PyJWTError as exc:
            raise InvalidActionLink("invalid action link") from exc
        try:
            return ActionClaim(int(claims["f"]), int(claims["a"]), datetime.fromtimestamp(claims["exp"], UTC))
        except (TypeError, ValueError) as exc:
            raise InvalidActionLink("invalid action link") from exc
    raise InvalidActionLink("invalid action link") from error
