"""Webhook signing secrets: made here, shown once, stored encrypted with a key derived from
MINILOK_SECRET (HKDF-SHA256 → Fernet); during a rotation MINILOK_SECRET_PREVIOUS still decrypts."""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"


class UndecryptableSecret(InvalidToken):
    """Stored under a master secret that is neither MINILOK_SECRET nor MINILOK_SECRET_PREVIOUS."""

    def __str__(self) -> str:
        return ("secret webhook tidak dapat dibuka: MINILOK_SECRET diganti tanpa MINILOK_SECRET_PREVIOUS; "
                "atur MINILOK_SECRET_PREVIOUS atau buat secret baru (rotate-secret) / "
                "the webhook secret cannot be decrypted: MINILOK_SECRET was changed without "
                "MINILOK_SECRET_PREVIOUS; set MINILOK_SECRET_PREVIOUS or make a new secret (rotate-secret)")


def new_webhook_secret() -> str:
    """`whsec_` + base64 of 24 random bytes, the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(24)).decode()


@lru_cache(maxsize=4)
def _fernet(master_secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"minilok-notifications",
               info=b"webhook-secrets-v1").derive(master_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@lru_cache(maxsize=4)
def _keyring(master_secret: str, previous_secret: str) -> MultiFernet:
    return MultiFernet([_fernet(s) for s in (master_secret, previous_secret) if s])


def encrypt(master_secret: str, plaintext: str) -> str:
    return _fernet(master_secret).encrypt(plaintext.encode()).decode()


def decrypt(master_secret: str, token: str, previous_secret: str = "") -> str:
    """With the current master secret, else the previous one; UndecryptableSecret when neither."""
    try:
        return _keyring(master_secret, previous_secret).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise UndecryptableSecret() from exc
