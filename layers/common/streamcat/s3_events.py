"""The objects a Lambda event announces: an SQS batch whose bodies are S3 notifications (the
deployed trigger) or a plain S3 event (`sam local invoke -e`), reduced to ObjectCreated records.

S3 sends keys form-encoded (`+` for a space) and may deliver a notification twice, late or out
of order; within one event only the newest notification per object (by `sequencer`) is kept.
Each object keeps the ids of the SQS messages that announced it: with `ReportBatchItemFailures`
a handler names exactly those when the object fails, so SQS deletes the rest of the batch and
retries only them (into the dead-letter queue after the last receive).
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger

logger = Logger(child=True)


@dataclass(frozen=True)
class ObjectEvent:
    bucket: str
    key: str
    etag: str
    version_id: str | None
    sequencer: str | None
    message_ids: tuple[str, ...] = ()
    """The SQS messages that carried a notification of this object, the stale ones included
    (they are done when the object is); empty for a plain S3 event."""


def sequencer_order(sequencer: str, width: int) -> str:
    """A sortable form of an S3 sequencer. AWS: sequencers of one key may differ in length;
    right-pad the shorter with zeros, then compare lexicographically (hex, case-insensitive)."""
    return sequencer.upper().ljust(width, "0")


def is_older(sequencer: str | None, than: str | None) -> bool:
    """True when both are known and `sequencer` comes strictly before `than`."""
    if sequencer is None or than is None:
        return False
    width = max(len(sequencer), len(than))
    return sequencer_order(sequencer, width) < sequencer_order(than, width)


def object_events(event: dict[str, Any]) -> list[ObjectEvent]:
    """The created objects of an event, one per (bucket, key): its newest notification, with
    the message ids of all its notifications."""
    newest: dict[tuple[str, str], ObjectEvent] = {}
    for found in _s3_records(event.get("Records") or []):
        slot = (found.bucket, found.key)
        kept = newest.get(slot)
        if kept is None:
            newest[slot] = found
            continue
        winner = kept if is_older(found.sequencer, kept.sequencer) else found
        both = tuple(dict.fromkeys((*kept.message_ids, *found.message_ids)))
        newest[slot] = replace(winner, message_ids=both)
    return list(newest.values())


def batch_item_failures(failed: Iterable[ObjectEvent]) -> list[dict[str, str]]:
    """Lambda's partial batch response items (`ReportBatchItemFailures`): every SQS message
    that carried a failed object, once. An object from a plain S3 event has none: its handler
    must raise instead, or the failure would be retried by nobody."""
    ids = dict.fromkeys(message_id for found in failed for message_id in found.message_ids)
    return [{"itemIdentifier": message_id} for message_id in ids]


def _s3_records(records: Iterable[Any]) -> Iterator[ObjectEvent]:
    for record in records:
        if not isinstance(record, dict):
            logger.warning("ignored a record that is not an object", extra={"record": record})
        elif record.get("eventSource") == "aws:sqs":
            message_id = record.get("messageId")
            carried_by = (message_id,) if isinstance(message_id, str) and message_id else ()
            for found in _s3_records(_notification_records(record)):
                yield replace(found, message_ids=carried_by)
        elif record.get("eventSource") == "aws:s3":
            created = _created_object(record)
            if created is not None:
                yield created
        else:
            logger.warning("ignored a record of unknown source", extra={"record": record})


def _notification_records(message: dict[str, Any]) -> list[Any]:
    """The S3 records inside one SQS message. S3's `s3:TestEvent` and junk bodies hold none:
    they are logged, not failed, since a retry could never make them loadable."""
    message_id = message.get("messageId")
    try:
        body = json.loads(message.get("body") or "")
    except json.JSONDecodeError:
        logger.warning(
            "ignored an SQS message whose body is not JSON", extra={"message_id": message_id}
        )
        return []
    if isinstance(body, dict) and body.get("Event") == "s3:TestEvent":
        logger.info("ignored S3's s3:TestEvent", extra={"message_id": message_id})
        return []
    records = body.get("Records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        logger.warning(
            "ignored an SQS message that is not an S3 notification",
            extra={"message_id": message_id},
        )
        return []
    return records


def _created_object(record: dict[str, Any]) -> ObjectEvent | None:
    if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
        return None
    s3 = record.get("s3") or {}
    obj = s3.get("object") or {}
    bucket = (s3.get("bucket") or {}).get("name")
    key = obj.get("key")
    if not isinstance(bucket, str) or not isinstance(key, str) or not key:
        logger.warning("ignored an S3 record without bucket or key", extra={"record": record})
        return None
    return ObjectEvent(
        bucket=bucket,
        key=unquote_plus(key),
        etag=str(obj.get("eTag") or "").strip('"'),
        version_id=obj.get("versionId") or None,
        sequencer=obj.get("sequencer") or None,
    )
