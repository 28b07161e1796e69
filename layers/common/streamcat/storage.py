"""S3 access. boto3 honours `AWS_ENDPOINT_URL`, so the local moto server and real S3
are reached by the same code."""

from functools import lru_cache
from typing import TYPE_CHECKING

from streamcat.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@lru_cache(maxsize=1)
def s3_client() -> "S3Client":
    import boto3  # imported lazily: query functions never touch S3

    settings = get_settings()
    return boto3.client(
        "s3", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url
    )
