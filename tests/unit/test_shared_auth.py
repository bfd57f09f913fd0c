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
