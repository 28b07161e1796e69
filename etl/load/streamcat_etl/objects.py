"""Reading the announced objects from S3: the very version a notification names, or nothing.

An object that cannot be read (S3 answered an error for it, or the read broke off) fails alone;
S3 not reachable at all (botocore's ConnectionError) is not such a failure and fails the load."""

from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

import botocore.exceptions

from streamcat.s3_events import ObjectEvent
from streamcat.storage import not_found

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

OBJECT_ERRORS = (
    botocore.exceptions.ClientError,
    botocore.exceptions.HTTPClientError,
    botocore.exceptions.IncompleteReadError,
)
"""Failures of one object's read: S3 answered an error for it (denied, version gone, throttled)
or the transfer broke off."""


def identified(s3: "S3Client", event: ObjectEvent) -> ObjectEvent:
    """S3's notifications always name the ETag; a hand-written event (events/*.json) cannot
    know it. Take it, and the version, from HeadObject: the ledger then recognises an object
    already loaded, and the download reads that very version. A key gone meanwhile is left to
    `fetch` to skip."""
    if event.etag:
        return event
    try:
        head = s3.head_object(**_request(event))  # type: ignore[arg-type]
    except botocore.exceptions.ClientError as error:
        if _gone(error, event):
            return event
        raise
    version_id = event.version_id or head.get("VersionId") or None
    return replace(event, etag=head["ETag"].strip('"'), version_id=version_id)


class Fetched(NamedTuple):
    etag: str
    size: int
    data: bytes
    """The whole object, read in one request into one buffer that the parsers read in place:
    nothing goes to /tmp, so the function needs no ephemeral storage beyond the default.
    Empty for an object over the caller's limit."""


def fetch(s3: "S3Client", event: ObjectEvent, max_bytes: int | None = None) -> Fetched | None:
    """The object as read, or None when it is gone or replaced. An object over `max_bytes` is
    not read at all, so its size alone rejects it."""
    try:
        response = s3.get_object(**_request(event))  # type: ignore[arg-type]
    except botocore.exceptions.ClientError as error:
        if _gone(error, event):
            return None
        raise
    etag = response["ETag"].strip('"')
    if event.etag and etag != event.etag:
        response["Body"].close()
        return None
    size = response["ContentLength"]
    if max_bytes is not None and size > max_bytes:
        response["Body"].close()
        return Fetched(etag, size, b"")
    return Fetched(etag, size, response["Body"].read())


def _request(event: ObjectEvent) -> dict[str, str]:
    request = {"Bucket": event.bucket, "Key": event.key}
    if event.version_id:
        request["VersionId"] = event.version_id
    return request


def _gone(error: botocore.exceptions.ClientError, event: ObjectEvent) -> bool:
    """A key deleted since its notification is normal (a user's delete, or the quarantine of
    an earlier delivery in an unversioned bucket): skipped. A version the event names is
    immutable and a delete only hides it behind a marker, so its absence means announced data
    was destroyed before it loaded: a failure, to end in the dead-letter queue and be seen."""
    return event.version_id is None and not_found(error)
