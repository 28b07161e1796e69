"""What AWS's authorization asks of the calls the functions make, reproduced on the local
stack's moto server (`python -m local.moto_server`) with IAM on: the smallest cases in which an
emulator release can differ from AWS.

moto 5.2.6 fails the two S3 cases (it authorises CopyObject as "s3:CopyObject", an action IAM
does not have, and GetObject of a version as s3:GetObject), which is why uv.lock holds moto below
it. Run this file against a candidate moto before raising that cap: `make upgrade` then
`make test` does. The SQS case holds through local.moto_server's correction of moto.
"""

import json
from collections.abc import Iterator

import botocore.exceptions
import pytest

from local.iam import BOOTSTRAP, Credentials, client, enforce_access_control
from local.s3 import start_moto

pytestmark = pytest.mark.emulator_fidelity

REGION = "us-east-1"
BUCKET = "fidelity"
QUEUE = "fidelity"


def _user(endpoint: str, name: str, statements: list[dict[str, object]]) -> Credentials:
    iam = client("iam", endpoint, REGION, BOOTSTRAP)
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="only",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"])


@pytest.fixture(scope="module")
def versioned() -> Iterator[tuple[str, str]]:
    """A moto server with IAM on, a versioned bucket holding `src/a`; its endpoint and the
    object's version id."""
    server = start_moto()
    try:
        s3 = client("s3", server.endpoint, REGION, BOOTSTRAP)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        version = s3.put_object(Bucket=BUCKET, Key="src/a", Body=b"a")["VersionId"]
        client("sqs", server.endpoint, REGION, BOOTSTRAP).create_queue(QueueName=QUEUE)
        yield server.endpoint, version
    finally:
        server.stop()


@pytest.fixture(scope="module")
def users(versioned: tuple[str, str]) -> dict[str, Credentials]:
    endpoint, _ = versioned
    arn = f"arn:aws:s3:::{BUCKET}"
    found = {
        "copier": _user(
            endpoint,
            "copier",
            [
                {"Effect": "Allow", "Action": "s3:GetObjectVersion", "Resource": f"{arn}/src/*"},
                {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{arn}/dst/*"},
            ],
        ),
        "reader": _user(
            endpoint,
            "reader",
            [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{arn}/*"}],
        ),
        "poller": _user(
            endpoint,
            "poller",
            [
                {
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
                    "Resource": f"arn:aws:sqs:{REGION}:123456789012:{QUEUE}",
                }
            ],
        ),
    }
    enforce_access_control(endpoint)
    return found


def _denied(call: object, **arguments: object) -> bool:
    """Refused as IAM refuses: 403 (S3 says AccessDenied; moto's SQS gives no code)."""
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        call(**arguments)  # type: ignore[operator]
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_copying_a_version_needs_its_source_read_and_a_destination_put(
    versioned: tuple[str, str], users: dict[str, Credentials]
) -> None:
    """AWS: CopyObject checks s3:PutObject on the destination and, for a versionId in the copy
    source, s3:GetObjectVersion on the source. There is no s3:CopyObject action."""
    endpoint, version = versioned
    s3 = client("s3", endpoint, REGION, users["copier"])

    s3.copy_object(
        Bucket=BUCKET,
        Key="dst/a",
        CopySource={"Bucket": BUCKET, "Key": "src/a", "VersionId": version},
    )

    reader = client("s3", endpoint, REGION, users["reader"])
    assert reader.get_object(Bucket=BUCKET, Key="dst/a")["Body"].read() == b"a"


def test_reading_a_version_needs_get_object_version(
    versioned: tuple[str, str], users: dict[str, Credentials]
) -> None:
    """AWS: GetObject with a versionId is authorised as s3:GetObjectVersion; s3:GetObject
    alone reads only the current version."""
    endpoint, version = versioned
    s3 = client("s3", endpoint, REGION, users["reader"])

    assert s3.get_object(Bucket=BUCKET, Key="src/a")["Body"].read() == b"a"
    assert _denied(s3.get_object, Bucket=BUCKET, Key="src/a", VersionId=version)


def test_a_batch_of_sqs_calls_needs_the_single_calls_permission(
    versioned: tuple[str, str], users: dict[str, Credentials]
) -> None:
    """AWS: SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch are
    authorised as sqs:SendMessage, sqs:DeleteMessage and sqs:ChangeMessageVisibility; IAM has no
    actions of the batch names."""
    endpoint, _ = versioned
    sqs = client("sqs", endpoint, REGION, users["poller"])
    queue = f"{endpoint}/123456789012/{QUEUE}"

    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": "1", "MessageBody": "m"}])
    (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)["Messages"]
    deleted = sqs.delete_message_batch(
        QueueUrl=queue, Entries=[{"Id": "1", "ReceiptHandle": message["ReceiptHandle"]}]
    )

    assert [entry["Id"] for entry in deleted["Successful"]] == ["1"]
    assert _denied(
        sqs.change_message_visibility_batch,
        QueueUrl=queue,
        Entries=[{"Id": "1", "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 0}],
    )
