"""Train on one interactions upload and publish the model: the plain entries the handler calls.

`train_and_publish` takes a manifest: at most `spark_training_threshold` ratings it trains here
and publishes; past it, it starts a Spark job for the collaborative factors instead
(`spark_jobs`). `publish_job_output` takes the job run EventBridge says ended and publishes from
its factors: the same catalog, skip rules and publishing as a training done here."""

import time
from typing import Any

from aws_lambda_powertools import Logger

from streamcat.db import connect
from streamcat.memory import peak_rss_mb
from streamcat.s3_layout import S3Layout
from streamcat.settings import Settings, get_settings
from streamcat.storage import s3_client
from streamcat.training_input import read_manifest, read_training_ratings, version_of
from streamcat_train.artifact import publish, published_version
from streamcat_train.catalog_titles import CatalogTitles, read_catalog
from streamcat_train.model import TrainedModel, train, train_from_factors
from streamcat_train.spark_jobs import (
    TERMINAL_STATES,
    cancel_superseded,
    checked_load_id,
    describe_job_run,
    emr_client,
    output_keys,
    start_job_run,
    uses_spark,
)
from streamcat_train.spark_output import read_job_output

logger = Logger(child=True)


class StaleCatalogError(RuntimeError):
    """The interactions were written for a catalog version the database does not hold yet."""


def train_and_publish(interactions_key: str) -> dict[str, Any]:
    """Train on the manifest `interactions_key` and the catalog of its version, publish, and say
    what happened; past the threshold, start the Spark job that trains it. Older interactions
    than the loaded catalog, or a version already published, are skipped: a newer upload trains
    (or trained) on its own."""
    settings = get_settings()
    s3, layout = s3_client(), S3Layout.of(settings)
    version = version_of(interactions_key)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    catalog = _catalog()
    skipped = _skipped(version, catalog, settings, layout)
    if skipped is not None:
        return skipped
    timings["catalog_s"] = time.perf_counter() - started

    def read(key: str) -> bytes:
        return s3.get_object(Bucket=settings.data_bucket, Key=key)["Body"].read()

    manifest = read_manifest(read(interactions_key))
    if uses_spark(manifest.ratings, settings):
        emr = emr_client(settings)
        job_run_id = start_job_run(emr, s3, settings, version, manifest, catalog)
        cancelled = cancel_superseded(emr, str(settings.spark_application_id), version)
        info = {
            "status": "job started",
            "version": version,
            "job_run_id": job_run_id,
            "cancelled": cancelled,
        }
        logger.info("training job started", extra={**info, "ratings": manifest.ratings})
        return info
    ratings = read_training_ratings(manifest.parts, read, catalog.ids)
    timings["interactions_s"] = time.perf_counter() - started - sum(timings.values())
    model = train(catalog, ratings)
    timings["train_s"] = time.perf_counter() - started - sum(timings.values())
    return _publish(model, settings, layout, timings, started, {"engine": "lambda"})


def publish_job_output(application_id: str, job_run_id: str) -> dict[str, Any]:
    """Publish the model of an ended job run from its factors, or report why not. The run's
    state and version are the service's (GetJobRun), never the event's alone."""
    settings = get_settings()
    if application_id != settings.spark_application_id:
        logger.warning(
            "ignored a job run of another application",
            extra={"application_id": application_id, "job_run_id": job_run_id},
        )
        return {"status": "ignored", "reason": "not this stack's Spark application"}
    run = describe_job_run(emr_client(settings), application_id, job_run_id)
    if run.version is None:
        return {"status": "ignored", "reason": "not a training", "job_run_id": job_run_id}
    outcome = {"version": run.version, "job_run_id": job_run_id, "state": run.state}
    if run.state not in TERMINAL_STATES:
        return {"status": "ignored", "reason": "the job run has not ended", **outcome}
    if run.state == "CANCELLED" and run.version < _catalog().version:
        logger.info("training job superseded", extra=outcome)  # cancelled for a newer catalog
        return {"status": "superseded", **outcome}
    if run.state != "SUCCESS":
        failed = {"status": "failed", **outcome, "state_details": run.state_details}
        logger.error("training job failed", extra=failed)
        return failed
    return _publish_from_job(run.version, job_run_id, settings)


def _publish_from_job(version: int, job_run_id: str, settings: Settings) -> dict[str, Any]:
    """The model around a succeeded run's factors, under the same skip rules as a training
    here: its output is found through the manifest's load."""
    s3, layout = s3_client(), S3Layout.of(settings)
    started = time.perf_counter()
    catalog = _catalog()
    skipped = _skipped(version, catalog, settings, layout)
    if skipped is not None:
        return {**skipped, "job_run_id": job_run_id}
    timings = {"catalog_s": time.perf_counter() - started}

    def read(key: str) -> bytes:
        return s3.get_object(Bucket=settings.data_bucket, Key=key)["Body"].read()

    manifest = read_manifest(read(layout.training_manifest(version)))
    output = layout.spark_output(version, checked_load_id(manifest.load_id))
    keys = output_keys(s3, settings.data_bucket, output)
    ratings_model, votes = read_job_output(read, keys, len(catalog))
    timings["job_output_s"] = time.perf_counter() - started - sum(timings.values())
    model = train_from_factors(catalog, ratings_model, votes, int(votes.sum()))
    timings["train_s"] = time.perf_counter() - started - sum(timings.values())
    extra = {"engine": "spark", "job_run_id": job_run_id}
    return _publish(model, settings, layout, timings, started, extra)


def _catalog() -> CatalogTitles:
    connection = connect()
    try:
        return read_catalog(connection)
    finally:
        connection.close()


def _skipped(
    version: int, catalog: CatalogTitles, settings: Settings, layout: S3Layout
) -> dict[str, Any] | None:
    """Why training `version` would be wasted (a newer catalog is loaded, or it is published
    already), or None; StaleCatalogError when the catalog is not that version yet."""
    if version > catalog.version:
        raise StaleCatalogError(
            f"the interactions are for catalog version {version}; the database holds "
            f"{catalog.version}"
        )
    published = published_version(s3_client(), settings.data_bucket, layout)
    if version == catalog.version and (published is None or published < version):
        return None
    reason = "newer catalog loaded" if version < catalog.version else "already published"
    logger.info("training skipped", extra={"version": version, "reason": reason})
    return {"status": "skipped", "reason": reason, "version": version}


def _publish(
    model: TrainedModel,
    settings: Settings,
    layout: S3Layout,
    timings: dict[str, float],
    started: float,
    extra: dict[str, Any],
) -> dict[str, Any]:
    pointer = publish(s3_client(), settings.data_bucket, layout, model)
    timings["publish_s"] = time.perf_counter() - started - sum(timings.values())
    info = {
        "status": "published",
        "version": pointer["version"],
        "key": pointer["key"],
        "titles": len(model.catalog),
        "ratings": model.n_ratings,
        **extra,
        **{name: round(seconds, 3) for name, seconds in timings.items()},
        "peak_rss_mb": peak_rss_mb(),
    }
    logger.info("model published", extra=info)
    return info
