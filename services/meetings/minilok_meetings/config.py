from functools import lru_cache

from pydantic import AliasChoices, Field

from minilok_shared.config import ServiceSettings


class MeetingsSettings(ServiceSettings):
    service_name: str = "meetings"
    database_url: str = Field("", validation_alias=AliasChoices("MEETINGS_DATABASE_URL", "database_url"))
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("MEETINGS_HOST", "host"))
    port: int = Field(8001, validation_alias=AliasChoices("MEETINGS_PORT", "port"))
    scan_interval_seconds: float = Field(60, validation_alias=AliasChoices("MEETINGS_SCAN_INTERVAL_SECONDS",
                                                                          "scan_interval_seconds"))


@lru_cache
def get_settings() -> MeetingsSettings:
    return MeetingsSettings()
