"""Helpers for the local stack's tests: SQS reads, the template's resources in a moto server, and
the stack run as a user runs it (a process of its own)."""

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.cloud import DatabaseLogin, LocalCloud, provision
from local.s3 import start_moto
from local.template import load_template

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def receive_all(sqs: "SQSClient", queue_url: str) -> list[dict[str, Any]]:
    """Every message visible on the queue now, received once."""
    messages: list[dict[str, Any]] = []
    while True:
        response = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
        )
        batch = response.get("Messages", [])
        if not batch:
            return messages
        messages.extend(dict(message) for message in batch)


REPO = Path(__file__).resolve().parents[2]


def stack_environment(database_url: str, ca_cert: Path) -> dict[str, str]:
    """The stack on the test server (through TLS and Secrets Manager, as in the cloud) and a
    moto server on a port of its own, whichever the kernel gives."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **environment,
        "DATABASE_URL": database_url,
        "DB_SSL_ROOT_CERT": str(ca_cert),
        "STREAMCAT_S3_PORT": "0",
    }


def without_action(template: dict[str, Any], function: str, action: str) -> dict[str, Any]:
    """A copy of the template whose function is no longer granted `action` (a statement left
    with no action keeps a harmless one, as IAM needs one)."""
    changed = copy.deepcopy(template)
    for policy in changed["Resources"][function]["Properties"]["Policies"]:
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            granted = statement["Action"]
            actions = granted if isinstance(granted, list) else [granted]
            statement["Action"] = [a for a in actions if a != action] or ["s3:GetObjectTagging"]
    return changed


# The local stack's resources need a database only as data (the master secret's login,
# never used to connect): a login with a password, as RDS's master login always has.
UNUSED_LOGIN = DatabaseLogin(
    host="127.0.0.1", port=5432, username="postgres", password="unused-master", dbname="streamcat"
)
# The fields of one record of the SQS event Lambda's event source mapping builds.
LAMBDA_SQS_RECORD_FIELDS = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}


@contextmanager
def provisioned_cloud(template: dict[str, Any] | None = None) -> Iterator[LocalCloud]:
    """A new moto server holding the template's resources, IAM enforced."""
    server = start_moto()
    try:
        yield provision(template or load_template(), server.endpoint, "us-east-1", UNUSED_LOGIN)
    finally:
        server.stop()
