"""The tables every service's database has beside its own: outbox, inbox, audit log, idempotency
keys and revoked tokens (their migrations: `minilok_shared.migrations` and each service's own)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import MetaData, Table

from minilok_shared.audit import audit_table
from minilok_shared.events.consumer import inbox_table
from minilok_shared.events.outbox import outbox_table
from minilok_shared.idempotency import idempotency_table
from minilok_shared.revocation import revoked_tokens_table


class ServiceTables(NamedTuple):
    outbox: Table
    inbox: Table
    audit_log: Table
    idempotency_keys: Table
    revoked_tokens: Table


def service_tables(metadata: MetaData) -> ServiceTables:
    return ServiceTables(outbox_table(metadata), inbox_table(metadata), audit_table(metadata),
                         idempotency_table(metadata), revoked_tokens_table(metadata))
