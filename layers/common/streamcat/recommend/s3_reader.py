"""Reading (GET, HEAD) S3 objects with the standard library: a Signature Version 4 request over
http.client (streamcat.aws). The recommendations function only reads two small objects, and
importing botocore would cost about half its cold-start budget. Without the runtime's credentials
(a shell using an AWS profile), it falls back to boto3, which finds them anywhere."""

import datetime
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
        return self._read("GET", bucket, key)

    def etag(self, bucket: str, key: str) -> str:
        return self._read("HEAD", bucket, key).etag

    def _read(self, method: str, bucket: str, key: str) -> S3Object:
        try:
            creds = aws.credentials(self._settings)
        except aws.AwsCallError as error:
            raise StoreError(str(error)) from error
        if creds is None:
            return _boto_read(method, bucket, key)
        scheme, host, path = self._location(bucket, key)
        now = datetime.datetime.now(datetime.UTC)
        region = self._settings.aws_region
        headers = aws.signed_headers(creds, region, "s3", (method, host, path), {}, b"", now)
        try:
            status, found, body = aws.request(method, f"{scheme}://{host}{path}", headers, b"")
        except aws.AwsCallError as error:
            raise StoreError(f"S3 {error}") from error
        if status == 404:
            raise ObjectMissing(f"s3://{bucket}/{key}")
        if status != 200:
            raise StoreError(f"S3 answered {status} for s3://{bucket}/{key}")
        return S3Object(body, found.get("etag", ""))

    def _location(self, bucket: str, key: str) -> tuple[str, str, str]:
        """Path-style on a configured endpoint (moto, LocalStack), virtual-hosted on AWS."""
        quoted_key = quote(key, safe="/~")
        if self._settings.aws_endpoint_url:
            endpoint = urlsplit(self._settings.aws_endpoint_url)
            prefix = endpoint.path.rstrip("/")
            return endpoint.scheme, endpoint.netloc, f"{prefix}/{quote(bucket)}/{quoted_key}"
        host = f"{bucket}.s3.{self._settings.aws_region}.{self._settings.aws_url_suffix}"
        return "https", host, f"/{quoted_key}"


def _boto_read(method: str, bucket: str, key: str) -> S3Object:
    """boto3's GET or HEAD, its errors as this module's."""
    from botocore.exceptions import BotoCoreError, ClientError

    from streamcat.storage import s3_client

    where = f"s3://{bucket}/{key}"
    try:
        if method == "HEAD":
            head = s3_client().head_object(Bucket=bucket, Key=key)
            return S3Object(b"", str(head.get("ETag", "")))
        answer = s3_client().get_object(Bucket=bucket, Key=key)
        return S3Object(answer["Body"].read(), str(answer.get("ETag", "")))
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if status == 404:
            raise ObjectMissing(where) from error
        raise StoreError(f"S3 answered {status} for {where}") from error
    except BotoCoreError as error:
        raise StoreError(f"S3 unreachable: {error}") from error
