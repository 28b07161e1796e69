"""Local S3 + SQS: a moto server on loopback, provisioned like the cloud template (the data
bucket notifies SQS queues, whose pollers invoke the Lambda handlers), and the correction of
moto's S3 events into the exact shape S3 sends.

moto runs as a subprocess (`python -m moto.server`), not as `ThreadedMotoServer`: the ETL runs
in the stack's process, and in-process moto would share its GIL (every upload and download of
300 MB of ratings is parsed in Python) and its memory (objects stored by moto would count in the
ETL's measured peak). A subprocess uses the second core and keeps both separate.
"""

import http
import http.client
import itertools
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_plus, urlsplit

import boto3

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import QueueConfigurationTypeDef
    from mypy_boto3_sqs import SQSClient

RAW_UPLOADS_QUEUE = "streamcat-raw-uploads"
INTERACTIONS_QUEUE = "streamcat-interactions"
INTERACTIONS_PREFIX = "curated/interactions/"
MAX_RECEIVE_COUNT = 3
# Longer than any local handler run: a batch is never redelivered while it is being handled.
VISIBILITY_TIMEOUT_S = 900
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}
START_TIMEOUT_S = 30.0
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class LocalS3Error(RuntimeError):
    """moto could not start, or the endpoint is not a local one."""


def is_local_endpoint(endpoint_url: str | None) -> bool:
    """Only a loopback endpoint is provisioned: the local stack never changes real AWS."""
    return endpoint_url is not None and urlsplit(endpoint_url).hostname in _LOOPBACK_HOSTS


class MotoServer:
    """A `moto.server` subprocess serving S3 and SQS on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until it answers; a taken port is a clear error, not a hang."""
        _check_port_free(self.port)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                raise LocalS3Error(
                    f"moto server on 127.0.0.1:{self.port} exited ({self._process.returncode}): "
                    f"{error.strip()[-500:]} (set STREAMCAT_S3_PORT to use another port)"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise LocalS3Error(f"moto server did not answer at {self.endpoint}")
            time.sleep(0.05)
        if self._process.stderr:
            threading.Thread(target=self._process.stderr.read, daemon=True).start()

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _answers(self) -> bool:
        """moto's own API answers: the port is moto's, not another service's."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
        try:
            connection.request("GET", "/moto-api/data.json")
            return connection.getresponse().status == http.HTTPStatus.OK
        except OSError:
            return False
        finally:
            connection.close()


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise LocalS3Error(
                f"cannot start moto on 127.0.0.1:{port}: {error.strerror} (another local stack "
                "running? set STREAMCAT_S3_PORT to use another port)"
            ) from error


def start_moto(port: int) -> MotoServer:
    server = MotoServer(port)
    server.start()
    return server


@dataclass(frozen=True)
class Queue:
    name: str
    url: str
    arn: str


@dataclass(frozen=True)
class Provisioned:
    """What `provision` made: the queues the two pollers read."""

    raw_uploads: Queue
    interactions: Queue


def provision(bucket: str, raw_prefix: str, endpoint_url: str, region: str) -> Provisioned:
    """The data bucket, the two queues with their dead-letter queues (redrive after
    MAX_RECEIVE_COUNT receives) and the bucket notifications: `raw/` uploads to the raw-uploads
    queue, `curated/interactions/` to the interactions queue. Idempotent."""
    if not is_local_endpoint(endpoint_url):
        raise LocalS3Error(f"refusing to provision {endpoint_url!r}: not a loopback endpoint")
    s3: S3Client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
    sqs: SQSClient = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
    s3.create_bucket(Bucket=bucket)
    provisioned = Provisioned(
        raw_uploads=_queue_with_dlq(sqs, RAW_UPLOADS_QUEUE),
        interactions=_queue_with_dlq(sqs, INTERACTIONS_QUEUE),
    )
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                _created_under(raw_prefix, provisioned.raw_uploads, "raw-uploads"),
                _created_under(INTERACTIONS_PREFIX, provisioned.interactions, "interactions"),
            ]
        },
    )
    return provisioned


def _queue_with_dlq(sqs: "SQSClient", name: str) -> Queue:
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = _queue_arn(sqs, dlq_url)
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(VISIBILITY_TIMEOUT_S),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return Queue(name=name, url=url, arn=_queue_arn(sqs, url))


def _queue_arn(sqs: "SQSClient", url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


def _created_under(prefix: str, queue: Queue, name: str) -> "QueueConfigurationTypeDef":
    return {
        "Id": name,
        "QueueArn": queue.arn,
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
    }


def local_environment(endpoint_url: str, bucket: str, region: str) -> dict[str, str]:
    """The environment that points boto3 (and so every handler) at the local endpoint."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "DATA_BUCKET": bucket,
    }


def apply_environment(values: dict[str, str]) -> None:
    """Export `values` and drop the settings and clients cached from the previous ones."""
    from streamcat.settings import get_settings
    from streamcat.storage import s3_client

    os.environ.update(values)
    get_settings.cache_clear()
    s3_client.cache_clear()


def s3_event_key(key: str) -> str:
    """An object key as S3 writes it in events: form-encoded (`+` for a space, `%2B` for a
    plus), with `/` left as is."""
    return quote_plus(key, safe="/")


class GenuineS3Events:
    """Rewrites the S3 events moto sends to SQS into the shape S3 itself sends.

    moto 5 deviates from S3 in the message body: the key is encoded with `quote_plus` without
    keeping `/` (`raw%2Ftitles%2Fa+b.csv`, where S3 sends `raw/titles/a+b.csv`); the records lack
    `sequencer`, `userIdentity`, `requestParameters`, `responseElements` and the bucket's
    `ownerIdentity`; its `s3:TestEvent` lacks `RequestId` and `HostId`. The sequencer is assigned
    when a message is first seen, increasing in arrival order (moto's queues deliver in send
    order, which is put order). A redelivered message gets the very body of its first delivery,
    as in AWS. Bodies that are not moto S3 events pass unchanged."""

    def __init__(self) -> None:
        self._bodies: dict[str, str] = {}
        self._sequencers = itertools.count(time.time_ns())
        self._lock = threading.Lock()

    def __call__(self, message_id: str, body: str) -> str:
        with self._lock:
            if message_id not in self._bodies:
                self._bodies[message_id] = self._genuine(body)
            return self._bodies[message_id]

    def _genuine(self, body: str) -> str:
        try:
            event = json.loads(body)
        except json.JSONDecodeError:
            return body
        if not isinstance(event, dict):
            return body
        if event.get("Event") == "s3:TestEvent":
            return json.dumps(_genuine_test_event(event))
        records = event.get("Records")
        if not isinstance(records, list) or not all(_is_s3_record(r) for r in records):
            return body
        sequencer = f"{next(self._sequencers):018X}"
        return json.dumps({"Records": [_genuine_record(r, sequencer) for r in records]})


def _is_s3_record(record: Any) -> bool:
    return isinstance(record, dict) and record.get("eventSource") == "aws:s3"


def _genuine_record(record: dict[str, Any], sequencer: str) -> dict[str, Any]:
    s3 = record["s3"]
    obj = {
        **s3["object"],
        "key": s3_event_key(unquote_plus(s3["object"]["key"])),
        "sequencer": s3["object"].get("sequencer", sequencer),
    }
    return {
        "eventVersion": record["eventVersion"],
        "eventSource": record["eventSource"],
        "awsRegion": record["awsRegion"],
        "eventTime": record["eventTime"],
        "eventName": record["eventName"],
        "userIdentity": record.get("userIdentity", {"principalId": "AWS:LOCALSTACKUSER"}),
        "requestParameters": record.get("requestParameters", {"sourceIPAddress": "127.0.0.1"}),
        "responseElements": record.get("responseElements", _response_elements()),
        "s3": {
            **s3,
            "bucket": {"ownerIdentity": {"principalId": "LOCALOWNER"}, **s3["bucket"]},
            "object": obj,
        },
    }


def _genuine_test_event(event: dict[str, Any]) -> dict[str, Any]:
    elements = _response_elements()
    return {"RequestId": elements["x-amz-request-id"], "HostId": elements["x-amz-id-2"], **event}


def _response_elements() -> dict[str, str]:
    return {"x-amz-request-id": secrets.token_hex(8).upper(), "x-amz-id-2": secrets.token_hex(32)}
