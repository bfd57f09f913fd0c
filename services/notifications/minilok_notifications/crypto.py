"""Webhook signing secrets: made here, shown once, stored encrypted with a key derived from
MINILOK_SECRET (HKDF-SHA256 → Fernet)."""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    """`whsec_` + base64 of 24 random bytes, the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(24)).decode()


@lru_cache(maxsize=4)
def _fernet(master_secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"minilok-notifications",
               info=b"webhook-secrets-v1").derive(master_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(master_secret: str, plaintext: str) -> str:
    return _fernet(master_secret).encrypt(plaintext.encode()).decode()


def decrypt(master_secret: str, token: str) -> str:
    return _fernet(master_secret).decrypt(token.encode()).decode()
