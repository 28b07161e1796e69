"""Helpers for the local stack's tests: free loopback ports and SQS reads."""

import socket
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

from local.s3 import FAKE_CREDENTIALS, MotoServer, start_moto

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


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


@contextmanager
def running_moto() -> Iterator[MotoServer]:
    """A moto server started as the stack starts it, with fake credentials exported."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        server = start_moto(free_port())
        try:
            yield server
        finally:
            server.stop()


def reset_moto(endpoint: str) -> None:
    """Forget every bucket, object and queue."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
