"""The training Lambda: SQS messages carrying S3 notifications of interactions uploads."""

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from streamcat_train.interactions import InteractionsError, version_of
from streamcat_train.train import train_and_publish

logger = Logger(service="streamcat-train")


def interactions_keys(event: dict[str, Any]) -> list[str]:
    """Created `…interactions/v<n>.npz` keys of an SQS batch of S3 notifications (or a plain
    S3 event), decoded, newest version last; anything else is ignored."""
    keys: dict[str, int] = {}
    for record in event.get("Records") or []:
        inner = [record]
        if isinstance(record, dict) and record.get("eventSource") == "aws:sqs":
            try:
                inner = json.loads(record.get("body") or "").get("Records") or []
            except (json.JSONDecodeError, AttributeError):
                logger.warning("ignored an SQS message that is not an S3 notification")
                continue
        for notification in inner:
            if not isinstance(notification, dict):
                continue
            if not str(notification.get("eventName", "")).startswith("ObjectCreated:"):
                continue
            s3_object = (notification.get("s3") or {}).get("object") or {}
            key = unquote_plus(str(s3_object.get("key", "")))
            try:
                keys[key] = version_of(key)
            except InteractionsError:
                logger.info(
                    "ignored an object that is not an interactions upload", extra={"key": key}
                )
    return sorted(keys, key=keys.__getitem__)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Only the newest version of a batch is trained: older ones would be skipped anyway."""
    keys = interactions_keys(event)
    if not keys:
        return {"status": "ignored", "reason": "no interactions upload in the event"}
    return train_and_publish(keys[-1])
