"""One typed settings object, read from the environment (Lambda configuration or the shell):
once per container, and again after a SnapStart restore, whose environment is not the
snapshot's (`refresh_settings`)."""

from functools import lru_cache

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

SPARK_MEMORY = r"^[1-9][0-9]*[mg]$"
"""A JVM memory size as Spark takes it: `512m`, `14g`."""


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
    # Spark jobs' scripts, inputs and outputs (written by the training and its jobs only).
    jobs_prefix: str = "jobs/"

    # Training past `spark_training_threshold` ratings runs as a job of the EMR Serverless
    # application, as its job role (docs/spark-training.md); without an application, always in
    # the function. The template's parameter SparkTrainingThreshold sets the threshold.
    spark_application_id: str | None = None
    spark_job_role_arn: str | None = None
    spark_training_threshold: int = Field(default=50_000_000, ge=0)
    spark_driver_cores: int = Field(default=4, ge=1)
    spark_driver_memory: str = Field(default="14g", pattern=SPARK_MEMORY)
    spark_executor_cores: int = Field(default=4, ge=1)
    spark_executor_memory: str = Field(default="14g", pattern=SPARK_MEMORY)
    spark_job_timeout_minutes: int = Field(default=180, ge=5)
    # The local stack's own: the memory of the spark-submit driver that runs a job on this
    # machine (local mode runs the whole job in it).
    spark_local_driver_memory: str = Field(default="6g", pattern=SPARK_MEMORY)

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
