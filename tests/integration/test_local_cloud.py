"""The local AWS made from template.yaml, with IAM enforced as AWS enforces it: each function's
role allows what the template grants and nothing more, over HTTP against moto."""

import json
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import pytest

from local.cloud import LocalCloud
from local.iam import Credentials, client
from local.template import load_template
from tests.support.local import UNUSED_LOGIN, provisioned_cloud, without_action

REGION = "us-east-1"


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with provisioned_cloud() as provisioned:
        yield provisioned


def _as(cloud: LocalCloud, service: str, who: str) -> Any:
    credentials = cloud.deployer if who == "deployer" else cloud.functions[who]
    return client(service, cloud.endpoint_url, cloud.region, credentials)


def _denied(call: Any, **arguments: Any) -> bool:
    """Whether the call is refused as IAM refuses it: 403 (moto answers the JSON services'
    denials without an error code, S3's with AccessDenied)."""
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**arguments)
    response = raised.value.response
    code = response["Error"].get("Code")
    return bool(
        response["ResponseMetadata"]["HTTPStatusCode"] == 403 and code in ("AccessDenied", "403")
    )


def _upload(cloud: LocalCloud, key: str) -> str:
    s3 = _as(cloud, "s3", "deployer")
    version: str = s3.put_object(Bucket=cloud.outputs["DataBucketName"], Key=key, Body=b"x")[
        "VersionId"
    ]
    return version


def test_the_bucket_and_queues_are_the_templates(cloud: LocalCloud) -> None:
    template = load_template()
    bucket = cloud.outputs["DataBucketName"]
    s3, sqs = _as(cloud, "s3", "deployer"), _as(cloud, "sqs", "deployer")

    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    notifications = s3.get_bucket_notification_configuration(Bucket=bucket)
    prefixes = {
        n["QueueArn"]: n["Filter"]["Key"]["FilterRules"][0]["Value"]
        for n in notifications["QueueConfigurations"]
    }
    assert prefixes[cloud.resources["RawUploadsQueue"]["Arn"]] == "raw/"
    declared = template["Resources"]["RawUploadsQueue"]["Properties"]
    attributes = sqs.get_queue_attributes(
        QueueUrl=cloud.resources["RawUploadsQueue"]["Ref"], AttributeNames=["All"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == str(declared["VisibilityTimeout"])
    assert attributes["MessageRetentionPeriod"] == str(declared["MessageRetentionPeriod"])
    redrive = json.loads(attributes["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == declared["RedrivePolicy"]["maxReceiveCount"]
    assert redrive["deadLetterTargetArn"] == cloud.resources["RawUploadsDeadLetterQueue"]["Arn"]


def test_the_etl_reads_uploads_by_version_and_writes_only_its_outputs(cloud: LocalCloud) -> None:
    bucket = cloud.outputs["DataBucketName"]
    version = _upload(cloud, "raw/titles/netflix_titles.csv")
    s3 = _as(cloud, "s3", "EtlFunction")

    assert s3.get_object(Bucket=bucket, Key="raw/titles/netflix_titles.csv", VersionId=version)
    s3.put_object(Bucket=bucket, Key="curated/x", Body=b"x")
    s3.copy_object(
        Bucket=bucket,
        Key="quarantine/raw/titles/netflix_titles.csv",
        CopySource={"Bucket": bucket, "Key": "raw/titles/netflix_titles.csv", "VersionId": version},
    )
    assert _denied(s3.put_object, Bucket=bucket, Key="raw/titles/x.csv", Body=b"x")
    assert _denied(s3.put_object, Bucket=bucket, Key="models/x", Body=b"x")


def test_http_functions_read_only_their_secret_and_never_s3(cloud: LocalCloud) -> None:
    secrets = _as(cloud, "secretsmanager", "ActorFunction")
    reader = json.loads(
        secrets.get_secret_value(SecretId=cloud.resources["ReaderSecret"]["Ref"])["SecretString"]
    )
    master = cloud.resources["Database"]["MasterUserSecret.SecretArn"]

    assert reader["username"] == "streamcat_reader" and len(reader["password"]) == 40
    assert _denied(secrets.get_secret_value, SecretId=master)
    s3 = _as(cloud, "s3", "ActorFunction")
    bucket = cloud.outputs["DataBucketName"]
    _upload(cloud, "models/recommender/latest.json")
    assert _denied(s3.get_object, Bucket=bucket, Key="models/recommender/latest.json")
    recommendations = _as(cloud, "s3", "RecommendationsFunction")
    assert recommendations.get_object(Bucket=bucket, Key="models/recommender/latest.json")


def test_the_etl_reads_the_master_login_it_was_given(cloud: LocalCloud) -> None:
    secrets = _as(cloud, "secretsmanager", "EtlFunction")
    master = cloud.resources["Database"]["MasterUserSecret.SecretArn"]

    login = json.loads(secrets.get_secret_value(SecretId=master)["SecretString"])
    assert login == {"username": UNUSED_LOGIN.username, "password": UNUSED_LOGIN.password}


def test_pollers_take_only_their_own_queue(cloud: LocalCloud) -> None:
    etl = _as(cloud, "sqs", "EtlFunction")

    etl.receive_message(QueueUrl=cloud.resources["RawUploadsQueue"]["Ref"], WaitTimeSeconds=0)
    interactions = cloud.resources["InteractionsQueue"]["Ref"]
    assert _denied(etl.receive_message, QueueUrl=interactions)
    assert _denied(
        etl.send_message, QueueUrl=cloud.resources["RawUploadsQueue"]["Ref"], MessageBody="x"
    )


def test_unknown_credentials_are_refused(cloud: LocalCloud) -> None:
    s3 = client("s3", cloud.endpoint_url, cloud.region, Credentials("nobody", "nothing"))

    with pytest.raises(botocore.exceptions.ClientError, match="InvalidAccessKeyId"):
        s3.list_buckets()


def test_a_grant_removed_from_the_template_is_denied_locally() -> None:
    """The proof that local runs fail where AWS would: the same upload read by version, with
    the template's s3:GetObjectVersion grant and without it."""
    template = without_action(load_template(), "EtlFunction", "s3:GetObjectVersion")
    with provisioned_cloud(template) as cloud:
        version = _upload(cloud, "raw/ratings/1.csv")
        s3 = _as(cloud, "s3", "EtlFunction")
        bucket = cloud.outputs["DataBucketName"]

        assert s3.get_object(Bucket=bucket, Key="raw/ratings/1.csv")
        assert _denied(s3.get_object, Bucket=bucket, Key="raw/ratings/1.csv", VersionId=version)
