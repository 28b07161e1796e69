"""S3 access. boto3 honours `AWS_ENDPOINT_URL`, so the local moto server and real S3
are reached by the same code."""

from functools import lru_cache
from typing import TYPE_CHECKING

from streamcat.settings import get_settings

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_s3 import S3Client

_NOT_FOUND = frozenset({"NoSuchKey", "404"})
"""S3's codes for a missing key: GET says NoSuchKey, HEAD (no body) only its status."""


@lru_cache(maxsize=1)
def s3_client() -> "S3Client":
    import boto3  # imported lazily: query functions never touch S3

    settings = get_settings()
    return boto3.client(
        "s3", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url
    )


def not_found(error: "ClientError") -> bool:
    return error.response.get("Error", {}).get("Code") in _NOT_FOUND
