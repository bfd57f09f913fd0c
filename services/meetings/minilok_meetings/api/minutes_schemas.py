"""Temporary alias of minilok_meetings.schemas while the dashboard's imports move (removed after)."""

from minilok_meetings.schemas import *  # noqa: F403
