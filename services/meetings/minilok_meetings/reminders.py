"""Temporary alias of minilok_meetings.service_layer.reminders while the dashboard's imports move (removed after)."""

from minilok_meetings.service_layer.reminders import *  # noqa: F403
from minilok_meetings.service_layer.reminders import load_contexts  # noqa: F401
