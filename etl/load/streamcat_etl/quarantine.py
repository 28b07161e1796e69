"""Rejected uploads leave `raw/`: the object goes to the quarantine, next to an error document
saying why, so a data engineer finds both and the catalog stays untouched. A redelivered
notification of an object already quarantined (S3 delivers at least once; a versioned bucket
still serves the rejected version) rewrites nothing, so it changes nothing."""

import json
from typing import TYPE_CHECKING, Any

import botocore.exceptions
from aws_lambda_powertools import Logger

from streamcat.s3_events import ObjectEvent
from streamcat.storage import not_found
from streamcat_etl.plan import REJECTED, Bucket, Outcome, skipped
from streamcat_etl.validation import InvalidFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = Logger(child=True)


def reject(bucket: Bucket, event: ObjectEvent, etag: str, error: InvalidFile, kind: str) -> Outcome:
    """Quarantine the rejected object (`etag`: the one of the rejected bytes; the event's may
    be empty). The raw object is deleted only while it is still the rejected version, so a
    fixed re-upload is never lost."""
    s3, layout = bucket.s3, bucket.layout
    target = layout.quarantined(event.key)
    document = error_document(event, etag, error)
    fresh = _quarantined_etag(s3, event.bucket, layout.rejection(event.key)) != etag
    if fresh:
        source: dict[str, str] = {"Bucket": event.bucket, "Key": event.key}
        if event.version_id:
            source["VersionId"] = event.version_id
        s3.copy_object(Bucket=event.bucket, Key=target, CopySource=source)  # type: ignore[arg-type]
        s3.put_object(
            Bucket=event.bucket,
            Key=layout.rejection(event.key),
            Body=json.dumps(document, indent=2).encode(),
            ContentType="application/json",
        )
    _delete_if_current(s3, event.bucket, event.key, etag)
    if not fresh:
        return skipped(event, kind, f"already quarantined as {target}")
    logger.warning("file rejected", extra={"key": event.key, "error": str(error)})
    return Outcome(
        event,
        kind,
        REJECTED,
        str(error),
        rows_rejected=error.total,
        problems=document["problems"],
        quarantine_key=target,
    )


def error_document(event: ObjectEvent, etag: str, error: InvalidFile) -> dict[str, Any]:
    return {
        "key": event.key,
        "etag": etag,
        "message": str(error),
        "problems_total": error.total,
        "problems": [
            {"line": r.row, "column": r.column, "expected": r.expected, "found": r.found}
            for r in error.rejections
        ],
    }


def _quarantined_etag(s3: "S3Client", bucket: str, document_key: str) -> str | None:
    """The ETag an error document names; None when there is none (or unreadable)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=document_key)["Body"].read()
    except botocore.exceptions.ClientError as failure:
        if not_found(failure):
            return None
        raise
    try:
        found = json.loads(body).get("etag")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def _delete_if_current(s3: "S3Client", bucket: str, key: str, etag: str) -> None:
    """Gone already (deleted by hand, or by an earlier delivery) is fine."""
    try:
        current = s3.head_object(Bucket=bucket, Key=key)
    except botocore.exceptions.ClientError as failure:
        if not_found(failure):
            return
        raise
    if current["ETag"].strip('"') == etag:
        s3.delete_object(Bucket=bucket, Key=key)
