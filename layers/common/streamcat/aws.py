"""The AWS calls made without boto3 (Secrets Manager's GetSecretValue here, for every database
login and the ETL's reader role; S3's GET and HEAD in streamcat.recommend.s3_reader), signed
with Signature Version 4 over http.client.

Why not boto3: importing botocore and building a client costs 150-250 ms of a cold start and
about 60 ms of a SnapStart restore (the client must be built after the restore: it holds
credentials), against budgets of 300 ms and 30 ms. The credentials are the runtime's: its
environment variables, or, where SnapStart runs the function, the container credentials endpoint
(`AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN`), which SnapStart
uses instead of variables that would be frozen in the snapshot. Nothing here is cached: the
endpoint is asked at every call, with the endpoint and token of the settings, which a restore
re-reads from its environment (streamcat.api.snapstart). Without either (a shell with an AWS
profile), callers fall back to boto3, which finds credentials anywhere."""

import datetime
import hashlib
import hmac
import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from streamcat.settings import Settings

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
TIMEOUT_S = 5.0


class AwsCallError(RuntimeError):
    """AWS refused or could not be reached; the message says how."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


def credentials(settings: Settings) -> Credentials | None:
    """The runtime's credentials: the environment's, else the container endpoint's; None
    when neither is there."""
    if settings.aws_access_key_id and settings.aws_secret_access_key:
        token = settings.aws_session_token
        return Credentials(
            settings.aws_access_key_id,
            settings.aws_secret_access_key.get_secret_value(),
            token.get_secret_value() if token else None,
        )
    if settings.aws_container_credentials_full_uri:
        return _container_credentials(settings)
    return None


def _container_credentials(settings: Settings) -> Credentials:
    """GET the container credentials endpoint (SnapStart's, and ECS's), authorised by its token."""
    assert settings.aws_container_credentials_full_uri is not None
    token = settings.aws_container_authorization_token
    headers = {"Authorization": token.get_secret_value()} if token else {}
    status, _, body = request("GET", settings.aws_container_credentials_full_uri, headers, b"")
    if status != 200:
        raise AwsCallError(f"the container credentials endpoint answered {status}")
    found = json.loads(body)
    return Credentials(found["AccessKeyId"], found["SecretAccessKey"], found.get("Token"))


def signed_headers(
    creds: Credentials,
    region: str,
    service: str,
    request_line: tuple[str, str, str],
    headers: dict[str, str],
    body: bytes,
    now: datetime.datetime,
) -> dict[str, str]:
    """`headers` with Signature Version 4 added for (method, host, path) at `now`; the
    payload's hash is sent as S3 requires (other services ignore it)."""
    method, host, path = request_line
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    signed = {
        **{name.lower(): value for name, value in headers.items()},
        "host": host,
        "x-amz-content-sha256": payload_hash,
        "x-amz-date": stamp,
    }
    if creds.session_token is not None:
        signed["x-amz-security-token"] = creds.session_token
    names = sorted(signed)
    canonical = "\n".join(
        [
            method,
            path,
            "",
            "".join(f"{name}:{signed[name].strip()}\n" for name in names),
            ";".join(names),
            payload_hash,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = ("AWS4" + creds.secret_access_key).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    signed["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={creds.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return signed


def request(
    method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP(S) request; its status, headers (names in lower case) and body. Unreachable is
    AwsCallError."""
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.netloc, timeout=TIMEOUT_S)
    try:
        connection.request(method, parts.path or "/", body=body or None, headers=headers)
        response = connection.getresponse()
        found = {name.lower(): value for name, value in response.getheaders()}
        return response.status, found, response.read()
    except OSError as error:
        raise AwsCallError(f"{parts.netloc} unreachable: {error}") from error
    finally:
        connection.close()


def get_secret_string(settings: Settings, secret_id: str) -> str:
    """Secrets Manager's GetSecretValue (the JSON 1.1 protocol), signed with the runtime's
    credentials; boto3 (through Powertools) where there are none to sign with."""
    creds = credentials(settings)
    if creds is None:
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_secret(secret_id))
    endpoint = settings.aws_endpoint_url or (
        f"https://secretsmanager.{settings.aws_region}.{settings.aws_url_suffix}"
    )
    body = json.dumps({"SecretId": secret_id}).encode()
    host = urlsplit(endpoint).netloc
    headers = signed_headers(
        creds,
        settings.aws_region,
        "secretsmanager",
        ("POST", host, "/"),
        {
            "content-type": "application/x-amz-json-1.1",
            "x-amz-target": "secretsmanager.GetSecretValue",
        },
        body,
        datetime.datetime.now(datetime.UTC),
    )
    status, _, answer = request("POST", endpoint, headers, body)
    if status != 200:
        raise AwsCallError(f"Secrets Manager answered {status}: {answer[:300]!r}")
    return str(json.loads(answer)["SecretString"])
