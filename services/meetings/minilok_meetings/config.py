import os
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
    # The dashboard reaches the other services over HTTP only, with the signed-in user's token.
    # Unset: where `minilok serve` puts them (<SERVICE>_HOST and <SERVICE>_PORT, or 8002 / 8003).
    indicators_url: str = Field("", validation_alias=AliasChoices("INDICATORS_URL", "indicators_url"))
    notifications_url: str = Field("", validation_alias=AliasChoices("NOTIFICATIONS_URL", "notifications_url"))

    def model_post_init(self, __context) -> None:
        super().model_post_init(__context)
        for service, port in (("indicators", 8002), ("notifications", 8003)):
            if not getattr(self, f"{service}_url"):
                host = os.environ.get(f"{service.upper()}_HOST", "127.0.0.1")
                setattr(self, f"{service}_url", f"http://{host}:{os.environ.get(f'{service.upper()}_PORT', port)}")


@lru_cache
def get_settings() -> MeetingsSettings:
    return MeetingsSettings()
