"""Values encrypted at rest under MINILOK_SECRET: a Fernet key derived per purpose (HKDF-SHA256); during a
rotation MINILOK_SECRET_PREVIOUS still decrypts."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Undecryptable(InvalidToken):
    """Encrypted under a master secret that is neither MINILOK_SECRET nor MINILOK_SECRET_PREVIOUS."""

    def __str__(self) -> str:
        return ("nilai terenkripsi tidak dapat dibuka: MINILOK_SECRET diganti tanpa MINILOK_SECRET_PREVIOUS / "
                "the encrypted value cannot be decrypted: MINILOK_SECRET was changed without MINILOK_SECRET_PREVIOUS")


@lru_cache(maxsize=16)
def _fernet(master_secret: str, salt: bytes, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=purpose).derive(master_secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


@lru_cache(maxsize=16)
def _keyring(master_secret: str, previous_secret: str, salt: bytes, purpose: bytes) -> MultiFernet:
    return MultiFernet([_fernet(s, salt, purpose) for s in (master_secret, previous_secret) if s])


@dataclass(frozen=True)
class SecretBox:
    """Encrypts and decrypts one kind of value: `salt` and `purpose` (the HKDF info label) give it a
    key of its own, so the same master secret never encrypts two kinds of value with one key."""

    salt: bytes
    purpose: bytes
    error: type[Undecryptable] = Undecryptable

    def encrypt(self, master_secret: str, plaintext: str) -> str:
        return _fernet(master_secret, self.salt, self.purpose).encrypt(plaintext.encode()).decode()

    def decrypt(self, master_secret: str, token: str, previous_secret: str = "") -> str:
        """With the current master secret, else the previous one; `self.error` when neither."""
        try:
            return _keyring(master_secret, previous_secret, self.salt, self.purpose).decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise self.error() from exc
