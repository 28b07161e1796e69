"""The SQS pollers standing in for the template's event source mappings, against the queues
the template declares in moto (IAM enforced: they poll with the function's own role). What a
test counts is what the mapping's settings guarantee, never what a window happened to gather."""

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import unquote_plus

import pytest

from local.cloud import LocalCloud
from local.functions import Invoke
from local.iam import client
from local.s3 import GenuineS3Events, version_lookup
from local.template import load_template
from local.trigger import (
    EventSourceMapping,
    SqsTrigger,
    TriggerSettings,
    event_source_mappings,
)
from tests.support.local import LAMBDA_SQS_RECORD_FIELDS, provisioned_cloud, receive_all

REGION = "us-east-1"
WAIT_S = 60.0
"""How long a delivery may take before the test fails: above the template's 20 s window."""


class RecordingFunction:
    """Records every event; fails the messages whose body mentions a key in `fail`."""

    def __init__(self, fail: set[str] | None = None, raise_first: int = 0) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail = fail or set()
        self.raise_first = raise_first
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.events.append(event)
            if self.raise_first:
                self.raise_first -= 1
                raise RuntimeError("transient failure")
        failed = [r for r in event["Records"] if any(key in r["body"] for key in self.fail)]
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in failed]}

    def keys(self) -> list[str]:
        return [unquote_plus(s3["s3"]["object"]["key"]) for s3 in self.s3_records()]

    def s3_records(self) -> list[dict[str, Any]]:
        return [
            s3_record
            for event in self.events
            for record in event["Records"]
            for s3_record in json.loads(record["body"]).get("Records", [])
        ]


class HeldFunction:
    """Holds every invocation until `release` is set, counting how many are held at once."""

    def __init__(self) -> None:
        self.held, self.most = 0, 0
        self.changed = threading.Condition()
        self.release = threading.Event()

    def __call__(self, event: dict[str, Any]) -> None:
        with self.changed:
            self.held += 1
            self.most = max(self.most, self.held)
            self.changed.notify_all()
        self.release.wait(WAIT_S)
        with self.changed:
            self.held -= 1

    def await_held(self, count: int) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.held == count, WAIT_S)


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with provisioned_cloud() as provisioned:
        yield provisioned


@pytest.fixture
def etl_mapping(cloud: LocalCloud) -> EventSourceMapping:
    """The ETL's mapping as declared, with an empty queue (S3's test event drained)."""
    sqs = client("sqs", cloud.endpoint_url, REGION, cloud.deployer)
    for queue in ("RawUploadsQueue", "RawUploadsDeadLetterQueue"):
        url = cloud.resources[queue]["Ref"]
        for message in receive_all(sqs, url):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return next(
        m
        for m in event_source_mappings(cloud.stack(load_template()))
        if m.function == "EtlFunction"
    )


def _trigger(cloud: LocalCloud, function: Invoke, settings: TriggerSettings) -> SqsTrigger:
    """Polling as the ETL's role, with the bucket's versions looked up as S3 sends them; a
    failed message is visible again at once."""
    deployer_s3 = client("s3", cloud.endpoint_url, REGION, cloud.deployer)
    return SqsTrigger(
        cloud.resources["RawUploadsQueue"]["Ref"],
        function,
        sqs=client("sqs", cloud.endpoint_url, REGION, cloud.functions["EtlFunction"]),
        region=REGION,
        name="EtlFunction",
        body_transform=GenuineS3Events(version_lookup(deployer_s3)),
        settings=replace(settings, retry_delay_s=0),
    )


def _unbatched(mapping: EventSourceMapping) -> TriggerSettings:
    """The mapping without its batching window, for tests that count no batch: a batch short of
    the batch size would otherwise wait out the template's 20 s."""
    return replace(mapping.settings, batching_window_s=0)


def _deliver(
    cloud: LocalCloud, function: Invoke, settings: TriggerSettings, *keys: str
) -> SqsTrigger:
    """Upload `keys` and let the trigger run until the queue is empty."""
    trigger = _trigger(cloud, function, settings).start()
    try:
        _put(cloud, *keys)
        trigger.wait_until_idle(timeout=WAIT_S)
    finally:
        trigger.stop()
    return trigger


def _drain(
    cloud: LocalCloud, function: Invoke, settings: TriggerSettings, *keys: str
) -> SqsTrigger:
    """Upload `keys` first, then let the trigger take them until the queue is empty: every
    message is waiting when the first poll comes."""
    _put(cloud, *keys)
    trigger = _trigger(cloud, function, settings).start()
    try:
        trigger.wait_until_idle(timeout=WAIT_S)
    finally:
        trigger.stop()
    return trigger


def _visible_messages(cloud: LocalCloud) -> int:
    sqs = client("sqs", cloud.endpoint_url, REGION, cloud.deployer)
    attributes = sqs.get_queue_attributes(
        QueueUrl=cloud.resources["RawUploadsQueue"]["Ref"],
        AttributeNames=["ApproximateNumberOfMessages"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def _put(cloud: LocalCloud, *keys: str) -> None:
    s3 = client("s3", cloud.endpoint_url, REGION, cloud.deployer)
    for key in keys:
        s3.put_object(Bucket=cloud.outputs["DataBucketName"], Key=key, Body=b"x")


def test_the_mappings_are_read_from_the_template(cloud: LocalCloud) -> None:
    template = load_template()
    declared = template["Resources"]["EtlEventSource"]["Properties"]

    (etl,) = [
        m for m in event_source_mappings(cloud.stack(template)) if m.function == "EtlFunction"
    ]

    assert etl.queue == "RawUploadsQueue"
    assert etl.settings.batch_size == declared["BatchSize"]
    assert etl.settings.batching_window_s == declared["MaximumBatchingWindowInSeconds"]
    assert declared["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "EtlMaximumConcurrency"}
    assert (
        etl.settings.maximum_concurrency
        == template["Parameters"]["EtlMaximumConcurrency"]["Default"]
    )
    assert etl.settings.report_batch_item_failures


def test_uploads_reach_the_function_in_lambda_sqs_batches(
    cloud: LocalCloud, etl_mapping: EventSourceMapping
) -> None:
    function = RecordingFunction()
    keys = [f"raw/ratings/{n}.csv" for n in range(1, 12)] + ["raw/titles/a b+c.csv"]
    trigger = _deliver(cloud, function, _unbatched(etl_mapping), *keys)

    assert sorted(function.keys()) == sorted(keys)
    record = function.events[0]["Records"][0]
    assert record.keys() == LAMBDA_SQS_RECORD_FIELDS
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == cloud.resources["RawUploadsQueue"]["Arn"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    s3_object = function.s3_records()[0]["s3"]["object"]
    assert s3_object["sequencer"] and s3_object["versionId"]  # as S3 sends for a versioned bucket
    assert trigger.stats.handled == len(keys)


def test_batches_grow_past_ten_messages_up_to_the_batch_size(
    cloud: LocalCloud, etl_mapping: EventSourceMapping
) -> None:
    """A batch size above SQS's ten per receive, within the template's window: with as many
    messages waiting as the batch holds and one poller, the batch closes full, one invocation."""
    function = RecordingFunction()
    settings = replace(etl_mapping.settings, maximum_concurrency=1, batch_size=25)

    _drain(cloud, function, settings, *(f"raw/ratings/{n}.csv" for n in range(25)))

    assert [len(event["Records"]) for event in function.events] == [25]


def test_the_template_shares_many_files_among_invocations(
    cloud: LocalCloud, etl_mapping: EventSourceMapping
) -> None:
    """The ETL's fan-out, with the template's settings as they are: three batch sizes of
    uploads reach the function once each, in batches of at most the batch size, so in at least
    three invocations."""
    function = RecordingFunction()
    keys = [f"raw/ratings/{n}.csv" for n in range(3 * etl_mapping.settings.batch_size)]

    _drain(cloud, function, etl_mapping.settings, *keys)

    assert sorted(function.keys()) == sorted(keys)
    sizes = [len(event["Records"]) for event in function.events]
    assert max(sizes) <= etl_mapping.settings.batch_size == 10


def test_a_raising_function_gets_the_batch_again(
    cloud: LocalCloud, etl_mapping: EventSourceMapping
) -> None:
    function = RecordingFunction(raise_first=1)
    trigger = _deliver(cloud, function, _unbatched(etl_mapping), "raw/ratings/1.csv")

    first, second = function.events
    assert first["Records"][0]["messageId"] == second["Records"][0]["messageId"]
    assert second["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    assert first["Records"][0]["body"] == second["Records"][0]["body"]  # same sequencer
    assert (trigger.stats.failed, trigger.stats.handled) == (1, 1)


def test_reported_failures_alone_are_retried_then_dead_lettered(
    cloud: LocalCloud, etl_mapping: EventSourceMapping
) -> None:
    function = RecordingFunction(fail={"bad.csv"})
    _deliver(
        cloud, function, _unbatched(etl_mapping), "raw/ratings/bad.csv", "raw/ratings/good.csv"
    )

    redrive = load_template()["Resources"]["RawUploadsQueue"]["Properties"]["RedrivePolicy"]
    assert function.keys().count("raw/ratings/bad.csv") == redrive["maxReceiveCount"]
    assert function.keys().count("raw/ratings/good.csv") == 1
    sqs = client("sqs", cloud.endpoint_url, REGION, cloud.deployer)
    (dead,) = receive_all(sqs, cloud.resources["RawUploadsDeadLetterQueue"]["Ref"])
    assert "bad.csv" in dead["Body"]


def test_without_report_batch_item_failures_a_returned_list_is_ignored(
    cloud: LocalCloud, etl_mapping: EventSourceMapping
) -> None:
    """As in AWS: the mapping must opt in, or a successful invocation deletes the batch."""
    function = RecordingFunction(fail={"bad.csv"})
    settings = replace(_unbatched(etl_mapping), report_batch_item_failures=False)
    trigger = _deliver(cloud, function, settings, "raw/ratings/bad.csv")

    assert function.keys() == ["raw/ratings/bad.csv"]
    assert (trigger.stats.failed, trigger.stats.handled) == (0, 1)


def test_a_failure_naming_no_message_of_the_batch_fails_it_whole(
    cloud: LocalCloud, etl_mapping: EventSourceMapping
) -> None:
    calls: list[int] = []

    def function(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(len(event["Records"]))
        if len(calls) == 1:
            return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}
        return {"batchItemFailures": []}

    _deliver(cloud, function, _unbatched(etl_mapping), "raw/ratings/1.csv")

    assert calls == [1, 1]


def test_batches_run_concurrently_up_to_the_maximum(
    cloud: LocalCloud, etl_mapping: EventSourceMapping
) -> None:
    """Every invocation is held until the test releases it: as many batches as the template's
    maximum concurrency run at once, and the other messages wait in the queue meanwhile."""
    maximum = etl_mapping.settings.maximum_concurrency
    function = HeldFunction()
    keys = [f"raw/ratings/{n}.csv" for n in range(2 * maximum)]
    _put(cloud, *keys)
    trigger = _trigger(cloud, function, replace(_unbatched(etl_mapping), batch_size=1)).start()
    try:
        assert function.await_held(maximum), "fewer batches than the maximum ran at once"
        waiting = _visible_messages(cloud)
        function.release.set()
        trigger.wait_until_idle(timeout=WAIT_S)
    finally:
        function.release.set()
        trigger.stop()

    assert waiting == len(keys) - maximum, "a poller beyond the maximum took a message"
    assert function.most == maximum == 2


def test_wait_until_idle_times_out_while_a_batch_runs(
    cloud: LocalCloud, etl_mapping: EventSourceMapping
) -> None:
    """The function holds its batch until the test releases it: waiting for idle meanwhile
    times out whatever the timeout, here none at all."""
    function = HeldFunction()
    trigger = _trigger(cloud, function, _unbatched(etl_mapping)).start()
    try:
        _put(cloud, "raw/ratings/1.csv")
        assert function.await_held(1), "the message never reached the function"
        with pytest.raises(TimeoutError, match="1 messages still pending"):
            trigger.wait_until_idle(timeout=0)
        function.release.set()
        trigger.wait_until_idle(timeout=WAIT_S)
    finally:
        function.release.set()
        trigger.stop()
