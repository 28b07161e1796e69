"""The template's cloud in the tests: one moto server per session holding what template.yaml
declares (the bucket versioned and notifying its queues, each function's role, IAM enforced),
its bucket emptied for each test, and the test's process acting as the deployer (who uploads)
or as one function (its role's credentials, as Lambda hands them to a container)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from local.cloud import LocalCloud
from local.iam import Credentials, client
from streamcat.settings import get_settings
from streamcat.storage import s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class _TestCloud:
    cloud: LocalCloud
    environment: pytest.MonkeyPatch


_running: list[_TestCloud] = []
"""The cloud of the running test (innermost last): `Etl` and `act_as` are handed only a bucket."""


@contextmanager
def template_bucket(cloud: LocalCloud) -> Iterator[str]:
    """The template's bucket emptied (the only state reset: other fixtures' resources in the
    cloud stay), and the environment pointing at it as the deployer until the end, when every
    variable set here or by `act_as` is put back."""
    name = cloud.outputs["DataBucketName"]
    empty_bucket(deployer_client(cloud), name)
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("AWS_ENDPOINT_URL", cloud.endpoint_url)
        environment.setenv("AWS_REGION", cloud.region)
        environment.setenv("AWS_DEFAULT_REGION", cloud.region)
        environment.setenv("DATA_BUCKET", name)
        running = _TestCloud(cloud, environment)
        _running.append(running)
        try:
            _hold(running, cloud.deployer)
            yield name
        finally:
            _running.remove(running)
    _forget_clients()


def act_as(function: str) -> None:
    """For the rest of the test, the process holds `function`'s role credentials: what it
    reads and writes in S3 is checked against that role's policies, as in AWS."""
    running = _running[-1]
    _hold(running, running.cloud.functions[function])


def deployer_s3() -> "S3Client":
    """An S3 client of the running test's cloud as the deployer, whatever the process acts as:
    for a test's own uploads and checks."""
    return deployer_client(_running[-1].cloud)


def deployer_client(cloud: LocalCloud) -> "S3Client":
    s3: S3Client = client("s3", cloud.endpoint_url, cloud.region, cloud.deployer)
    return s3


def empty_bucket(s3: "S3Client", bucket: str) -> None:
    """Every version and delete marker removed (a versioned bucket keeps what a plain delete
    hides), so a test starts from an empty bucket whatever ran before it."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        if entries:
            s3.delete_objects(
                Bucket=bucket,
                Delete={
                    "Objects": [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in entries]
                },
            )


def emptied_bucket(s3: "S3Client", bucket: str) -> str:
    """`bucket` made where missing, else emptied: a plain moto's bucket for one test."""
    if bucket in [found["Name"] for found in s3.list_buckets()["Buckets"]]:
        empty_bucket(s3, bucket)
    else:
        s3.create_bucket(Bucket=bucket)
    return bucket


def _hold(running: _TestCloud, credentials: Credentials) -> None:
    for name, value in credentials.environment().items():
        running.environment.setenv(name, value)
    if credentials.session_token is None:
        running.environment.delenv("AWS_SESSION_TOKEN", raising=False)
    _forget_clients()


def _forget_clients() -> None:
    """What a container caches from its environment, built again from the new one: settings,
    the S3 client, Powertools' secrets (values and client), and boto3's default session, which
    keeps the credentials it first found."""
    get_settings.cache_clear()
    s3_client.cache_clear()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    boto3.DEFAULT_SESSION = None
