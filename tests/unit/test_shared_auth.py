import time

import pytest
from minilok_shared.auth import InvalidToken, create_token, decode_token

SECRET = "unit-test-secret-0123456789abcdef0123456789"


def test_token_round_trip_carries_role_and_scope():
    principal = decode_token(SECRET, create_token(SECRET, "puskesmas", puskesmas_id=12))
    assert principal.role == "puskesmas" and principal.puskesmas_id == "12" and principal.agency_id is None
    agency = decode_token(SECRET, create_token(SECRET, "agency", agency_id=5))
    assert agency.agency_id == "5" and not agency.is_admin and agency.area_code is None
    scoped = decode_token(SECRET, create_token(SECRET, "puskesmas", puskesmas_id=12, area_code="21.71.06"))
    assert scoped.area_code == "21.71.06"


@pytest.mark.parametrize("role, kwargs", [("puskesmas", {}), ("agency", {}), ("root", {}),
                                          ("agency", {"agency_id": 5, "area_code": "21"})])
def test_tokens_need_their_scope_and_a_known_role(role, kwargs):
    with pytest.raises(ValueError):
        create_token(SECRET, role, **kwargs)


def test_expired_tampered_and_foreign_tokens_are_refused():
    expired = create_token(SECRET, "admin", ttl_seconds=1)
    time.sleep(1.1)
    with pytest.raises(InvalidToken, match="expired"):
        decode_token(SECRET, expired)
    good = create_token(SECRET, "admin")
    header, payload, signature = good.split(".")
    with pytest.raises(InvalidToken):
        decode_token(SECRET, f"{header}.{payload}x.{signature}")
    with pytest.raises(InvalidToken):
        decode_token("another-secret-0123456789abcdef0123456789", good)


def test_tokens_expire_after_30_days_by_default_and_never_with_ttl_0():
    import jwt

    claims = jwt.decode(create_token(SECRET, "admin"), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 30 * 86400 and claims["jti"]
    assert "exp" not in jwt.decode(create_token(SECRET, "admin", ttl_seconds=0), options={"verify_signature": False})


def test_previous_secret_keeps_old_tokens_valid_during_a_rotation():
    previous = "previous-secret-0123456789abcdef0123456789"
    old = create_token(previous, "puskesmas", puskesmas_id=3)
    with pytest.raises(InvalidToken):
        decode_token(SECRET, old)
    assert decode_token(SECRET, old, previous).puskesmas_id == "3"
    assert decode_token(SECRET, create_token(SECRET, "admin"), previous).is_admin
    with pytest.raises(InvalidToken):
        decode_token(SECRET, create_token("a-third-secret-0123456789abcdef012345", "admin"), previous)


def test_revocation_by_jti_and_by_subject_before_the_revocation_time():
    from datetime import UTC, datetime, timedelta

    from minilok_shared.revocation import Revocations

    now = datetime.now(UTC)
    revoked = Revocations(frozenset({"j1"}), {"admin:ops": now})
    assert revoked.refuses("j1", "someone", now)
    assert revoked.refuses("j2", "admin:ops", now - timedelta(seconds=5))
    assert not revoked.refuses("j2", "admin:ops", now + timedelta(seconds=5))  # issued afterwards
    assert not revoked.refuses("j2", "someone", now)
