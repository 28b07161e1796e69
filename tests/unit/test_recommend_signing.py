"""The boto-free S3 reader signs requests exactly as botocore does (Signature Version 4)."""

import datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from streamcat.recommend.s3_reader import signed_headers
from streamcat.settings import Settings

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = datetime.datetime(2026, 11, 24, 13, 5, 9, tzinfo=datetime.UTC)


@pytest.mark.parametrize("token", [None, "session-token/with+chars"])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_signature_matches_botocore(
    monkeypatch: pytest.MonkeyPatch, token: str | None, method: str
) -> None:
    settings = Settings(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key=SECRET,
        aws_session_token=token,
        aws_region="eu-west-1",
    )
    host, path = "data.s3.eu-west-1.amazonaws.com", "/models/recommender/v3/model.json.gz"
    ours = signed_headers(settings, method, host, path, NOW)

    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: NOW.replace(tzinfo=None))
    request = AWSRequest(
        method=method,
        url=f"https://{host}{path}",
        headers={"x-amz-content-sha256": ours["x-amz-content-sha256"]},
    )
    SigV4Auth(Credentials("AKIDEXAMPLE", SECRET, token), "s3", "eu-west-1").add_auth(request)
    assert ours["authorization"] == request.headers["Authorization"]
    assert ours["x-amz-date"] == request.headers["X-Amz-Date"]
