"""Local S3, SQS, Secrets Manager and IAM: a moto server on loopback (`local.cloud` provisions
it from the template), and the correction of moto's S3 events into the exact shape S3 sends.

moto runs as a subprocess (`python -m local.moto_server`), not as `ThreadedMotoServer`: in
process it would share the stack's GIL (every upload of 300 MB of ratings is parsed in Python)
and its memory. A subprocess uses the second core and keeps both separate.
"""

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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_plus, urlsplit

import botocore.exceptions

from local.ports import HOST, bound_port, listening_socket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

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
    """A `moto.server` subprocess serving S3 and SQS on 127.0.0.1: on `port`, or any free one
    when 0 (`port` and `endpoint` name the one bound once started)."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Bind the port here and hand the socket to moto, then wait until it answers; a taken
        port is a clear error, not a hang."""
        with _listening_socket(self.port) as listener:
            self.port = bound_port(listener)
            self._process = subprocess.Popen(
                [sys.executable, "-m", "local.moto_server", str(listener.fileno())],
                # SAM attaches AWS managed policies to the roles: moto must know them.
                env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,
                pass_fds=(listener.fileno(),),
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode() if self._process.stderr else ""
                raise LocalS3Error(
                    f"moto server on {HOST}:{self.port} exited ({self._process.returncode}): "
                    f"{error.strip()[-500:]}"
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
        """moto's own API answers (its config: its data.json grows to megabytes): the port
        is moto's, not another service's."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=1)
        try:
            connection.request("GET", "/moto-api/config")
            return 200 <= connection.getresponse().status < 300
        except OSError:
            return False
        finally:
            connection.close()


def _listening_socket(port: int) -> socket.socket:
    try:
        return listening_socket(port)
    except OSError as error:
        raise LocalS3Error(
            f"cannot start moto on {HOST}:{port}: {error.strerror} (another local stack "
            "running? set STREAMCAT_S3_PORT to another port, or 0 for any free one)"
        ) from error


def start_moto(port: int = 0) -> MotoServer:
    server = MotoServer(port)
    server.start()
    return server


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


VersionLookup = Callable[[str, str, str], str | None]


def version_lookup(client: "S3Client") -> VersionLookup:
    """The newest version of a key with the given ETag (what the event announced), if the
    bucket keeps versions."""

    def version_of(bucket: str, key: str, etag: str) -> str | None:
        """The current version when it is the announced one (one HeadObject); else a listing of
        the key's versions, which moto answers by walking the whole bucket (slow, and a 500
        when uploads change the bucket meanwhile)."""
        try:
            head = client.head_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError:
            head = None
        if head is not None and head["ETag"].strip('"') == etag:
            current = head.get("VersionId")
            return current if current and current != "null" else None
        listing = client.list_object_versions(Bucket=bucket, Prefix=key)
        for version in listing.get("Versions", []):
            if version["Key"] == key and version["ETag"].strip('"') == etag:
                found = version.get("VersionId")
                return found if found and found != "null" else None
        return None

    return version_of


class GenuineS3Events:
    """Rewrites the S3 events moto sends to SQS into the shape S3 itself sends.

    moto 5 deviates from S3 in the message body: the key is encoded with `quote_plus` without
    keeping `/` (`raw%2Ftitles%2Fa+b.csv`, where S3 sends `raw/titles/a+b.csv`); the records lack
    `sequencer`, `userIdentity`, `requestParameters`, `responseElements` and the bucket's
    `ownerIdentity`; its `s3:TestEvent` lacks `RequestId` and `HostId`. The sequencer is assigned
    when a message is first seen, increasing in arrival order (moto's queues deliver in send
    order, which is put order). A redelivered message gets the very body of its first delivery,
    as in AWS. Bodies that are not moto S3 events pass unchanged.

    moto also leaves out `versionId`, which S3 sends for a versioned bucket and with which the
    ETL reads the object (needing s3:GetObjectVersion, as in AWS): `version_of(bucket, key,
    etag)` finds it, when given."""

    def __init__(self, version_of: VersionLookup | None = None) -> None:
        self._version_of = version_of
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
        genuine = [_genuine_record(r, sequencer) for r in records]
        if self._version_of is not None:
            for record in genuine:
                _add_version(record["s3"], self._version_of)
        return json.dumps({"Records": genuine})


def _add_version(s3: dict[str, Any], version_of: VersionLookup) -> None:
    obj = s3["object"]
    version = version_of(s3["bucket"]["name"], unquote_plus(obj["key"]), obj["eTag"])
    if version is not None and "versionId" not in obj:
        obj["versionId"] = version


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
