"""The objects a Lambda event announces: an SQS batch whose bodies are S3 notifications (the
deployed trigger) or a plain S3 event (`sam local invoke -e`), reduced to ObjectCreated records.

S3 sends keys form-encoded (`+` for a space) and may deliver a notification twice, late or out
of order; within one event only the newest notification per object (by `sequencer`) is kept.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
    """The created objects of an event, one per (bucket, key): its newest notification."""
    newest: dict[tuple[str, str], ObjectEvent] = {}
    for found in _s3_records(event.get("Records") or []):
        slot = (found.bucket, found.key)
        kept = newest.get(slot)
        if kept is None or not is_older(found.sequencer, kept.sequencer):
            newest[slot] = found
    return list(newest.values())


def _s3_records(records: Iterable[Any]) -> Iterator[ObjectEvent]:
    for record in records:
        if not isinstance(record, dict):
            logger.warning("ignored a record that is not an object", extra={"record": record})
        elif record.get("eventSource") == "aws:sqs":
            yield from _s3_records(_notification_records(record))
        elif record.get("eventSource") == "aws:s3":
            created = _created_object(record)
            if created is not None:
                yield created
        else:
            logger.warning("ignored a record of unknown source", extra={"record": record})


def _notification_records(message: dict[str, Any]) -> list[Any]:
    """The S3 records inside one SQS message; S3's `s3:TestEvent` and junk bodies hold none."""
    try:
        body = json.loads(message.get("body") or "")
    except json.JSONDecodeError:
        logger.warning(
            "ignored an SQS message whose body is not JSON",
            extra={"message_id": message.get("messageId")},
        )
        return []
    if not isinstance(body, dict) or body.get("Event") == "s3:TestEvent":
        return []
    records = body.get("Records")
    return records if isinstance(records, list) else []


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
