"""Rejected uploads leave `raw/` (SPEC 3.9): the object goes to `quarantine/<key>` next to
`<key>.error.json` saying why, so a data engineer finds both and the catalog stays untouched."""

import json
from typing import TYPE_CHECKING, Any

from streamcat_etl.events import ObjectEvent
from streamcat_etl.validation import InvalidFile

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def error_document(event: ObjectEvent, error: InvalidFile) -> dict[str, Any]:
    return {
        "key": event.key,
        "etag": event.etag,
        "message": str(error),
        "problems_total": error.total,
        "problems": [
            {"line": p.row, "column": p.column, "expected": p.expected, "found": p.found}
            for p in error.problems
        ],
    }


def quarantine(
    s3: "S3Client", event: ObjectEvent, etag: str, error: InvalidFile, prefix: str
) -> str:
    """Move the rejected object aside; returns its quarantine key. The raw object is deleted
    only while it is still the rejected version, so a fixed re-upload is never lost."""
    target = prefix + event.key
    source: dict[str, str] = {"Bucket": event.bucket, "Key": event.key}
    if event.version_id:
        source["VersionId"] = event.version_id
    s3.copy_object(Bucket=event.bucket, Key=target, CopySource=source)  # type: ignore[arg-type]
    s3.put_object(
        Bucket=event.bucket,
        Key=target + ".error.json",
        Body=json.dumps(error_document(event, error), indent=2).encode(),
        ContentType="application/json",
    )
    current = s3.head_object(Bucket=event.bucket, Key=event.key)
    if current["ETag"].strip('"') == etag:
        s3.delete_object(Bucket=event.bucket, Key=event.key)
    return target
