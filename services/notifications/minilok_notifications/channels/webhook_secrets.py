"""Webhook signing secrets: made here, shown once, stored encrypted under MINILOK_SECRET (minilok_shared.crypto)."""

from __future__ import annotations

import base64
import os

from minilok_shared.crypto import SecretBox, Undecryptable

SECRET_PREFIX = "whsec_"


class UndecryptableSecret(Undecryptable):
    """A webhook secret stored under a master secret that is neither MINILOK_SECRET nor MINILOK_SECRET_PREVIOUS."""

    def __str__(self) -> str:
        return ("secret webhook tidak dapat dibuka: MINILOK_SECRET diganti tanpa MINILOK_SECRET_PREVIOUS; "
                "atur MINILOK_SECRET_PREVIOUS atau buat secret baru (rotate-secret) / "
                "the webhook secret cannot be decrypted: MINILOK_SECRET was changed without "
                "MINILOK_SECRET_PREVIOUS; set MINILOK_SECRET_PREVIOUS or make a new secret (rotate-secret)")


# The salt and label the secrets have been stored under since the first release: changing them
# would make every stored secret unreadable.
_BOX = SecretBox(salt=b"minilok-notifications", purpose=b"webhook-secrets-v1", error=UndecryptableSecret)


def new_webhook_secret() -> str:
    """`whsec_` + base64 of 24 random bytes, the Standard Webhooks form."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(24)).decode()


def encrypt(master_secret: str, plaintext: str) -> str:
    return _BOX.encrypt(master_secret, plaintext)


def decrypt(master_secret: str, token: str, previous_secret: str = "") -> str:
    """With the current master secret, else the previous one; UndecryptableSecret when neither."""
    return _BOX.decrypt(master_secret, token, previous_secret)
