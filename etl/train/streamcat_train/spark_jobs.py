"""Training on Spark: the job run the switch starts on EMR Serverless, with everything it reads
staged in S3 first, and a job run read back from the service when EventBridge says it ended.

A run is named after the catalog version it trains (`streamcat-train-v<n>`) and started with a
client token of that version and its load: an SQS redelivery of the same manifest gets the run
already started, never a second one."""

import hashlib
import importlib.resources
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from streamcat.s3_layout import S3Layout
from streamcat.settings import Settings
from streamcat.storage import not_found
from streamcat.training_input import TrainingManifest
from streamcat_train.catalog_titles import CatalogTitles
from streamcat_train.model import RATINGS_DIMS
from streamcat_train.spark_input import titles_lines

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

JOB_SCRIPT = "train_job.py"
"""Shipped in this package (etl/train/Makefile copies etl/spark/train_job.py in)."""
TERMINAL_STATES = frozenset({"SUCCESS", "FAILED", "CANCELLED"})
ACTIVE_STATES = ["SUBMITTED", "PENDING", "SCHEDULED", "RUNNING", "QUEUED"]
"""A run in one of these still costs (or will): the states before an end."""
_JOB_NAME = re.compile(r"streamcat-train-v(\d{1,18})")
_LOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
"""What a load id may be to name a key and a client token (the ETL's: `20261208T015000Z-1a2b`)."""


class SparkJobError(RuntimeError):
    """A manifest the function cannot start a Spark training for."""


@dataclass(frozen=True)
class JobRun:
    """A job run as the service describes it (GetJobRun)."""

    application_id: str
    job_run_id: str
    name: str
    state: str
    state_details: str

    @property
    def version(self) -> int | None:
        """The catalog version the run trains, from its name; None for a run that is not a
        training (another job of the application)."""
        found = _JOB_NAME.fullmatch(self.name)
        return int(found.group(1)) if found else None


def uses_spark(ratings: int, settings: Settings) -> bool:
    """The switch: Spark past the threshold, when the stack has an application for it."""
    configured = bool(settings.spark_application_id and settings.spark_job_role_arn)
    return configured and ratings > settings.spark_training_threshold


def job_name(version: int) -> str:
    return f"streamcat-train-v{version}"


def client_token(version: int, load_id: str) -> str:
    """The run's idempotency token: its version and its load (hashed: a token holds 64
    characters at most)."""
    digest = hashlib.sha256(checked_load_id(load_id).encode()).hexdigest()[:16]
    return f"{job_name(version)}-{digest}"


def checked_load_id(load_id: str) -> str:
    """The manifest's load id, which names keys and the client token: refused unless plain."""
    if not _LOAD_ID.fullmatch(load_id):
        raise SparkJobError(
            f"load id {load_id!r} cannot name a Spark training (letters, digits, -_)"
        )
    return load_id


def job_script() -> bytes:
    return importlib.resources.files(__package__).joinpath(JOB_SCRIPT).read_bytes()


def stage_script(s3: "S3Client", bucket: str, layout: S3Layout, script: bytes) -> str:
    """The script under its content hash, uploaded unless a run already put it there."""
    key = layout.spark_script(hashlib.sha256(script).hexdigest())
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as error:
        if not not_found(error):
            raise
        s3.put_object(Bucket=bucket, Key=key, Body=script, ContentType="text/x-python")
    return key


def job_driver(
    bucket: str,
    script_key: str,
    manifest: TrainingManifest,
    titles_key: str,
    output: str,
    settings: Settings,
) -> dict[str, Any]:
    """StartJobRun's `jobDriver`: the script's arguments and the job's size."""
    uri = f"s3://{bucket}/"
    arguments = [
        *("--ratings", *(uri + key for key in manifest.parquet)),
        *("--titles", uri + titles_key),
        *("--output", uri + output.rstrip("/")),
        *("--dims", str(RATINGS_DIMS)),
    ]
    size = {
        "spark.driver.cores": settings.spark_driver_cores,
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.executor.cores": settings.spark_executor_cores,
        "spark.executor.memory": settings.spark_executor_memory,
    }
    return {
        "sparkSubmit": {
            "entryPoint": uri + script_key,
            "entryPointArguments": arguments,
            "sparkSubmitParameters": " ".join(f"--conf {k}={v}" for k, v in size.items()),
        }
    }


def start_job_run(
    emr: Any,
    s3: "S3Client",
    settings: Settings,
    version: int,
    manifest: TrainingManifest,
    catalog: CatalogTitles,
) -> str:
    """Stage the script and the titles, start the run (or find the one this manifest already
    started), and give its id."""
    bucket, layout = settings.data_bucket, S3Layout.of(settings)
    load_id = checked_load_id(manifest.load_id)
    titles_key = layout.spark_titles(version, load_id)
    s3.put_object(Bucket=bucket, Key=titles_key, Body=titles_lines(catalog.ids))
    script_key = stage_script(s3, bucket, layout, job_script())
    output = layout.spark_output(version, load_id)
    started = emr.start_job_run(
        applicationId=settings.spark_application_id,
        clientToken=client_token(version, load_id),
        executionRoleArn=settings.spark_job_role_arn,
        name=job_name(version),
        jobDriver=job_driver(bucket, script_key, manifest, titles_key, output, settings),
        executionTimeoutMinutes=settings.spark_job_timeout_minutes,
    )
    job_run_id: str = started["jobRunId"]
    return job_run_id


def cancel_superseded(emr: Any, application_id: str, version: int) -> list[str]:
    """Cancel the training runs of older catalog versions that have not ended: a newer catalog
    is loaded, so their models would never be published (the completion step skips them), and
    while they run the newest waits behind them for capacity. The ids cancelled."""
    active = emr.list_job_runs(applicationId=application_id, states=ACTIVE_STATES)["jobRuns"]
    cancelled = []
    for run in active:
        older = _JOB_NAME.fullmatch(run.get("name") or "")
        if older and int(older.group(1)) < version:
            emr.cancel_job_run(applicationId=application_id, jobRunId=run["id"])
            cancelled.append(run["id"])
    return cancelled


def emr_client(settings: Settings) -> Any:
    """An EMR Serverless client (no stubs are installed for it: its calls are typed Any)."""
    import boto3

    return boto3.client(
        "emr-serverless", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url
    )


def describe_job_run(emr: Any, application_id: str, job_run_id: str) -> JobRun:
    found = emr.get_job_run(applicationId=application_id, jobRunId=job_run_id)["jobRun"]
    return JobRun(
        application_id=found["applicationId"],
        job_run_id=found["jobRunId"],
        name=found.get("name") or "",
        state=found["state"],
        state_details=found.get("stateDetails") or "",
    )


def output_keys(s3: "S3Client", bucket: str, prefix: str) -> list[str]:
    """Every key the job wrote under its output prefix."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [found["Key"] for page in pages for found in page.get("Contents", [])]
