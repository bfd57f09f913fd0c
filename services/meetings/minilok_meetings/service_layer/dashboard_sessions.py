"""The dashboard's sign-in sessions (table dashboard_sessions): stored by the hash of their random
id, with the user's token and CSRF token, until they expire or the user signs out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, delete, insert, select

from minilok_meetings.models import dashboard_sessions


def open_session(connection: Connection, id_hash: str, token: str, csrf: str, now: datetime,
                 expires_at: datetime) -> None:
    """Stores a new session, dropping the expired ones on the way."""
    connection.execute(delete(dashboard_sessions).where(dashboard_sessions.c.expires_at < now))
    connection.execute(insert(dashboard_sessions).values(id_hash=id_hash, token=token, csrf=csrf, created_at=now,
                                                         expires_at=expires_at))


def end_session(connection: Connection, id_hash: str) -> None:
    connection.execute(delete(dashboard_sessions).where(dashboard_sessions.c.id_hash == id_hash))


def live_session(connection: Connection, id_hash: str, now: datetime) -> Row | None:
    """The token and CSRF token of an unexpired session, or None."""
    table = dashboard_sessions
    return connection.execute(select(table.c.token, table.c.csrf).where(
        table.c.id_hash == id_hash, table.c.expires_at > now)).first()
