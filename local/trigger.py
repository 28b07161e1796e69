"""Lambda's SQS event source mapping, locally, as template.yaml declares it.

Poller threads (as many as the mapping's maximum concurrency) long-poll the queue with the
function's own role, gather a batch up to the mapping's batch size within its batching window,
invoke the function with the event Lambda would build, delete what it handled, and leave
failures for redelivery. With `ReportBatchItemFailures` only the messages the function names
are retried; without it a batch succeeds or fails whole, as in AWS. The queue's redrive policy
moves a message to its dead-letter queue after its last allowed receive.
"""

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from local.functions import Invoke
from local.template import LocalStack, resources_of_type

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

BodyTransform = Callable[[str, str], str]
SQS_RECEIVE_LIMIT = 10
# AWS's defaults for an SQS mapping that does not say.
DEFAULT_BATCH_SIZE = 10
DEFAULT_MAXIMUM_CONCURRENCY = 5

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TriggerSettings:
    """How the mapping behaves: the first four from the template; the last two are local
    shortcuts (a failed message is visible again after `retry_delay_s` instead of the queue's
    visibility timeout, so retries and dead-lettering take seconds, not hours)."""

    batch_size: int = DEFAULT_BATCH_SIZE
    batching_window_s: float = 0.0
    maximum_concurrency: int = DEFAULT_MAXIMUM_CONCURRENCY
    report_batch_item_failures: bool = False
    poll_wait_s: int = 1
    retry_delay_s: int = 1


@dataclass(frozen=True)
class EventSourceMapping:
    """One mapping of the template: which function reads which queue, and how."""

    function: str
    queue: str
    settings: TriggerSettings


def event_source_mappings(stack: LocalStack) -> list[EventSourceMapping]:
    """Every AWS::Lambda::EventSourceMapping of the template that reads an SQS queue."""
    mappings = []
    for properties in resources_of_type(stack.template, "AWS::Lambda::EventSourceMapping").values():
        source = properties["EventSourceArn"].get("Fn::GetAtt") or [None]
        function = properties["FunctionName"].get("Ref")
        scaling = properties.get("ScalingConfig") or {}
        mappings.append(
            EventSourceMapping(
                function=function,
                queue=source[0],
                settings=TriggerSettings(
                    batch_size=int(properties.get("BatchSize", DEFAULT_BATCH_SIZE)),
                    batching_window_s=float(properties.get("MaximumBatchingWindowInSeconds", 0)),
                    maximum_concurrency=int(
                        stack.resolve(
                            scaling.get("MaximumConcurrency", DEFAULT_MAXIMUM_CONCURRENCY)
                        )
                    ),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (properties.get("FunctionResponseTypes") or []),
                ),
            )
        )
    return mappings


@dataclass
class TriggerStats:
    batches: int = 0
    handled: int = 0
    failed: int = 0


class SqsTrigger:
    """Invokes a function with the Lambda SQS events of `queue_url`, in background threads."""

    def __init__(
        self,
        queue_url: str,
        invoke: Invoke,
        *,
        sqs: "SQSClient",
        region: str,
        name: str,
        body_transform: BodyTransform | None = None,
        settings: TriggerSettings | None = None,
    ) -> None:
        self.queue_url = queue_url
        self.name = name
        self._invoke = invoke
        self._sqs = sqs
        self._region = region
        self._body_transform = body_transform
        self._settings = settings or TriggerSettings()
        if self._settings.batch_size < 1 or self._settings.maximum_concurrency < 1:
            raise ValueError("batch size and maximum concurrency must be at least 1")
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn", "RedrivePolicy"]
        )["Attributes"]
        self.queue_arn = attributes["QueueArn"]
        self.queue_name = self.queue_arn.rsplit(":", 1)[-1]
        redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
        self._max_receive_count: int | None = int(redrive["maxReceiveCount"]) if redrive else None
        self.stats = TriggerStats()
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, name=f"sqs-{self.queue_name}-{n}")
            for n in range(self._settings.maximum_concurrency)
        ]

    def start(self) -> "SqsTrigger":
        log.info("%s: %d pollers for %s", self.queue_name, len(self._threads), self.name)
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the batches in hand; their messages are deleted or left as usual."""
        self._stopping.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def wait_until_idle(self, timeout: float) -> None:
        """Return once the queue holds no message (visible, in flight or delayed) and no batch
        is being handled; TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            pending = self._pending_messages()
            with self._lock:
                busy = self._in_flight > 0
            if pending == 0 and not busy:
                return
            if not any(thread.is_alive() for thread in self._threads):
                raise RuntimeError(f"{self.queue_name}: poller is not running ({pending} pending)")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.queue_name}: {pending} messages still pending after {timeout:.0f} s"
                )
            time.sleep(0.1)

    def _pending_messages(self) -> int:
        counts = self._sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(value) for value in counts.values())

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                batch = self._receive_batch()
                if batch:
                    self._handle(batch)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
                log.warning("%s: SQS call failed (%s); retrying in 1 s", self.queue_name, error)
                self._stopping.wait(1)

    def _receive_batch(self) -> list["MessageTypeDef"]:
        """One long poll, then more receives until the batch is full or the window closes."""
        settings = self._settings
        batch = self._receive(min(settings.batch_size, SQS_RECEIVE_LIMIT), settings.poll_wait_s)
        window_end = time.monotonic() + settings.batching_window_s
        while batch and len(batch) < settings.batch_size and time.monotonic() < window_end:
            wanted = min(settings.batch_size - len(batch), SQS_RECEIVE_LIMIT)
            more = self._receive(wanted, 0)
            if not more:
                time.sleep(0.05)
            batch.extend(more)
        if batch:
            with self._lock:
                self._in_flight += 1
        return batch

    def _receive(self, count: int, wait_s: int) -> list["MessageTypeDef"]:
        response = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_s,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def _handle(self, batch: list["MessageTypeDef"]) -> None:
        ids = {message["MessageId"] for message in batch}
        with self._lock:
            self.stats.batches += 1
        log.info("%s: invoking %s with %d messages", self.queue_name, self.name, len(ids))
        started = time.perf_counter()
        try:
            try:
                result = self._invoke(self.lambda_event(batch))
            except Exception:
                log.exception(
                    "%s: %s failed; messages left for redelivery", self.queue_name, self.name
                )
                self._retry_later(batch)
                return
            failed_ids = self._failed_ids(result, ids)
            self._delete([m for m in batch if m["MessageId"] not in failed_ids])
            self._retry_later([m for m in batch if m["MessageId"] in failed_ids])
            log.info(
                "%s: handled %d, failed %d in %.2f s",
                self.queue_name,
                len(ids) - len(failed_ids),
                len(failed_ids),
                time.perf_counter() - started,
            )
        finally:
            with self._lock:
                self._in_flight -= 1

    def _failed_ids(self, result: Any, batch_ids: set[str]) -> set[str]:
        """The messages a successful invocation failed. Lambda reads `batchItemFailures` only
        with ReportBatchItemFailures, and fails the whole batch when it names a message that
        is not in the batch."""
        if not self._settings.report_batch_item_failures or not isinstance(result, Mapping):
            return set()
        failures = result.get("batchItemFailures") or []
        named = {str(item.get("itemIdentifier")) for item in failures if isinstance(item, Mapping)}
        return named if named <= batch_ids and len(named) == len(failures) else batch_ids

    def lambda_event(self, batch: list["MessageTypeDef"]) -> dict[str, Any]:
        """The event Lambda builds from received SQS messages."""
        return {"Records": [self._lambda_record(message) for message in batch]}

    def _lambda_record(self, message: "MessageTypeDef") -> dict[str, Any]:
        body = message["Body"]
        if self._body_transform is not None:
            body = self._body_transform(message["MessageId"], body)
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: _lambda_message_attribute(value)
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self._region,
        }

    def _delete(self, messages: list["MessageTypeDef"]) -> None:
        for chunk in _chunks(messages):
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
                ],
            )
        with self._lock:
            self.stats.handled += len(messages)

    def _retry_later(self, messages: list["MessageTypeDef"]) -> None:
        """Visible again after `retry_delay_s` rather than the queue's long visibility
        timeout; the redrive policy sends it to the dead-letter queue after its last receive."""
        if not messages:
            return
        with self._lock:
            self.stats.failed += len(messages)
        for message in messages:
            receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            if self._max_receive_count is not None and receives >= self._max_receive_count:
                log.error(
                    "%s: message %s failed on receive %d of %d: it goes to the dead-letter queue",
                    self.queue_name,
                    message["MessageId"],
                    receives,
                    self._max_receive_count,
                )
        for chunk in _chunks(messages):
            self._sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": m["ReceiptHandle"],
                        "VisibilityTimeout": self._settings.retry_delay_s,
                    }
                    for i, m in enumerate(chunk)
                ],
            )


def _chunks(messages: list["MessageTypeDef"]) -> list[list["MessageTypeDef"]]:
    """SQS's batch calls take at most ten entries."""
    return [messages[i : i + SQS_RECEIVE_LIMIT] for i in range(0, len(messages), SQS_RECEIVE_LIMIT)]


def _lambda_message_attribute(value: "MessageAttributeValueOutputTypeDef") -> dict[str, Any]:
    """SQS API attribute names (`StringValue`) to Lambda's (`stringValue`)."""
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": list(value.get("BinaryListValues", [])),
        "dataType": value["DataType"],
    }
