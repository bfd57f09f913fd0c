"""Opening and closing the pika connections of relays and consumers, one way."""

from __future__ import annotations

import pika
from pika.adapters.blocking_connection import BlockingChannel

HEARTBEAT_SECONDS = 30


def open_channel(rabbitmq_url: str) -> tuple[pika.BlockingConnection, BlockingChannel]:
    params = pika.URLParameters(rabbitmq_url)
    params.heartbeat = HEARTBEAT_SECONDS
    connection = pika.BlockingConnection(params)
    return connection, connection.channel()


def close_quietly(connection: pika.BlockingConnection | None) -> None:
    """Close a connection that may already be broken (then there is nothing to close cleanly)."""
    try:
        if connection is not None and connection.is_open:
            connection.close()
    except Exception:  # noqa: BLE001 - a broken connection has nothing left to close
        pass
