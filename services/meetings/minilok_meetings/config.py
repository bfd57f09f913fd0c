"""Settings of the meetings service, read from the environment (MEETINGS_* and the common MINILOK_* ones)."""

import os
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from minilok_shared.config import ServiceSettings
from pydantic import Field, field_validator


class MeetingsSettings(ServiceSettings):
    service_name: ClassVar[str] = "meetings"
    database_url: str = Field("", validation_alias="MEETINGS_DATABASE_URL")
    host: str = Field("127.0.0.1", validation_alias="MEETINGS_HOST")
    port: int = Field(8001, validation_alias="MEETINGS_PORT")
    # Uvicorn worker processes of `minilok serve meetings`: one process uses at most one core (the
    # GIL); a second lets the API use a second core (bench/api_load.py). Each has its own
    # connection pool (up to 30 connections) and its own /metrics counters.
    workers: int = Field(1, ge=1, le=64, validation_alias="MEETINGS_WORKERS")
    scan_interval_seconds: float = Field(60, validation_alias="MEETINGS_SCAN_INTERVAL_SECONDS")
    # The dashboard reaches the other services over HTTP only, with the signed-in user's token.
    # Unset: where `minilok serve` puts them (<SERVICE>_HOST and <SERVICE>_PORT, or 8002 / 8003).
    indicators_url: str = Field("", validation_alias="INDICATORS_URL")
    notifications_url: str = Field("", validation_alias="NOTIFICATIONS_URL")
    # Evidence photos and PDFs: a local directory (unset: <MINILOK_VAR_DIR>/evidence), or S3-compatible
    # object storage when the URL (s3://bucket/prefix) is set; credentials from the AWS_* variables.
    evidence_dir: str = Field("", validation_alias="MEETINGS_EVIDENCE_DIR")
    evidence_s3_url: str = Field("", validation_alias="MEETINGS_EVIDENCE_S3_URL")
    evidence_s3_endpoint: str = Field("", validation_alias="MEETINGS_EVIDENCE_S3_ENDPOINT")

    @field_validator("evidence_s3_url")
    @classmethod
    def _s3_url(cls, value: str) -> str:
        # Refused at start, not at the first upload.
        if value and (not value.startswith("s3://") or not value[5:].split("/", 1)[0]):
            raise ValueError("MEETINGS_EVIDENCE_S3_URL must look like s3://bucket/prefix")
        return value

    def model_post_init(self, __context) -> None:
        super().model_post_init(__context)
        if not self.evidence_dir:
            self.evidence_dir = str(Path(self.var_dir) / "evidence")
        for service, port in (("indicators", 8002), ("notifications", 8003)):
            if not getattr(self, f"{service}_url"):
                host = os.environ.get(f"{service.upper()}_HOST", "127.0.0.1")
                setattr(self, f"{service}_url", f"http://{host}:{os.environ.get(f'{service.upper()}_PORT', port)}")


@lru_cache
def get_settings() -> MeetingsSettings:
    return MeetingsSettings()
