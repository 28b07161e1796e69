"""One typed settings object, read from the environment (Lambda configuration or the shell)."""

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where the data lives. Locally `DATABASE_URL` names the server; in the cloud the
    credentials come from Secrets Manager (`DB_SECRET_ARN`) and the host from `DB_HOST`."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    database_url: str | None = None
    db_secret_arn: str | None = None
    db_host: str | None = None
    db_port: int = 5432
    db_name: str = "streamcat"
    db_connect_timeout_s: int = Field(default=5, ge=1)

    data_bucket: str = "streamcat-data"
    raw_prefix: str = "raw/"
    curated_prefix: str = "curated/"
    quarantine_prefix: str = "quarantine/"
    reports_prefix: str = "reports/"
    models_prefix: str = "models/"

    aws_endpoint_url: str | None = None
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings are read once per container; tests clear the cache after changing the env."""
    return Settings()
