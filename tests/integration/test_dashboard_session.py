"""The dashboard's session lives on the server: the cookie holds only a random id, logout ends the
session (a copied cookie no longer signs anyone in), and a revoked token signs the user out."""

from __future__ import annotations

import re

import jwt
from fastapi.testclient import TestClient
from minilok_shared.revocation import revoke
from support import wait_for


def signed_in(api, token: str) -> TestClient:
    client = TestClient(api.client.app, follow_redirects=False)
    response = client.post("/login", data={"token": token, "next": "/"})
    assert response.status_code == 303, response.text
    return client


def token_of(api, **scope) -> str:
    return api.headers(**scope)["Authorization"].removeprefix("Bearer ")


def test_the_cookie_holds_a_session_id_and_logout_ends_the_session(meetings_api):
    token = token_of(meetings_api, role="admin")
    client = signed_in(meetings_api, token)
    cookie = client.cookies["minilok_session"]
    assert token not in cookie and token.split(".")[1] not in cookie and len(cookie) >= 40
    assert client.get("/").status_code == 200

    copied = TestClient(meetings_api.client.app, follow_redirects=False, cookies={"minilok_session": cookie})
    assert copied.get("/").status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
    assert client.post("/logout", data={"csrf": csrf}).headers["location"] == "/login"

    after = copied.get("/")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")
    assert copied.get("/live").status_code == 401
    # Signing in again gives a new session; the old id stays dead.
    assert signed_in(meetings_api, token).cookies["minilok_session"] != cookie
    assert copied.get("/").status_code == 303


def test_a_revoked_token_signs_its_dashboard_user_out(meetings_api):
    token = token_of(meetings_api, role="admin")
    client = signed_in(meetings_api, token)
    assert client.get("/").status_code == 200
    revoke(meetings_api.client.app.state.engine, jti=jwt.decode(token, options={"verify_signature": False})["jti"])
    wait_for(lambda: client.get("/").status_code == 303, timeout=10, message="the revoked session to end")
    refused = TestClient(meetings_api.client.app, follow_redirects=False).post("/login", data={"token": token})
    assert refused.status_code == 401 and "dicabut" in refused.text


def test_the_stored_session_holds_no_readable_token(meetings_api):
    from minilok_meetings.models import dashboard_sessions
    from sqlalchemy import select

    token = token_of(meetings_api, role="admin")
    client = signed_in(meetings_api, token)
    with meetings_api.client.app.state.engine.connect() as connection:
        (stored,) = connection.execute(select(dashboard_sessions.c.token)).scalars().all()
    assert token not in stored and token.split(".")[1] not in stored
    assert client.get("/").status_code == 200  # the cookie's id opens it
