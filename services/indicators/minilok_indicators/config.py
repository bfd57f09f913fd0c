"""The indicators service's settings, read from the environment (INDICATORS_*)."""

from functools import lru_cache
from typing import ClassVar

from minilok_shared.config import ServiceSettings
from pydantic import Field


class IndicatorsSettings(ServiceSettings):
    service_name: ClassVar[str] = "indicators"
    database_url: str = Field("", validation_alias="INDICATORS_DATABASE_URL")
    host: str = Field("127.0.0.1", validation_alias="INDICATORS_HOST")
    port: int = Field(8002, validation_alias="INDICATORS_PORT")
    # Levels whose rollups emit indicator.below_target / recovered (comma-separated). Posyandu, RW
    # and RT are left out by default: at national scale they would flood the meetings' agendas.
    event_levels: str = Field("provinsi,kota,kecamatan,kelurahan,desa",
                              validation_alias="INDICATORS_EVENT_LEVELS")

    def event_level_set(self) -> frozenset[str]:
        return frozenset(level.strip() for level in self.event_levels.split(",") if level.strip())


@lru_cache
def get_settings() -> IndicatorsSettings:
    return IndicatorsSettings()
