"""The ETL Lambda: one invocation loads every new object of its event in one load.

The event source reports batch item failures. An object that cannot be read fails only the SQS
messages that carried it: they are named in `batchItemFailures`, so SQS deletes the rest of the
batch and retries just them, into the dead-letter queue after the last receive. A failed load
(PostgreSQL, the swap, S3 unreachable) raises instead: Lambda then counts an error and SQS
redelivers every message, which is right since every object of the load is undone (the ledger
makes the retry skip what did load). Rejected files are not failures: they are quarantined and
reported; bodies that are no S3 notification are logged and dropped, as a retry cannot help."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from streamcat import db
from streamcat.s3_events import ObjectEvent, batch_item_failures, object_events
from streamcat.settings import get_settings
from streamcat.storage import s3_client
from streamcat_etl.pipeline import run_load
from streamcat_etl.plan import FAILED, LOADED, REJECTED, SKIPPED
from streamcat_etl.report import LoadReport

logger = Logger(service="streamcat-etl")
metrics = Metrics(namespace="StreamCat", service="streamcat-etl")

# The S3 client is built during the init phase, as Lambda's guidance has it for SDK clients:
# importing boto3 and loading S3's models take about 0.25 s, which a load then never waits for
# and a warm container never pays again. The handler asks for it again and gets this one.
s3_client()


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
        report, failed = run_load(objects, connection, s3_client(), get_settings())
    finally:
        connection.close()
    _log(report)
    return {
        "batchItemFailures": _reportable(failed),
        "load_id": report.load_id,
        "catalog_version": report.catalog_version,
        "swapped": report.swapped,
    }


class ObjectReadError(RuntimeError):
    """Objects failed that no SQS message carried (a plain S3 event): raising is the only way
    to have them retried."""


def _reportable(failed: list[ObjectEvent]) -> list[dict[str, str]]:
    """The messages of the objects that failed on their own, for SQS to retry."""
    unreportable = [found.key for found in failed if not found.message_ids]
    if unreportable:
        raise ObjectReadError(f"could not read {', '.join(unreportable)} (see the log)")
    return batch_item_failures(failed)


def _log(report: LoadReport) -> None:
    document = report.to_dict()
    logger.info("load finished", extra={"report": document})
    totals = document["totals"]
    for name, total in (
        ("FilesLoaded", LOADED),
        ("FilesRejected", REJECTED),
        ("FilesSkipped", SKIPPED),
        ("FilesFailed", FAILED),
        ("RatingsDroppedUnmatched", "ratings_dropped_unmatched"),
    ):
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=totals[total])
    seconds = sum(report.timings_s.values())
    metrics.add_metric(name="LoadSeconds", unit=MetricUnit.Seconds, value=seconds)
