"""The boto-free AWS calls (streamcat.aws) sign requests exactly as botocore does (Signature
Version 4), and find SnapStart's credentials at the container credentials endpoint."""

import datetime
import hashlib
import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from streamcat import aws
from streamcat.settings import Settings
from tests.support.http import serving

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = datetime.datetime(2026, 11, 24, 13, 5, 9, tzinfo=datetime.UTC)
SECRETS_HEADERS = {
    "content-type": "application/x-amz-json-1.1",
    "x-amz-target": "secretsmanager.GetSecretValue",
}


def _botocore_authorization(
    monkeypatch: pytest.MonkeyPatch,
    ours: dict[str, str],
    token: str | None,
    service: str,
    request_line: tuple[str, str, str],
    body: bytes,
) -> str:
    method, host, path = request_line
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: NOW.replace(tzinfo=None))
    skipped = {"authorization", "x-amz-date", "x-amz-security-token", "host"}
    headers = {name: value for name, value in ours.items() if name not in skipped}
    # botocore signs the payload hash this header gives: the test's own, not ours.
    headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    request = AWSRequest(method=method, url=f"https://{host}{path}", headers=headers, data=body)
    SigV4Auth(BotoCredentials("AKIDEXAMPLE", SECRET, token), service, "eu-west-1").add_auth(request)
    return str(request.headers["Authorization"])


@pytest.mark.parametrize("token", [None, "session-token/with+chars"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_s3_signature_matches_botocore(
    monkeypatch: pytest.MonkeyPatch, token: str | None, method: str
) -> None:
    creds = aws.Credentials("AKIDEXAMPLE", SECRET, token)
    line = (method, "data.s3.eu-west-1.amazonaws.com", "/models/recommender/v3/model.json.gz")
    ours = aws.signed_headers(creds, "eu-west-1", "s3", line, {}, b"", NOW)
    assert ours["authorization"] == _botocore_authorization(
        monkeypatch, ours, token, "s3", line, b""
    )
    assert ours["x-amz-date"] == "20261124T130509Z"


@pytest.mark.parametrize("token", [None, "session-token/with+chars"])
def test_secrets_manager_signature_matches_botocore(
    monkeypatch: pytest.MonkeyPatch, token: str | None
) -> None:
    creds = aws.Credentials("AKIDEXAMPLE", SECRET, token)
    body = json.dumps({"SecretId": "arn:aws:secretsmanager:eu-west-1:1:secret:db"}).encode()
    line = ("POST", "secretsmanager.eu-west-1.amazonaws.com", "/")
    ours = aws.signed_headers(
        creds, "eu-west-1", "secretsmanager", line, SECRETS_HEADERS, body, NOW
    )
    assert ours["authorization"] == _botocore_authorization(
        monkeypatch, ours, token, "secretsmanager", line, body
    )


@pytest.fixture
def credentials_endpoint() -> Iterator[str]:
    """A container credentials endpoint on loopback that answers only its token."""

    class Endpoint(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            authorised = self.headers.get("Authorization") == "container-token"
            body = json.dumps(
                {"AccessKeyId": "ASIAFRESH", "SecretAccessKey": "fresh", "Token": "session"}
            )
            self.send_response(200 if authorised else 403)
            self.end_headers()
            self.wfile.write(body.encode() if authorised else b"{}")

        def log_message(self, *_: object) -> None:
            pass

    with serving(Endpoint) as port:
        yield f"http://127.0.0.1:{port}/2018-06-01/credentials"


def test_without_environment_keys_the_container_endpoint_gives_the_credentials(
    credentials_endpoint: str,
) -> None:
    """SnapStart's way: no key in the environment, the endpoint asked with its token."""
    settings = Settings(
        aws_access_key_id=None,
        aws_container_credentials_full_uri=credentials_endpoint,
        aws_container_authorization_token="container-token",
    )
    assert aws.credentials(settings) == aws.Credentials("ASIAFRESH", "fresh", "session")
    refused = settings.model_copy(update={"aws_container_authorization_token": None})
    with pytest.raises(aws.AwsCallError, match="403"):
        aws.credentials(refused)


def test_environment_keys_come_first() -> None:
    settings = Settings(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=SECRET,
        aws_container_credentials_full_uri="http://127.0.0.1:9/unreachable",
    )
    assert aws.credentials(settings) == aws.Credentials("AKIDEXAMPLE", SECRET, None)
