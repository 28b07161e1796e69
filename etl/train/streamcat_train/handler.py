"""The training Lambda: SQS messages carrying S3 notifications of interactions uploads, and
EventBridge's word that one of its Spark training jobs ended.

Only the newest upload of a batch is trained (or handed to Spark). When that fails, the messages
that carried it are reported in `batchItemFailures` (the event source reports batch item
failures): SQS retries just them, into the dead-letter queue after the last receive, and deletes
the rest, whose older versions would be skipped anyway. An ended job run is published from; a
failure to do so raises, and Lambda retries the event twice (EventBridge invokes asynchronously)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from streamcat.s3_events import ObjectEvent, batch_item_failures, object_events
from streamcat.settings import get_settings
from streamcat.training_input import InteractionsError, version_of
from streamcat_train.train import publish_job_output, train_and_publish

logger = Logger(service=get_settings().powertools_service_name)

JOB_RUN_ENDED = ("aws.emr-serverless", "EMR Serverless Job Run State Change")
"""(source, detail-type) of the event EventBridge forwards when a job run changes state."""


class JobRunEventError(ValueError):
    """An EMR Serverless event without the application and job run it is about."""


def ended_job_run(event: dict[str, Any]) -> tuple[str, str] | None:
    """(application id, job run id) of a job run state change event; None for other events."""
    if (event.get("source"), event.get("detail-type")) != JOB_RUN_ENDED:
        return None
    detail = event.get("detail")
    application_id, job_run_id = (
        (detail.get("applicationId"), detail.get("jobRunId"))
        if isinstance(detail, dict)
        else ("", "")
    )
    if not (isinstance(application_id, str) and application_id):
        raise JobRunEventError("a job run state change without its detail.applicationId")
    if not (isinstance(job_run_id, str) and job_run_id):
        raise JobRunEventError("a job run state change without its detail.jobRunId")
    return application_id, job_run_id


def interactions_uploads(event: dict[str, Any]) -> list[ObjectEvent]:
    """Created `…interactions/v<n>.json` manifests of the event, newest version last; anything
    else is ignored."""
    versions: dict[ObjectEvent, int] = {}
    for created in object_events(event):
        try:
            versions[created] = version_of(created.key)
        except InteractionsError:
            logger.info(
                "ignored an object that is not an interactions upload", extra={"key": created.key}
            )
    return sorted(versions, key=versions.__getitem__)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """An ended Spark job is published from; of an SQS batch, only the newest version is
    trained: older ones would be skipped anyway."""
    job_run = ended_job_run(event)
    if job_run is not None:
        return publish_job_output(*job_run)
    uploads = interactions_uploads(event)
    if not uploads:
        return {"status": "ignored", "reason": "no interactions upload in the event"}
    newest = uploads[-1]
    try:
        result: dict[str, Any] = train_and_publish(newest.key)
    except Exception as error:  # whatever broke, this upload's messages are what failed
        if not newest.message_ids:
            raise  # a plain S3 event: raising is the only way to have it retried
        logger.exception(
            "training failed", extra={"key": newest.key, "message_ids": list(newest.message_ids)}
        )
        return {
            "batchItemFailures": batch_item_failures([newest]),
            "status": "failed",
            "key": newest.key,
            "error": f"{type(error).__name__}: {error}",
        }
    return result
