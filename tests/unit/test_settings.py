"""Each service reads only its own prefixed variables: honcho sets PORT for every process, and
Heroku-style platforms set HOST and DATABASE_URL, none of which may move a Minilok service."""

import pytest

from minilok_indicators.config import IndicatorsSettings
from minilok_meetings.config import MeetingsSettings
from minilok_notifications.config import NotificationsSettings


@pytest.mark.parametrize("settings_class, prefix, port", [
    (MeetingsSettings, "MEETINGS", 8001), (IndicatorsSettings, "INDICATORS", 8002),
    (NotificationsSettings, "NOTIFICATIONS", 8003)])
def test_plain_port_host_and_database_url_are_ignored(monkeypatch, settings_class, prefix, port):
    for name in (f"{prefix}_PORT", f"{prefix}_HOST", f"{prefix}_DATABASE_URL", "MINILOK_VAR_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", "5000")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://elsewhere/db")
    monkeypatch.setenv("SERVICE_NAME", "other")
    settings = settings_class()
    assert settings.port == port and settings.host == "127.0.0.1"
    assert settings.database_url.startswith("sqlite:///") and settings.service_name in settings.database_url
    monkeypatch.setenv(f"{prefix}_PORT", "9100")
    assert settings_class().port == 9100
