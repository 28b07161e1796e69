"""The ETL Lambda: one invocation loads every new object of its event in one load.

A failed load raises, so SQS redelivers the whole batch (the ledger makes the retry skip what
was loaded); rejected files are not failures: they are quarantined and reported.
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from streamcat import db
from streamcat.s3_events import object_events
from streamcat.settings import get_settings
from streamcat.storage import s3_client
from streamcat_etl.pipeline import run_load
from streamcat_etl.report import LOADED, REJECTED, SKIPPED, LoadReport

logger = Logger(service="streamcat-etl")
metrics = Metrics(namespace="StreamCat", service="streamcat-etl")


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    objects = object_events(event)
    if not objects:
        logger.info("no created objects in this event (e.g. S3's s3:TestEvent)")
        metrics.add_metric(name="FilesLoaded", unit=MetricUnit.Count, value=0)
        return {"batchItemFailures": []}
    connection = db.connect()
    try:
        report = run_load(objects, connection, s3_client(), get_settings())
    finally:
        connection.close()
    _log(report)
    return {
        "batchItemFailures": [],
        "load_id": report.load_id,
        "catalog_version": report.catalog_version,
        "swapped": report.swapped,
    }


def _log(report: LoadReport) -> None:
    logger.info("load finished", extra={"report": report.to_dict()})
    for name, status in (
        ("FilesLoaded", LOADED),
        ("FilesRejected", REJECTED),
        ("FilesSkipped", SKIPPED),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=report.count(status))
    dropped = sum(f.ratings_dropped_unmatched for f in report.files)
    metrics.add_metric(name="RatingsDroppedUnmatched", unit=MetricUnit.Count, value=dropped)
    metrics.add_metric(
        name="LoadSeconds", unit=MetricUnit.Seconds, value=sum(report.timings_s.values())
    )
