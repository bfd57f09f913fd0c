"""Standard Webhooks signatures (verified by the library's own `verify`) and secrets at rest."""

import json
from datetime import UTC, datetime

import pytest
from cryptography.fernet import InvalidToken
from minilok_notifications.channels import webhook_secrets
from minilok_notifications.channels.webhook import sign
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


def test_secret_format():
    secret = webhook_secrets.new_webhook_secret()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 32
    assert webhook_secrets.new_webhook_secret() != secret


def test_encrypted_at_rest_roundtrip():
    secret = webhook_secrets.new_webhook_secret()
    stored = webhook_secrets.encrypt("master-1", secret)
    assert secret not in stored
    assert webhook_secrets.decrypt("master-1", stored) == secret
    with pytest.raises(InvalidToken):
        webhook_secrets.decrypt("master-2", stored)


def test_previous_master_secret_still_decrypts_and_new_ones_use_the_current():
    secret = webhook_secrets.new_webhook_secret()
    old = webhook_secrets.encrypt("master-1", secret)
    assert webhook_secrets.decrypt("master-2", old, previous_secret="master-1") == secret
    fresh = webhook_secrets.encrypt("master-2", secret)
    assert webhook_secrets.decrypt("master-2", fresh) == secret
    with pytest.raises(webhook_secrets.UndecryptableSecret, match="MINILOK_SECRET_PREVIOUS"):
        webhook_secrets.decrypt("master-3", old, previous_secret="master-2")


# Stored by the notifications service's own crypto module before it moved to minilok_shared.crypto.
STORED_BEFORE_THE_MOVE = ("gAAAAABrDzHCBAhAtn3ubJTzOwQPXJ54xS45_8Ka0hGH-67KDd7Fya9yyBOd8e12d0VrqD0ee6Re8uceQNcqcGr7"
                          "KONDTbA_9Np6CWh3iabXFmiE1Wfr-mf4jjNBjZXMt7-hxHUySbPE")


def test_a_secret_stored_before_the_move_to_shared_still_decrypts():
    secret = "whsec_c3RvcmVkLWJlZm9yZS10aGUtbW92ZQ=="
    assert webhook_secrets.decrypt("master-1", STORED_BEFORE_THE_MOVE) == secret
    assert webhook_secrets.decrypt("master-2", STORED_BEFORE_THE_MOVE, previous_secret="master-1") == secret


def test_shared_secret_box_keys_differ_by_purpose():
    from minilok_shared.crypto import SecretBox, Undecryptable

    webhooks = SecretBox(salt=b"minilok-notifications", purpose=b"webhook-secrets-v1")
    other = SecretBox(salt=b"minilok-notifications", purpose=b"something-else-v1")
    assert webhooks.decrypt("master-1", STORED_BEFORE_THE_MOVE).startswith("whsec_")
    with pytest.raises(Undecryptable):
        other.decrypt("master-1", STORED_BEFORE_THE_MOVE)


def test_signature_verifies_with_each_key_during_rotation():
    old, new = webhook_secrets.new_webhook_secret(), webhook_secrets.new_webhook_secret()
    body = json.dumps({"specversion": "1.0", "id": "e1", "type": "followup.created", "data": {}})
    now = datetime.now(UTC)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": sign([new, old], "msg_1", now, body)}
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(body, headers)["id"] == "e1"
    assert Webhook(old).verify(body, headers)["id"] == "e1"
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_secrets.new_webhook_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body + " ", headers)
