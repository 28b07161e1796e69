"""The Spark training job's role (SparkJobRole) against the template's bucket with IAM on, with
the session the local EMR Serverless runs jobs with: it reads its inputs and writes its output,
and is denied the rest of the data path: the raw uploads, the load reports, the served model and
the pointer to it."""

from typing import TYPE_CHECKING

import botocore.exceptions
import pytest

from local.cloud import LocalCloud
from local.iam import client
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from tests.support.cloud import deployer_s3

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LOAD = "20261208T015000Z-1a2b3c4d"
VERSION = 7


@pytest.fixture
def job_s3(template_cloud: LocalCloud, bucket: str) -> "S3Client":
    """An S3 client signing as the job role, with every object it might touch in the bucket."""
    layout = S3Layout.of(get_settings())
    for key in _inputs(layout) + _others(layout):
        deployer_s3().put_object(Bucket=bucket, Key=key, Body=b"x")
    credentials = template_cloud.job_roles["SparkJobRole"]
    s3: S3Client = client("s3", template_cloud.endpoint_url, template_cloud.region, credentials)
    return s3


def _inputs(layout: S3Layout) -> list[str]:
    return [
        layout.ratings_parquet(1),
        layout.spark_script("0" * 64),
        layout.spark_titles(VERSION, LOAD),
    ]


def _others(layout: S3Layout) -> list[str]:
    """What the job has no business reading."""
    return [
        layout.ratings_upload("1.csv"),
        layout.titles_upload("netflix_titles.csv"),
        layout.load_report(LOAD),
        layout.training_manifest(VERSION),
        layout.training_part(1),
        layout.latest_model,
        layout.model(VERSION - 1),
    ]


def _denied(call: object, **arguments: object) -> bool:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**arguments)  # type: ignore[operator]
    return raised.value.response["Error"]["Code"] == "AccessDenied"


def test_the_job_reads_its_inputs_and_nothing_else(job_s3: "S3Client", bucket: str) -> None:
    layout = S3Layout.of(get_settings())
    s3 = job_s3
    for key in _inputs(layout):
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"x", key
    for key in _others(layout):
        assert _denied(s3.get_object, Bucket=bucket, Key=key), key


def test_the_job_writes_its_output_and_nowhere_else(job_s3: "S3Client", bucket: str) -> None:
    layout = S3Layout.of(get_settings())
    s3 = job_s3
    part = layout.spark_output(VERSION, LOAD) + "factors/part-00000.json"
    s3.put_object(Bucket=bucket, Key=part, Body=b"{}")
    assert deployer_s3().get_object(Bucket=bucket, Key=part)["Body"].read() == b"{}"
    s3.delete_object(Bucket=bucket, Key=part)
    for key in [
        layout.latest_model,
        layout.model(VERSION),
        layout.fitted(VERSION, "ratings.joblib"),
        layout.spark_titles(VERSION, LOAD),
        layout.spark_script("0" * 64),
        layout.ratings_parquet(1),
        layout.training_manifest(VERSION + 1),
        layout.load_report(LOAD),
        layout.ratings_upload("9.csv"),
    ]:
        assert _denied(s3.put_object, Bucket=bucket, Key=key, Body=b"y"), key
    latest = deployer_s3().get_object(Bucket=bucket, Key=layout.latest_model)["Body"].read()
    assert latest == b"x"


def test_the_job_lists_its_own_prefixes_only(job_s3: "S3Client", bucket: str) -> None:
    layout = S3Layout.of(get_settings())
    output = layout.spark_output(VERSION, LOAD)
    for prefix in (layout.ratings_parquet_prefix, output, layout.spark_titles(VERSION, LOAD)):
        job_s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    for prefix in (layout.raw, layout.reports, layout.models, layout.curated, ""):
        assert _denied(job_s3.list_objects_v2, Bucket=bucket, Prefix=prefix), prefix
