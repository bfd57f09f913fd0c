"""Revoked tokens are refused by every service, and puskesmas tokens carry their puskesmas's area
(`minilok token revoke`, `minilok token create`, run as users do against each service's database)."""

from __future__ import annotations

import os
import subprocess
import time

import jwt
from minilok_shared.auth import create_token
from support import BIN, wait_for

READS = {"meetings": "/api/v1/puskesmas", "indicators": "/api/v1/indicators",
         "notifications": "/api/v1/subscriptions"}


def minilok(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "minilok"), *args], env=dict(os.environ), capture_output=True, text=True,
                          timeout=120)


def all_apis(service_api):
    return {name: service_api(name) for name in READS}  # each sets <SERVICE>_DATABASE_URL for the CLI


def statuses(apis, token: str) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {token}"}
    return {name: api.get(READS[name], headers=headers).status_code for name, api in apis.items()}


def test_a_revoked_jti_is_refused_by_every_service(service_api):
    apis = all_apis(service_api)
    secret = os.environ["MINILOK_SECRET"]
    token, other = create_token(secret, "admin"), create_token(secret, "admin")
    assert set(statuses(apis, token).values()) == {200}
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    result = minilok("token", "revoke", jti)
    assert result.returncode == 0, result.stderr
    wait_for(lambda: set(statuses(apis, token).values()) == {401}, timeout=10, message="revocation in every service")
    answer = apis["meetings"].get(READS["meetings"], headers={"Authorization": f"Bearer {token}"}).json()
    assert answer["detail"] == "Token tidak sah / token revoked"
    assert set(statuses(apis, other).values()) == {200}
    # The whole token works as the argument too.
    assert minilok("token", "revoke", other).returncode == 0
    wait_for(lambda: set(statuses(apis, other).values()) == {401}, timeout=10, message="revocation by token")


def test_a_revoked_subject_refuses_its_earlier_tokens_only(service_api):
    apis = all_apis(service_api)
    secret = os.environ["MINILOK_SECRET"]
    before = create_token(secret, "agency", agency_id=7, subject="agency:7:ops")
    time.sleep(1.1)  # iat has whole seconds
    result = minilok("token", "revoke", "--subject", "agency:7:ops")
    assert result.returncode == 0, result.stderr
    time.sleep(1.1)
    after = create_token(secret, "agency", agency_id=7, subject="agency:7:ops")
    wait_for(lambda: set(statuses(apis, before).values()) == {401}, timeout=10, message="subject revocation")
    assert 401 not in statuses(apis, after).values()


def test_puskesmas_tokens_carry_the_area_of_their_puskesmas(meetings_api, unique):
    created = meetings_api.post("/api/v1/puskesmas", json={
        "code": f"P{unique}", "name": "Puskesmas Baloi Permai", "timezone": "Asia/Jakarta",
        "area_code": "21.71.06", "kota": "Batam", "provinsi": "Kepulauan Riau"})
    assert created.status_code == 201, created.text
    pid = str(created.json()["id"])

    def area_of(*args: str) -> str | None:
        result = minilok("token", "create", "--role", "puskesmas", "--puskesmas", pid, *args)
        assert result.returncode == 0, result.stderr
        return jwt.decode(result.stdout.strip(), options={"verify_signature": False}).get("area_code")

    assert area_of() == "21.71.06"
    assert area_of("--area", "21.71.06.1004") == "21.71.06.1004"  # narrower: allowed
    outside = minilok("token", "create", "--role", "puskesmas", "--puskesmas", pid, "--area", "21.71.07")
    assert outside.returncode == 2 and "not within the area 21.71.06" in outside.stderr and not outside.stdout
    missing = minilok("token", "create", "--role", "puskesmas", "--puskesmas", str(int(pid) + 1000))
    assert missing.returncode == 2 and "no puskesmas with id" in missing.stderr and not missing.stdout
