"""Standard Webhooks signatures (verified by the library's own `verify`) and secrets at rest."""

import json
from datetime import UTC, datetime

import pytest
from cryptography.fernet import InvalidToken
from minilok_notifications import crypto
from minilok_notifications.channels.webhook import sign
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


def test_secret_format():
    secret = crypto.new_webhook_secret()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 32
    assert crypto.new_webhook_secret() != secret


def test_encrypted_at_rest_roundtrip():
    secret = crypto.new_webhook_secret()
    stored = crypto.encrypt("master-1", secret)
    assert secret not in stored
    assert crypto.decrypt("master-1", stored) == secret
    with pytest.raises(InvalidToken):
        crypto.decrypt("master-2", stored)


def test_previous_master_secret_still_decrypts_and_new_ones_use_the_current():
    secret = crypto.new_webhook_secret()
    old = crypto.encrypt("master-1", secret)
    assert crypto.decrypt("master-2", old, previous_secret="master-1") == secret
    fresh = crypto.encrypt("master-2", secret)
    assert crypto.decrypt("master-2", fresh) == secret
    with pytest.raises(crypto.UndecryptableSecret, match="MINILOK_SECRET_PREVIOUS"):
        crypto.decrypt("master-3", old, previous_secret="master-2")


def test_signature_verifies_with_each_key_during_rotation():
    old, new = crypto.new_webhook_secret(), crypto.new_webhook_secret()
    body = json.dumps({"specversion": "1.0", "id": "e1", "type": "followup.created", "data": {}})
    now = datetime.now(UTC)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": sign([new, old], "msg_1", now, body)}
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(body, headers)["id"] == "e1"
    assert Webhook(old).verify(body, headers)["id"] == "e1"
    with pytest.raises(WebhookVerificationError):
        Webhook(crypto.new_webhook_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body + " ", headers)
