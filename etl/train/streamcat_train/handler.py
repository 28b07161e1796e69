"""The training Lambda: SQS messages carrying S3 notifications of interactions uploads."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from streamcat.s3_events import object_events
from streamcat.settings import get_settings
from streamcat_train.interactions import InteractionsError, version_of
from streamcat_train.train import train_and_publish

logger = Logger(service=get_settings().powertools_service_name)


def interactions_keys(event: dict[str, Any]) -> list[str]:
    """Created `…interactions/v<n>.npz` keys of the event, newest version last; anything
    else is ignored."""
    keys: dict[str, int] = {}
    for created in object_events(event):
        try:
            keys[created.key] = version_of(created.key)
        except InteractionsError:
            logger.info(
                "ignored an object that is not an interactions upload", extra={"key": created.key}
            )
    return sorted(keys, key=keys.__getitem__)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Only the newest version of a batch is trained: older ones would be skipped anyway."""
    keys = interactions_keys(event)
    if not keys:
        return {"status": "ignored", "reason": "no interactions upload in the event"}
    result: dict[str, Any] = train_and_publish(keys[-1])
    return result
