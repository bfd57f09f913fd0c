"""Each service reads only its own prefixed variables: honcho sets PORT for every process, and
Heroku-style platforms set HOST and DATABASE_URL, none of which may move a Minilok service. And no
process runs on a known or guessable MINILOK_SECRET."""

import os
import subprocess

import pytest
from minilok_indicators.config import IndicatorsSettings
from minilok_meetings.config import MeetingsSettings
from minilok_notifications.config import NotificationsSettings
from minilok_shared.config import DEFAULT_SECRET, CommonSettings, WeakSecret, write_secret_file
from support import BIN


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


SECRET_VARIABLES = ("MINILOK_SECRET", "MINILOK_SECRET_FILE", "MINILOK_DEV", "MINILOK_VAR_DIR")


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "short-but-random-9f8e7d", "x" * 40 + "CHANGE-ME"])
def test_a_known_or_short_secret_is_refused_unless_development(monkeypatch, tmp_path, secret):
    for name in SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MINILOK_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("MINILOK_SECRET", secret)
    with pytest.raises(WeakSecret, match="MINILOK_SECRET"):
        CommonSettings().require_strong_secret()
    monkeypatch.setenv("MINILOK_DEV", "1")
    CommonSettings().require_strong_secret()
    monkeypatch.setenv("MINILOK_DEV", "0")
    monkeypatch.setenv("MINILOK_SECRET", "0123456789abcdef" * 2)
    CommonSettings().require_strong_secret()


def test_without_minilok_secret_the_generated_secret_file_is_read(monkeypatch, tmp_path):
    for name in SECRET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MINILOK_VAR_DIR", str(tmp_path))
    assert CommonSettings().minilok_secret == DEFAULT_SECRET  # no file yet: refused outside MINILOK_DEV
    assert write_secret_file(tmp_path / "secret") and not write_secret_file(tmp_path / "secret")
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    settings = MeetingsSettings()
    assert settings.minilok_secret == (tmp_path / "secret").read_text().strip() and len(settings.minilok_secret) == 64
    settings.require_strong_secret()
    monkeypatch.setenv("MINILOK_SECRET_FILE", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").write_text("from-the-named-file-0123456789abcdef\n")
    assert CommonSettings().minilok_secret == "from-the-named-file-0123456789abcdef"
    monkeypatch.setenv("MINILOK_SECRET", "from-the-environment-0123456789abcdef")
    assert CommonSettings().minilok_secret == "from-the-environment-0123456789abcdef"


@pytest.mark.parametrize("args", [["relay", "meetings"], ["consume", "notifications"], ["worker", "indicators"],
                                  ["serve", "meetings"], ["beat"], ["token", "create", "--role", "admin"]])
def test_every_process_refuses_to_start_on_a_weak_secret(tmp_path, args):
    env = {key: value for key, value in os.environ.items() if key not in SECRET_VARIABLES}
    env.update(MINILOK_VAR_DIR=str(tmp_path), MINILOK_SECRET="too-short")
    result = subprocess.run([str(BIN / "minilok"), *args], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: MINILOK_SECRET is shorter than 32 bytes: set MINILOK_SECRET to 32+ random bytes "
        "(openssl rand -hex 32), or MINILOK_DEV=1 on a development machine"]
    assert not (tmp_path / "meetings.db").exists()  # refused before touching any database


def test_an_app_built_in_process_refuses_a_weak_secret(monkeypatch, tmp_path):
    from minilok_meetings.app import create_app
    from minilok_meetings.config import get_settings

    monkeypatch.setenv("MINILOK_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("MINILOK_SECRET", DEFAULT_SECRET)
    monkeypatch.delenv("MINILOK_DEV", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(WeakSecret):
            create_app()
    finally:
        get_settings.cache_clear()


def test_make_runs_secret_file_signs_the_clis_tokens(tmp_path):
    """`minilok secret init` (make run) then `minilok token create`: a newcomer needs no setup."""
    from minilok_shared.auth import decode_token

    env = {key: value for key, value in os.environ.items() if key not in SECRET_VARIABLES}
    env["MINILOK_VAR_DIR"] = str(tmp_path)
    refused = subprocess.run([str(BIN / "minilok"), "token", "create", "--role", "admin"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "built-in development secret" in refused.stderr
    for _ in range(2):  # the second run keeps the first secret
        subprocess.run([str(BIN / "minilok"), "secret", "init"], env=env, check=True, timeout=60)
    token = subprocess.run([str(BIN / "minilok"), "token", "create", "--role", "admin"], env=env, check=True,
                           capture_output=True, text=True, timeout=60).stdout.strip()
    assert decode_token((tmp_path / "secret").read_text().strip(), token).is_admin
