"""Helpers for the local stack's tests: SQS reads, the template's resources in a moto server, and
the stack run as a user runs it (a process of its own)."""

import copy
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
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
STACK_START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class StackProcess:
    """A running `python -m local.stack` (or `make run`) and where it wrote its outputs."""

    process: "subprocess.Popen[bytes]"
    state: Path
    log: Path

    def cloud(self) -> LocalCloud:
        return LocalCloud.load(self.state)

    @property
    def api_url(self) -> str:
        """On the port the stack bound (it is started on port 0), as its state file says."""
        return self.cloud().outputs["ApiUrl"].rstrip("/")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


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


@contextmanager
def running_stack(
    arguments: list[str],
    environment: Mapping[str, str],
    scratch: Path,
    through_make: bool = False,
    timeout: float = STACK_START_TIMEOUT_S,
    repo: Path = REPO,
    state: Path | None = None,
) -> Iterator[StackProcess]:
    """Start the stack of `repo` (`python -m local.stack ARGUMENTS`, or `make run ARGUMENTS`)
    on any free port, its outputs in `state` (default: in `scratch`), wait until its API
    answers, and SIGTERM it at the end."""
    state, log = state or scratch / "stack.json", scratch / "stack.log"
    if through_make:
        command = ["make", "-s", "run", "PORT=0", f"STATE={state}"]
    else:
        command = [sys.executable, "-m", "local.stack", "--port", "0", "--state", str(state)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, *arguments],
            cwd=repo,
            env=dict(environment),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    running = StackProcess(process, state, log)
    try:
        _wait_until_serving(running, timeout)
        yield running
    finally:
        stop_stack(running)


def _wait_until_serving(stack: StackProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            raise AssertionError(
                f"the stack exited ({stack.process.returncode}):\n{stack.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{stack.api_url}/health", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers (503 before the first load)
        except (OSError, ValueError):  # no state file yet, a half-written one, or not serving
            time.sleep(0.5)
    raise AssertionError(f"the stack did not serve in {timeout:.0f} s:\n{stack.log_tail()}")


def stop_stack(stack: StackProcess, timeout: float = 60.0) -> int:
    """SIGTERM, as a service manager stops it; its exit code."""
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGTERM)
        try:
            stack.process.wait(timeout)
        except subprocess.TimeoutExpired:
            stack.process.kill()
            stack.process.wait()
    return stack.process.returncode


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
