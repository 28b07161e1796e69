"""The training Lambda: SQS messages carrying S3 notifications of interactions uploads.

Only the newest upload of a batch is trained. When that training fails, the messages that
carried it are reported in `batchItemFailures` (the event source reports batch item failures):
SQS retries just them, into the dead-letter queue after the last receive, and deletes the rest,
whose older versions would be skipped anyway."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from streamcat.s3_events import ObjectEvent, batch_item_failures, object_events
from streamcat.settings import get_settings
from streamcat.training_input import InteractionsError, version_of
from streamcat_train.train import train_and_publish

logger = Logger(service=get_settings().powertools_service_name)


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
    """Only the newest version of a batch is trained: older ones would be skipped anyway."""
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
