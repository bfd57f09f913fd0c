from functools import lru_cache

from pydantic import AliasChoices, Field

from minilok_shared.config import ServiceSettings


class IndicatorsSettings(ServiceSettings):
    service_name: str = "indicators"
    database_url: str = Field("", validation_alias=AliasChoices("INDICATORS_DATABASE_URL", "database_url"))
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("INDICATORS_HOST", "host"))
    port: int = Field(8002, validation_alias=AliasChoices("INDICATORS_PORT", "port"))
    # Levels whose rollups emit indicator.below_target / recovered (comma-separated). Posyandu, RW
    # and RT are left out by default: at national scale they would flood the meetings' agendas.
    event_levels: str = Field("provinsi,kota,kecamatan,kelurahan,desa",
                              validation_alias=AliasChoices("INDICATORS_EVENT_LEVELS", "event_levels"))

    def event_level_set(self) -> frozenset[str]:
        return frozenset(level.strip() for level in self.event_levels.split(",") if level.strip())


@lru_cache
def get_settings() -> IndicatorsSettings:
    return IndicatorsSettings()
