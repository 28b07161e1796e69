"""One typed settings object, read from the environment (Lambda configuration or the shell):
once per container, and again after a SnapStart restore, whose environment is not the
snapshot's (`refresh_settings`)."""

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


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
    # The CA bundle that verifies the server's certificate (`sslmode=verify-full`) on the cloud
    # path; unset, certifi's bundle, which holds RDS Proxy's roots (streamcat.db.ssl_root_cert).
    db_ssl_root_cert: str | None = None
    # The ETL's only: the login of the read-only role the HTTP functions use in the cloud.
    reader_secret_arn: str | None = None

    data_bucket: str = "streamcat-local"
    raw_prefix: str = "raw/"
    curated_prefix: str = "curated/"
    # The ETL's own: a load's outputs before its catalog commits (copied to curated/ after).
    staging_prefix: str = "staging/"
    quarantine_prefix: str = "quarantine/"
    reports_prefix: str = "reports/"
    models_prefix: str = "models/"

    aws_endpoint_url: str | None = None
    # The partition's domain (the template passes AWS::URLSuffix): `amazonaws.com`, or
    # `amazonaws.com.cn` in the China regions.
    aws_url_suffix: str = "amazonaws.com"
    aws_region: str = Field(
        default="us-east-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    # The Lambda runtime's credentials, for the recommendations function's boto-free S3 reads
    # (importing botocore alone takes ~250 ms of its 500 ms cold-start budget).
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None
    aws_session_token: SecretStr | None = None
    # Where SnapStart runs a function its credentials come from this endpoint instead of the
    # variables above (streamcat.aws); each restore has its own endpoint and token.
    aws_container_credentials_full_uri: str | None = None
    aws_container_authorization_token: SecretStr | None = None

    # Powertools: the service name of logs, metrics and traces, and the metrics namespace.
    powertools_service_name: str = "streamcat"
    powertools_metrics_namespace: str = "StreamCat"
    # Set by the Lambda runtime (and `sam local`): X-Ray tracing, whose SDK import costs a few
    # hundred milliseconds, runs only in a real Lambda and can be switched off.
    lambda_task_root: str | None = None
    aws_sam_local: bool = False
    powertools_trace_disabled: bool = False

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment only: with no .env file or secrets folder configured, the other two
        sources find nothing, yet the dotenv one still walks every field, doubling what a read
        costs (a cold start pays it, and a restore again)."""
        return init_settings, env_settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings are read once per container; tests clear the cache after changing the env."""
    return Settings()


def refresh_settings() -> None:
    """Re-read the environment into the container's settings object, in place: objects built
    at init hold that object (the model store's S3 reader), and a new one would leave them the
    snapshot's credentials endpoint and token."""
    settings, fresh = get_settings(), Settings()
    for name in Settings.model_fields:
        setattr(settings, name, getattr(fresh, name))
