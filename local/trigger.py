"""Lambda's SQS event source mapping, locally: a background thread long-polls one queue,
batches up to 10 messages within a short batching window, invokes the handler in-process with
the event Lambda would build, deletes the messages it handled, and leaves failed ones for
redelivery. The queue's redrive policy moves a message to its `-dlq` after its last allowed
receive, as SQS does in the cloud. Batches run one at a time (Lambda may run several at once:
handlers must not rely on either).
"""

import importlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions

from local.lambda_context import LocalLambdaContext

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueOutputTypeDef, MessageTypeDef

Handler = Callable[[dict[str, Any], Any], Any]
BodyTransform = Callable[[str, str], str]
MAX_BATCH_SIZE = 10

log = logging.getLogger(__name__)


def resolve_handler(dotted_path: str) -> Handler:
    """`package.module.function` to the function, as Lambda resolves `Handler:`."""
    module_name, _, function_name = dotted_path.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {dotted_path!r} is not of the form package.module.function")
    handler = getattr(importlib.import_module(module_name), function_name, None)
    if not callable(handler):
        raise ValueError(f"handler {dotted_path!r}: {module_name} has no function {function_name}")
    return handler  # type: ignore[no-any-return]


@dataclass(frozen=True)
class TriggerSettings:
    """How the mapping behaves; the defaults suit the local stack, tests shorten them."""

    batch_size: int = MAX_BATCH_SIZE
    batching_window_s: float = 0.5
    poll_wait_s: int = 1
    retry_delay_s: int = 1


@dataclass
class TriggerStats:
    batches: int = 0
    handled: int = 0
    failed: int = 0


class SqsTrigger:
    """Invokes `handler` with the Lambda SQS events of `queue_url`, in a background thread."""

    def __init__(
        self,
        queue_url: str,
        handler: str | Handler,
        *,
        endpoint_url: str | None,
        region: str,
        body_transform: BodyTransform | None = None,
        settings: TriggerSettings | None = None,
    ) -> None:
        self.queue_url = queue_url
        self.handler_name = handler if isinstance(handler, str) else _callable_name(handler)
        self._handler = resolve_handler(handler) if isinstance(handler, str) else handler
        self._sqs: SQSClient = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
        self._region = region
        self._body_transform = body_transform
        self._settings = settings or TriggerSettings()
        if not 1 <= self._settings.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be 1 to {MAX_BATCH_SIZE}")
        attributes = self._sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["QueueArn", "RedrivePolicy"]
        )["Attributes"]
        self.queue_arn = attributes["QueueArn"]
        self.queue_name = self.queue_arn.rsplit(":", 1)[-1]
        redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
        self._max_receive_count: int | None = int(redrive["maxReceiveCount"]) if redrive else None
        self.stats = TriggerStats()
        self._busy = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{self.queue_name}")

    def start(self) -> "SqsTrigger":
        log.info("%s: polling for %s", self.queue_name, self.handler_name)
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the batch in hand; its messages are deleted or left as usual."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wait_until_idle(self, timeout: float) -> None:
        """Return once the queue holds no message (visible, in flight or delayed) and no batch
        is being handled; TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            pending = self._pending_messages()
            if pending == 0 and not self._busy.is_set():
                return
            if not self._thread.is_alive():
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
        log.info("%s: stopped (%s)", self.queue_name, self.stats)

    def _receive_batch(self) -> list["MessageTypeDef"]:
        """One long poll, then more receives until the batch is full or the window closes."""
        settings = self._settings
        batch = self._receive(settings.batch_size, settings.poll_wait_s)
        window_end = time.monotonic() + settings.batching_window_s
        while batch and len(batch) < settings.batch_size and time.monotonic() < window_end:
            more = self._receive(settings.batch_size - len(batch), 0)
            if not more:
                time.sleep(0.05)
            batch.extend(more)
        if batch:
            self._busy.set()
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
        ids = [message["MessageId"] for message in batch]
        self.stats.batches += 1
        context = LocalLambdaContext(function_name=self.handler_name, region=self._region)
        log.info("%s: invoking %s with %d messages", self.queue_name, self.handler_name, len(ids))
        started = time.perf_counter()
        try:
            try:
                result = self._handler(self.lambda_event(batch), context)
            except Exception:
                log.exception("%s: %s raised; messages left for redelivery", self.queue_name, ids)
                self._retry_later(batch)
                return
            failed_ids = _batch_item_failures(result)
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
            self._busy.clear()

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
        if not messages:
            return
        self._sqs.delete_message_batch(
            QueueUrl=self.queue_url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
        self.stats.handled += len(messages)

    def _retry_later(self, messages: list["MessageTypeDef"]) -> None:
        """Visible again after `retry_delay_s` rather than the queue's long visibility
        timeout; the redrive policy sends it to the dead-letter queue after its last receive."""
        if not messages:
            return
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
        self._sqs.change_message_visibility_batch(
            QueueUrl=self.queue_url,
            Entries=[
                {
                    "Id": str(i),
                    "ReceiptHandle": m["ReceiptHandle"],
                    "VisibilityTimeout": self._settings.retry_delay_s,
                }
                for i, m in enumerate(messages)
            ],
        )


def _callable_name(handler: Handler) -> str:
    name = getattr(handler, "__qualname__", None) or type(handler).__qualname__
    return f"{handler.__module__}.{name}"


def _batch_item_failures(result: Any) -> set[str]:
    """The message ids a handler reported as failed (`ReportBatchItemFailures`)."""
    if not isinstance(result, dict):
        return set()
    failures = result.get("batchItemFailures") or []
    return {str(item["itemIdentifier"]) for item in failures}


def _lambda_message_attribute(value: "MessageAttributeValueOutputTypeDef") -> dict[str, Any]:
    """SQS API attribute names (`StringValue`) to Lambda's (`stringValue`)."""
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": list(value.get("StringListValues", [])),
        "binaryListValues": list(value.get("BinaryListValues", [])),
        "dataType": value["DataType"],
    }
