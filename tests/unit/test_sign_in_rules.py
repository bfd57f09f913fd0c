"""Sign-in by one-time code, on an explicit clock: a code lasts 10 minutes and works once, the newest
replaces the older, five wrong codes within 15 minutes lock the contact (the right code too) until
they age out; phones as people write them become E.164; who a contact signs in as; the text of the
message that carries the code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from minilok_meetings.domain import sign_in as rules
from minilok_meetings.domain.sign_in import IssuedCode
from minilok_meetings.schemas import SignInCodeIn, SignInVerifyIn
from pydantic import ValidationError

SECRET = "unit-secret-0123456789abcdef0123456789abcdef"
KEY = "+6281234561234"
T0 = datetime(2026, 2, 18, 2, 0, tzinfo=UTC)


def issue(code: str, at: datetime, ident: int = 1, used_at: datetime | None = None) -> IssuedCode:
    return IssuedCode(ident, rules.code_hash(SECRET, KEY, code), at, at + rules.CODE_VALID, used_at)


def presented(code: str) -> str:
    return rules.code_hash(SECRET, KEY, code)


def test_a_code_is_six_digits_and_its_hash_depends_on_the_contact():
    codes = {rules.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150  # random, not a counter
    assert rules.code_hash(SECRET, KEY, "123456") != rules.code_hash(SECRET, "+6281299990000", "123456")
    assert rules.code_hash(SECRET, KEY, "123456") != rules.code_hash(SECRET + "x", KEY, "123456")
    assert "123456" not in rules.code_hash(SECRET, KEY, "123456")


def test_a_code_works_until_ten_minutes_and_not_at_ten():
    code = issue("123456", T0)
    assert rules.accepted([code], presented("123456"), T0 + timedelta(minutes=9, seconds=59)) == code
    assert rules.accepted([code], presented("123456"), T0 + timedelta(minutes=10)) is None
    assert rules.accepted([code], presented("654321"), T0 + timedelta(minutes=1)) is None


def test_a_code_works_once():
    used = issue("123456", T0, used_at=T0 + timedelta(minutes=1))
    assert rules.accepted([used], presented("123456"), T0 + timedelta(minutes=2)) is None


def test_a_newer_code_replaces_the_older():
    older, newer = issue("111111", T0, 1), issue("222222", T0 + timedelta(minutes=1), 2)
    now = T0 + timedelta(minutes=2)
    assert rules.accepted([older, newer], presented("111111"), now) is None
    assert rules.accepted([older, newer], presented("222222"), now) == newer
    assert rules.accepted([], presented("222222"), now) is None


def test_five_wrong_codes_in_fifteen_minutes_lock_until_the_oldest_is_fifteen_minutes_old():
    failures = [T0 + timedelta(minutes=m) for m in (0, 1, 2, 3)]
    assert rules.locked_until(failures, T0 + timedelta(minutes=4)) is None  # four: not yet
    failures.append(T0 + timedelta(minutes=4))
    now = T0 + timedelta(minutes=4, seconds=30)
    until = rules.locked_until(failures, now)
    assert until == T0 + timedelta(minutes=15)
    assert rules.retry_after_seconds(until, now) == 630
    # Still locked a second before; free once the oldest has left the window.
    assert rules.locked_until(failures, T0 + timedelta(minutes=14, seconds=59)) is not None
    assert rules.locked_until(failures, T0 + timedelta(minutes=15)) is None


def test_wrong_codes_spread_over_more_than_fifteen_minutes_never_lock():
    failures = [T0 + timedelta(minutes=4 * m) for m in range(10)]
    for m in range(40):
        assert rules.locked_until([f for f in failures if f <= T0 + timedelta(minutes=m)],
                                  T0 + timedelta(minutes=m)) is None


def test_with_more_than_five_failures_the_lock_lasts_until_only_four_remain():
    failures = [T0 + timedelta(minutes=m) for m in (0, 1, 2, 3, 4, 5)]
    assert rules.locked_until(failures, T0 + timedelta(minutes=6)) == T0 + timedelta(minutes=16)


def test_the_right_code_is_refused_while_locked_and_works_after():
    """The lock is checked before the code (the service's order): a right code inside the lock is 429."""
    failures = [T0 + timedelta(seconds=s) for s in (0, 10, 20, 30, 40)]
    code = issue("123456", T0 + timedelta(minutes=9))
    during = T0 + timedelta(minutes=10)
    assert rules.locked_until(failures, during) is not None
    after = T0 + timedelta(minutes=15)
    assert rules.locked_until(failures, after) is None
    assert rules.accepted([code], presented("123456"), after) == code


def test_at_most_three_codes_are_sent_per_fifteen_minutes():
    sent = [T0, T0 + timedelta(minutes=1)]
    assert rules.may_send(sent, T0 + timedelta(minutes=2))
    sent.append(T0 + timedelta(minutes=2))
    assert not rules.may_send(sent, T0 + timedelta(minutes=3))
    assert rules.may_send(sent, T0 + timedelta(minutes=15))


@pytest.mark.parametrize("written", ["0812-3456-1234", "0812 3456 1234", "+62 812 3456 1234", "6281234561234",
                                     "+6281234561234", "(0812) 34561234"])
def test_phones_as_people_write_them_become_e164(written):
    assert SignInCodeIn(phone=written).phone == "+6281234561234"


@pytest.mark.parametrize("bad", ["12", "0812", "kode", "+1 555", "08123456789012345"])
def test_a_bad_phone_is_refused_naming_phone(bad):
    with pytest.raises(ValidationError) as caught:
        SignInCodeIn(phone=bad)
    assert caught.value.errors()[0]["loc"] == ("phone",)


def test_email_is_lowercased_and_exactly_one_contact_is_given():
    assert rules.email_key(str(SignInCodeIn(email="Kader.Mawar@Example.ORG").email)) == "kader.mawar@example.org"
    for both_or_none in ({}, {"phone": "081234561234", "email": "a@example.org"}):
        with pytest.raises(ValidationError):
            SignInCodeIn(**both_or_none)
    with pytest.raises(ValidationError):
        SignInVerifyIn(phone="081234561234", code="12345")
    with pytest.raises(ValidationError):
        SignInVerifyIn(phone="081234561234", code="12a456")


def test_who_a_contact_signs_in_as():
    own = rules.grant_for(5, "puskesmas", 2, None, "21.71.06")
    assert (own.role, own.puskesmas_id, own.agency_id, own.area_code) == ("puskesmas", 2, None, "21.71.06")
    assert own.ttl == timedelta(hours=12)
    dinas = rules.grant_for(6, "dinas_kesehatan", None, "21.71", None)
    assert (dinas.role, dinas.agency_id, dinas.area_code, dinas.ttl) == ("dinas", 6, "21.71", timedelta(hours=12))
    for kind, puskesmas_id, area in (("babinsa", 2, None), ("puskesmas", None, None), ("dinas_kesehatan", None, None)):
        grant = rules.grant_for(7, kind, puskesmas_id, area, None)
        assert (grant.role, grant.agency_id, grant.puskesmas_id, grant.ttl) == ("agency", 7, None, timedelta(days=30))


def test_where_the_code_went_is_shown_masked():
    assert rules.masked_phone("+6281234561234") == "0812-xxxx-1234"
    assert rules.masked_email("kader.mawar@example.org") == "k***@example.org"


def test_the_code_message_says_the_code_how_long_and_not_to_share_it():
    from minilok_notifications.channels.messages import render

    event = {"id": "e1", "type": "auth.code_requested", "data": {"code": "042917"}}
    text = render(event, "id", "Asia/Jakarta", "https://minilok.example").short
    assert text == "Kode masuk Minilok Anda: 042917. Berlaku 10 menit. Jangan berikan kode ini kepada siapa pun."
    english = render(event, "en", "Asia/Jakarta", "https://minilok.example")
    assert english.short.startswith(text)
    assert "Your Minilok sign-in code: 042917. Valid for 10 minutes." in english.short
    assert "042917" in english.html and english.subject == "[Minilok] Kode masuk Anda / Your sign-in code"
    assert "http" not in text  # no link: a code message is the code alone
