"""Reading (GET, HEAD) S3 objects with the standard library: a Signature Version 4 request over
http.client. The recommendations function only reads two small objects, and importing botocore
would cost about half its cold-start budget. Without credentials in the settings (a shell using
an AWS profile), it falls back to boto3, which finds them anywhere.
"""

import datetime
import hashlib
import hmac
import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from streamcat.settings import Settings

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_TIMEOUT_S = 5.0


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
        if self._settings.aws_access_key_id is None:
            return _boto_get(bucket, key)
        headers, body = self._request("GET", bucket, key)
        return S3Object(body, headers.get("etag", ""))

    def etag(self, bucket: str, key: str) -> str:
        if self._settings.aws_access_key_id is None:
            return _boto_etag(bucket, key)
        headers, _ = self._request("HEAD", bucket, key)
        return headers.get("etag", "")

    def _request(self, method: str, bucket: str, key: str) -> tuple[dict[str, str], bytes]:
        scheme, host, path = self._location(bucket, key)
        headers = signed_headers(
            self._settings, method, host, path, datetime.datetime.now(datetime.UTC)
        )
        connection_class = (
            http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(host, timeout=_TIMEOUT_S)
        try:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            status = response.status
            found = {name.lower(): value for name, value in response.getheaders()}
        except OSError as error:
            raise StoreError(f"S3 unreachable at {host}: {error}") from error
        finally:
            connection.close()
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


def signed_headers(
    settings: Settings, method: str, host: str, path: str, now: datetime.datetime
) -> dict[str, str]:
    """The headers of a Signature Version 4 request without a body (GET, HEAD) at `now`."""
    assert settings.aws_access_key_id is not None and settings.aws_secret_access_key
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    headers = {"host": host, "x-amz-content-sha256": _EMPTY_SHA256, "x-amz-date": stamp}
    if settings.aws_session_token is not None:
        headers["x-amz-security-token"] = settings.aws_session_token.get_secret_value()
    names = sorted(headers)
    canonical = "\n".join(
        [
            method,
            path,
            "",
            "".join(f"{name}:{headers[name].strip()}\n" for name in names),
            ";".join(names),
            _EMPTY_SHA256,
        ]
    )
    scope = f"{day}/{settings.aws_region}/s3/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + settings.aws_secret_access_key.get_secret_value()).encode()
    for part in (day, settings.aws_region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={settings.aws_access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return headers


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
