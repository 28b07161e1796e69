"""Rejected uploads leave `raw/` (SPEC 3.9): the object goes to `quarantine/<key>` next to
`<key>.error.json` saying why, so a data engineer finds both and the catalog stays untouched.

A redelivered notification of an object already quarantined (S3 delivers at least once; a
versioned bucket still serves the rejected version) rewrites nothing, so it changes nothing."""

import json
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from streamcat.s3_events import ObjectEvent
from streamcat_etl.validation import InvalidFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_MISSING = {"NoSuchKey", "404"}


def error_document(event: ObjectEvent, etag: str, error: InvalidFile) -> dict[str, Any]:
    """`etag` is the one of the rejected bytes (the event's may be empty)."""
    return {
        "key": event.key,
        "etag": etag,
        "message": str(error),
        "problems_total": error.total,
        "problems": [
            {"line": p.row, "column": p.column, "expected": p.expected, "found": p.found}
            for p in error.problems
        ],
    }


def quarantine(
    s3: "S3Client", event: ObjectEvent, etag: str, error: InvalidFile, prefix: str
) -> bool:
    """Move the rejected object to `prefix + key`; False when it was there already. The raw
    object is deleted only while it is still the rejected version, so a fixed re-upload is
    never lost."""
    target = prefix + event.key
    fresh = _quarantined_etag(s3, event.bucket, target) != etag
    if fresh:
        source: dict[str, str] = {"Bucket": event.bucket, "Key": event.key}
        if event.version_id:
            source["VersionId"] = event.version_id
        s3.copy_object(Bucket=event.bucket, Key=target, CopySource=source)  # type: ignore[arg-type]
        s3.put_object(
            Bucket=event.bucket,
            Key=target + ".error.json",
            Body=json.dumps(error_document(event, etag, error), indent=2).encode(),
            ContentType="application/json",
        )
    _delete_if_current(s3, event.bucket, event.key, etag)
    return fresh


def _quarantined_etag(s3: "S3Client", bucket: str, target: str) -> str | None:
    """The ETag the error document of `target` names; None when there is none (or unreadable)."""
    try:
        body = s3.get_object(Bucket=bucket, Key=target + ".error.json")["Body"].read()
    except botocore.exceptions.ClientError as failure:
        if failure.response.get("Error", {}).get("Code") in _MISSING:
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
        if failure.response.get("Error", {}).get("Code") in _MISSING:
            return
        raise
    if current["ETag"].strip('"') == etag:
        s3.delete_object(Bucket=bucket, Key=key)
