"""The SQS poller that stands in for Lambda's event source mapping, against moto over HTTP."""

import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest

from local.s3 import GenuineS3Events, MotoServer, Provisioned, provision
from local.trigger import SqsTrigger, TriggerSettings, resolve_handler
from tests.support.local import receive_all, reset_moto, running_moto

BUCKET = "streamcat-data"
REGION = "us-east-1"
FAST = TriggerSettings(batching_window_s=0.3, poll_wait_s=1, retry_delay_s=0)


class RecordingHandler:
    """Records every event; fails the messages whose body mentions a key in `fail`."""

    def __init__(self, fail: set[str] | None = None, raise_first: int = 0) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = fail or set()
        self.raise_first = raise_first
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        assert context.get_remaining_time_in_millis() > 0
        with self.lock:
            self.events.append(event)
            if self.raise_first:
                self.raise_first -= 1
                raise RuntimeError("transient failure")
        failed = [r for r in event["Records"] if any(key in r["body"] for key in self.fail)]
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in failed]}

    def keys(self) -> list[str]:
        return [
            unquote_plus(s3_record["s3"]["object"]["key"])
            for event in self.events
            for record in event["Records"]
            for s3_record in json.loads(record["body"]).get("Records", [])
        ]


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with running_moto() as server:
        yield server


@pytest.fixture
def queues(moto: MotoServer) -> Provisioned:
    reset_moto(moto.endpoint)
    provisioned = provision(BUCKET, "raw/", moto.endpoint, REGION)
    sqs = boto3.client("sqs", endpoint_url=moto.endpoint, region_name=REGION)
    receive_all(sqs, provisioned.raw_uploads.url)  # the configuration's test events
    receive_all(sqs, provisioned.interactions.url)
    for queue in (provisioned.raw_uploads, provisioned.interactions):
        sqs.purge_queue(QueueUrl=queue.url)
    return provisioned


def _trigger(moto: MotoServer, queues: Provisioned, handler: RecordingHandler) -> SqsTrigger:
    return SqsTrigger(
        queues.raw_uploads.url,
        handler,
        endpoint_url=moto.endpoint,
        region=REGION,
        body_transform=GenuineS3Events(),
        settings=FAST,
    )


def _put(moto: MotoServer, *keys: str) -> None:
    s3 = boto3.client("s3", endpoint_url=moto.endpoint, region_name=REGION)
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")


def _queue_size(moto: MotoServer, url: str) -> int:
    sqs = boto3.client("sqs", endpoint_url=moto.endpoint, region_name=REGION)
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def test_uploads_reach_the_handler_in_lambda_sqs_batches(
    moto: MotoServer, queues: Provisioned
) -> None:
    handler = RecordingHandler()
    keys = [f"raw/ratings/{n}.csv" for n in range(1, 12)] + ["raw/titles/a b+c.csv"]
    trigger = _trigger(moto, queues, handler).start()
    try:
        _put(moto, *keys)
        trigger.wait_until_idle(timeout=20)
    finally:
        trigger.stop()

    assert sorted(handler.keys()) == sorted(keys)
    assert all(1 <= len(event["Records"]) <= 10 for event in handler.events)
    assert len(handler.events) < len(keys)  # batched, not one invocation per upload
    record = handler.events[0]["Records"][0]
    assert record.keys() == {
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
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queues.raw_uploads.arn
    assert record["awsRegion"] == REGION
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert json.loads(record["body"])["Records"][0]["s3"]["object"]["sequencer"]
    assert _queue_size(moto, queues.raw_uploads.url) == 0
    assert trigger.stats.handled == len(keys)


def test_raising_handler_gets_the_batch_again(moto: MotoServer, queues: Provisioned) -> None:
    handler = RecordingHandler(raise_first=1)
    trigger = _trigger(moto, queues, handler).start()
    try:
        _put(moto, "raw/ratings/1.csv")
        trigger.wait_until_idle(timeout=20)
    finally:
        trigger.stop()

    first, second = handler.events
    assert first["Records"][0]["messageId"] == second["Records"][0]["messageId"]
    assert second["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert first["Records"][0]["body"] == second["Records"][0]["body"]  # same sequencer
    assert (trigger.stats.failed, trigger.stats.handled) == (1, 1)


def test_reported_failures_go_to_the_dead_letter_queue_after_the_last_receive(
    moto: MotoServer, queues: Provisioned
) -> None:
    handler = RecordingHandler(fail={"bad.csv"})
    trigger = _trigger(moto, queues, handler).start()
    try:
        _put(moto, "raw/ratings/bad.csv", "raw/ratings/good.csv")
        trigger.wait_until_idle(timeout=20)
    finally:
        trigger.stop()

    assert handler.keys().count("raw/ratings/bad.csv") == 3  # MAX_RECEIVE_COUNT
    assert handler.keys().count("raw/ratings/good.csv") == 1
    sqs = boto3.client("sqs", endpoint_url=moto.endpoint, region_name=REGION)
    dlq_url = sqs.get_queue_url(QueueName="streamcat-raw-uploads-dlq")["QueueUrl"]
    (dead,) = receive_all(sqs, dlq_url)
    assert "bad.csv" in dead["Body"]


def test_wait_until_idle_times_out_while_a_batch_runs(
    moto: MotoServer, queues: Provisioned
) -> None:
    release = threading.Event()
    trigger = SqsTrigger(
        queues.raw_uploads.url,
        lambda event, context: release.wait(10),
        endpoint_url=moto.endpoint,
        region=REGION,
        settings=FAST,
    ).start()
    try:
        _put(moto, "raw/ratings/1.csv")
        with pytest.raises(TimeoutError, match="1 messages still pending"):
            trigger.wait_until_idle(timeout=1)
        release.set()
        trigger.wait_until_idle(timeout=10)
    finally:
        release.set()
        trigger.stop()


def test_handler_is_resolved_from_its_dotted_path() -> None:
    assert resolve_handler("operator.getitem")({"a": 1}, "a") == 1
    with pytest.raises(ValueError, match="has no function nothing"):
        resolve_handler("operator.nothing")
    with pytest.raises(ValueError, match=r"package\.module\.function"):
        resolve_handler("dumps")
