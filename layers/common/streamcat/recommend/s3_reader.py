"""Reading (GET, HEAD) S3 objects with the standard library: a Signature Version 4 request over
http.client (streamcat.aws). The recommendations function only reads two small objects, and
importing botocore would cost about half its cold-start budget. Without the runtime's credentials
(a shell using an AWS profile), it falls back to boto3, which finds them anywhere.
"""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from streamcat import aws
from streamcat.settings import Settings


class ObjectMissing(LookupError):  # noqa: N818 (reads as the condition it reports)
    """The object does not exist."""


class StoreError(RuntimeError):
    """S3 refused or could not be reached; the message says how."""


@dataclass(frozen=True)
class S3Object:
    body: bytes
    etag: str


class S3Reader:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def get(self, bucket: str, key: str) -> S3Object:
        creds = self._credentials()
        if creds is None:
            return _boto_get(bucket, key)
        headers, body = self._request(creds, "GET", bucket, key)
        return S3Object(body, headers.get("etag", ""))

    def etag(self, bucket: str, key: str) -> str:
        creds = self._credentials()
        if creds is None:
            return _boto_etag(bucket, key)
        headers, _ = self._request(creds, "HEAD", bucket, key)
        return headers.get("etag", "")

    def _credentials(self) -> aws.Credentials | None:
        try:
            return aws.credentials(self._settings)
        except aws.AwsCallError as error:
            raise StoreError(str(error)) from error

    def _request(
        self, creds: aws.Credentials, method: str, bucket: str, key: str
    ) -> tuple[dict[str, str], bytes]:
        scheme, host, path = self._location(bucket, key)
        headers = aws.signed_headers(
            creds,
            self._settings.aws_region,
            "s3",
            (method, host, path),
            {},
            b"",
            datetime.datetime.now(datetime.UTC),
        )
        try:
            status, found, body = aws.request(method, f"{scheme}://{host}{path}", headers, b"")
        except aws.AwsCallError as error:
            raise StoreError(f"S3 {error}") from error
        if status == 404:
            raise ObjectMissing(f"s3://{bucket}/{key}")
        if status != 200:
            raise StoreError(f"S3 answered {status} for s3://{bucket}/{key}")
        return found, body

    def _location(self, bucket: str, key: str) -> tuple[str, str, str]:
        """Path-style on a configured endpoint (moto, LocalStack), virtual-hosted on AWS."""
        quoted_key = quote(key, safe="/~")
        if self._settings.aws_endpoint_url:
            endpoint = urlsplit(self._settings.aws_endpoint_url)
            prefix = endpoint.path.rstrip("/")
            return endpoint.scheme, endpoint.netloc, f"{prefix}/{quote(bucket)}/{quoted_key}"
        host = f"{bucket}.s3.{self._settings.aws_region}.{self._settings.aws_url_suffix}"
        return "https", host, f"/{quoted_key}"


def _boto_get(bucket: str, key: str) -> S3Object:
    from streamcat.storage import s3_client

    with _boto_errors(f"s3://{bucket}/{key}"):
        answer = s3_client().get_object(Bucket=bucket, Key=key)
        return S3Object(answer["Body"].read(), str(answer.get("ETag", "")))
    raise AssertionError("unreachable")


def _boto_etag(bucket: str, key: str) -> str:
    from streamcat.storage import s3_client

    with _boto_errors(f"s3://{bucket}/{key}"):
        return str(s3_client().head_object(Bucket=bucket, Key=key).get("ETag", ""))
    raise AssertionError("unreachable")


@contextmanager
def _boto_errors(where: str) -> Iterator[None]:
    """botocore's errors as this module's."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            raise ObjectMissing(where) from error
        raise StoreError(f"S3 answered {status} for {where}") from error
    except BotoCoreError as error:
        raise StoreError(f"S3 unreachable: {error}") from error
