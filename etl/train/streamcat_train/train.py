"""Train on one interactions upload and publish the model: the plain entry the handler calls."""

import time
from typing import Any

from aws_lambda_powertools import Logger

from streamcat.db import connect
from streamcat.memory import peak_rss_mb
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from streamcat.storage import s3_client
from streamcat.training_input import read_manifest, read_training_ratings, version_of
from streamcat_train.artifact import publish, published_version
from streamcat_train.catalog_titles import read_catalog
from streamcat_train.model import train

logger = Logger(child=True)


class StaleCatalogError(RuntimeError):
    """The interactions were written for a catalog version the database does not hold yet."""


def train_and_publish(interactions_key: str) -> dict[str, Any]:
    """Train on the parts the manifest `interactions_key` names and the catalog of its version,
    publish, and say what happened. Older interactions than the loaded catalog, or a
    version already published, are skipped: a newer upload trains (or trained) on its own."""
    settings = get_settings()
    s3, layout = s3_client(), S3Layout.of(settings)
    version = version_of(interactions_key)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    connection = connect()
    try:
        catalog = read_catalog(connection)
    finally:
        connection.close()
    if version > catalog.version:
        raise StaleCatalogError(
            f"{interactions_key} is for catalog version {version}; the database holds "
            f"{catalog.version}"
        )
    published = published_version(s3, settings.data_bucket, layout)
    if version < catalog.version or (published is not None and published >= version):
        reason = "newer catalog loaded" if version < catalog.version else "already published"
        logger.info("training skipped", extra={"key": interactions_key, "reason": reason})
        return {"status": "skipped", "reason": reason, "version": version}
    timings["catalog_s"] = time.perf_counter() - started

    def read(key: str) -> bytes:
        return s3.get_object(Bucket=settings.data_bucket, Key=key)["Body"].read()

    manifest = read_manifest(read(interactions_key))
    ratings = read_training_ratings(manifest.parts, read, catalog.ids)
    timings["interactions_s"] = time.perf_counter() - started - sum(timings.values())
    model = train(catalog, ratings)
    timings["train_s"] = time.perf_counter() - started - sum(timings.values())
    pointer = publish(s3, settings.data_bucket, layout, model)
    timings["publish_s"] = time.perf_counter() - started - sum(timings.values())
    info = {
        "status": "published",
        "version": pointer["version"],
        "key": pointer["key"],
        "titles": len(catalog),
        "ratings": model.n_ratings,
        **{name: round(seconds, 3) for name, seconds in timings.items()},
        "peak_rss_mb": peak_rss_mb(),
    }
    logger.info("model published", extra=info)
    return info
