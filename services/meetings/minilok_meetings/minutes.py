"""Temporary alias of minilok_meetings.service_layer.minutes while the dashboard's imports move (removed after)."""

from minilok_meetings.service_layer.minutes import agency_names  # noqa: F401
