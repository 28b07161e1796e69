"""S3 object-created notifications as AWS delivers them: one S3 record, and the SQS batch
Lambda's event source mapping hands the ETL (one notification per message)."""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus


@dataclass(frozen=True)
class Upload:
    key: str
    etag: str
    sequencer: str
    version_id: str | None = None


def s3_record(upload: Upload, bucket: str) -> dict[str, Any]:
    """One record as S3 writes it: the key form-encoded (`+` for a space), `/` kept."""
    obj: dict[str, Any] = {
        "key": quote_plus(upload.key, safe="/"),
        "size": 1,
        "eTag": upload.etag,
        "sequencer": upload.sequencer,
    }
    if upload.version_id:
        obj["versionId"] = upload.version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2024-01-01T00:00:00.000Z",
        "eventName": "ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket}, "object": obj},
    }


def sqs_event(bucket: str, *uploads: Upload) -> dict[str, Any]:
    """The SQS batch Lambda receives: one S3 notification per message."""
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": json.dumps({"Records": [s3_record(u, bucket)]}),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:raw",
                "awsRegion": "us-east-1",
            }
            for i, u in enumerate(uploads)
        ]
    }
