"""What AWS's authorization asks of the calls the functions make, reproduced on the local
stack's moto server (`python -m local.moto_server`) with IAM on: the smallest cases in which an
emulator release can differ from AWS.

moto 5.2.6 fails the two S3 cases (it authorises CopyObject as "s3:CopyObject", an action IAM
does not have, and GetObject of a version as s3:GetObject), which is why uv.lock holds moto below
it. Run this file against a candidate moto before raising that cap: `make upgrade` then
`make test` does. The SQS and EMR Serverless cases hold through local.moto_server's corrections
of moto.
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
        "lister": _user(
            endpoint,
            "lister",
            [
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": arn,
                    "Condition": {"StringLike": {"s3:prefix": ["src/*"]}},
                }
            ],
        ),
        "lister-of-all": _user(
            endpoint,
            "lister-of-all",
            [
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": arn,
                    "Condition": {"StringLike": {"s3:prefix": ["src/*"]}},
                },
                {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn},
            ],
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


def test_a_listing_is_judged_by_its_prefix(
    versioned: tuple[str, str], users: dict[str, Credentials]
) -> None:
    """AWS: ListObjects carries its prefix as the condition key s3:prefix; an Allow whose
    condition it does not meet does not apply (another Allow still can)."""
    endpoint, _ = versioned
    lister = client("s3", endpoint, REGION, users["lister"])

    listed = lister.list_objects_v2(Bucket=BUCKET, Prefix="src/")
    assert [found["Key"] for found in listed["Contents"]] == ["src/a"]
    assert _denied(lister.list_objects_v2, Bucket=BUCKET, Prefix="dst/")
    assert _denied(lister.list_objects_v2, Bucket=BUCKET)
    everything = client("s3", endpoint, REGION, users["lister-of-all"])
    assert everything.list_objects_v2(Bucket=BUCKET, Prefix="dst/")["KeyCount"] >= 0


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


ROLE = "arn:aws:iam::123456789012:role/job"
PASS_THE_ROLE: dict[str, object] = {
    "Effect": "Allow",
    "Action": "iam:PassRole",
    "Resource": ROLE,
    "Condition": {"StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}},
}


@pytest.fixture(scope="module")
def spark() -> Iterator[tuple[str, str, dict[str, Credentials]]]:
    """A moto server with IAM on and an EMR Serverless application; its endpoint, the
    application's id and users granted what their names say."""
    server = start_moto()
    try:
        emr = client("emr-serverless", server.endpoint, REGION, BOOTSTRAP)
        application = emr.create_application(
            name="fidelity", releaseLabel="emr-7.11.0", type="SPARK", clientToken="fidelity"
        )
        arn = application["arn"]
        start: dict[str, object] = {
            "Effect": "Allow",
            "Action": "emr-serverless:StartJobRun",
            "Resource": arn,
        }
        read: dict[str, object] = {
            "Effect": "Allow",
            "Action": "emr-serverless:GetJobRun",
            "Resource": f"{arn}/*",
        }
        users = {
            "starter": _user(server.endpoint, "starter", [start, read, PASS_THE_ROLE]),
            "no-pass": _user(server.endpoint, "no-pass", [start, read]),
            "pass-to-glue": _user(
                server.endpoint,
                "pass-to-glue",
                [
                    start,
                    {
                        **PASS_THE_ROLE,
                        "Condition": {
                            "StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}
                        },
                    },
                ],
            ),
            "other-application": _user(
                server.endpoint,
                "other-application",
                [{**start, "Resource": f"{arn}-other"}, PASS_THE_ROLE],
            ),
            "starts-only": _user(server.endpoint, "starts-only", [start, PASS_THE_ROLE]),
        }
        enforce_access_control(server.endpoint)
        yield server.endpoint, application["applicationId"], users
    finally:
        server.stop()


def _start(endpoint: str, application_id: str, who: Credentials, token: str) -> str:
    emr = client("emr-serverless", endpoint, REGION, who)
    started = emr.start_job_run(
        applicationId=application_id,
        executionRoleArn=ROLE,
        clientToken=token,
        name="fidelity",
        jobDriver={"sparkSubmit": {"entryPoint": "s3://fidelity/job.py"}},
    )
    job_run_id: str = started["jobRunId"]
    return job_run_id


def test_starting_a_job_run_needs_its_application_and_the_role_passed_to_emr_serverless(
    spark: tuple[str, str, dict[str, Credentials]],
) -> None:
    """AWS: StartJobRun is authorised on the application's ARN, and hands the job its
    execution role: iam:PassRole on that role, with iam:PassedToService emr-serverless."""
    endpoint, application_id, users = spark

    assert _start(endpoint, application_id, users["starter"], "allowed")
    for who in ("no-pass", "pass-to-glue", "other-application"):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            _start(endpoint, application_id, users[who], f"denied-{who}")
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403, who


def test_reading_a_job_run_needs_a_grant_on_its_job_runs(
    spark: tuple[str, str, dict[str, Credentials]],
) -> None:
    """AWS: GetJobRun is authorised on the job run's ARN (the application's, /jobruns/<id>)."""
    endpoint, application_id, users = spark
    job_run_id = _start(endpoint, application_id, users["starter"], "read")
    arguments = {"applicationId": application_id, "jobRunId": job_run_id}

    reader = client("emr-serverless", endpoint, REGION, users["starter"])
    assert reader.get_job_run(**arguments)["jobRun"]["jobRunId"] == job_run_id
    starter_only = client("emr-serverless", endpoint, REGION, users["starts-only"])
    assert _denied(starter_only.get_job_run, **arguments)


def test_an_application_without_runs_lists_none() -> None:
    """AWS: ListJobRuns of an application that has run nothing is an empty list; of one that
    does not exist, ResourceNotFoundException."""
    server = start_moto()
    try:
        emr = client("emr-serverless", server.endpoint, REGION, BOOTSTRAP)
        application = emr.create_application(
            name="idle", releaseLabel="emr-7.11.0", type="SPARK", clientToken="idle"
        )
        assert emr.list_job_runs(applicationId=application["applicationId"])["jobRuns"] == []
        with pytest.raises(emr.exceptions.ResourceNotFoundException):
            emr.list_job_runs(applicationId="00fnosuchapp")
    finally:
        server.stop()


def test_a_job_run_waits_submitted_and_its_client_token_starts_it_once(
    spark: tuple[str, str, dict[str, Credentials]],
) -> None:
    """AWS: a run starts SUBMITTED and moves as it runs; StartJobRun is idempotent on its
    clientToken (a retried request gets the run it started)."""
    endpoint, application_id, users = spark
    first = _start(endpoint, application_id, users["starter"], "once")

    assert _start(endpoint, application_id, users["starter"], "once") == first
    assert _start(endpoint, application_id, users["starter"], "twice") != first
    emr = client("emr-serverless", endpoint, REGION, users["starter"])
    run = emr.get_job_run(applicationId=application_id, jobRunId=first)["jobRun"]
    assert run["state"] == "SUBMITTED"
