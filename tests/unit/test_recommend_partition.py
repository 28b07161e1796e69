"""The boto-free S3 reader addresses S3 in the function's partition (`AWS_URL_SUFFIX`, which the
template sets from `AWS::URLSuffix`), as botocore does: `amazonaws.com.cn` in the China regions."""

import boto3
import pytest
from botocore.config import Config

from streamcat.recommend.s3_reader import S3Reader
from streamcat.settings import Settings

BUCKET, KEY = "streamcat-data", "models/recommender/latest.json"


def _botocore_host(region: str) -> str:
    """Where botocore sends a virtual-hosted GetObject in `region` (a presigned URL: no request)."""
    client = boto3.client(
        "s3",
        region_name=region,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(s3={"addressing_style": "virtual"}, signature_version="s3v4"),
    )
    url = client.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": KEY})
    return url.split("/")[2]


@pytest.mark.parametrize(
    ("region", "suffix"), [("cn-north-1", "amazonaws.com.cn"), ("eu-west-1", "amazonaws.com")]
)
def test_reader_addresses_s3_in_the_regions_partition(
    monkeypatch: pytest.MonkeyPatch, region: str, suffix: str
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_URL_SUFFIX", suffix)
    settings = Settings(aws_region=region, aws_endpoint_url=None)

    scheme, host, path = S3Reader(settings)._location(BUCKET, KEY)

    assert (scheme, host, path) == ("https", f"{BUCKET}.s3.{region}.{suffix}", f"/{KEY}")
    assert host == _botocore_host(region)


def test_url_suffix_defaults_to_the_commercial_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_URL_SUFFIX", raising=False)
    assert Settings().aws_url_suffix == "amazonaws.com"
