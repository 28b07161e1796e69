"""Faults injected at a chosen step of a load: a PostgreSQL server crash, a backend killed, S3
gone, an object's transfer broken off. Steps are chosen by wrapping one ETL function, so a fault
strikes at a precise point."""

import functools
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import psycopg2
import pytest
from botocore.config import Config

from local.ports import HOST, bound_port
from local.postgres import OwnServer, database_url, ensure_running, ensure_server, stop_server
from streamcat import db
from streamcat.settings import get_settings
from tests.support.http import serving

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_DEATH_TIMEOUT_S = 10.0


def after(
    patch: pytest.MonkeyPatch, owner: object, name: str, fault: Callable[..., None]
) -> list[int]:
    """Run `fault(*args)` right after `owner.name(*args)` returns, on its first call only;
    the returned list counts the faults injected."""
    original = getattr(owner, name)
    fired: list[int] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not fired:
            fired.append(1)
            fault(*args)
        return result

    patch.setattr(owner, name, wrapped)
    return fired


def before(
    patch: pytest.MonkeyPatch, owner: object, name: str, fault: Callable[..., None]
) -> list[int]:
    """Run `fault(*args)` right before the first call of `owner.name(*args)`."""
    original = getattr(owner, name)
    fired: list[int] = []

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not fired:
            fired.append(1)
            fault(*args)
        return original(*args, **kwargs)

    patch.setattr(owner, name, wrapped)
    return fired


def terminate_backend(admin_url: str, pid: int) -> None:
    """What an operator's pg_terminate_backend or a failover does to one session."""
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
    finally:
        connection.close()


@contextmanager
def own_postgres(root: Path) -> Iterator[tuple[OwnServer, str]]:
    """The project's own server in `root` on a free port, exported as DATABASE_URL; started
    again after a crash on that same port, where its clients connect."""
    server = OwnServer(root=root, port=ensure_running(OwnServer(root=root, port=0)))
    url = database_url(ensure_server(server))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        db.reset_shared_connection()
        try:
            yield server, url
        finally:
            db.reset_shared_connection()
            stop_server(server)
    get_settings.cache_clear()


def crash(server: OwnServer) -> None:
    """SIGKILL the postmaster and every backend at once, as a power loss would: nothing is
    flushed or rolled back cleanly, the next start runs crash recovery."""
    pid = int((server.data_dir / "postmaster.pid").read_text().splitlines()[0])
    victims = [pid, *_children(pid)]
    for victim in victims:
        os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + _DEATH_TIMEOUT_S
    while any(_alive(victim) for victim in victims):
        if time.monotonic() > deadline:
            raise TimeoutError(f"postgres processes {victims} outlived SIGKILL")
        time.sleep(0.02)


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """A killed child stays a zombie until its (dead) parent's reaper collects it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@functools.cache
def _refusing_socket() -> socket.socket:
    """A loopback port bound for the whole run and never listened on: a connection to it is
    refused at once, and no other process can serve on it meanwhile."""
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind((HOST, 0))
    return held


def dead_s3() -> "S3Client":
    """An S3 client whose endpoint nobody listens on: every call fails at once, no retries."""
    settings = get_settings()
    import boto3

    client: S3Client = boto3.client(
        "s3",
        region_name=settings.aws_region,
        endpoint_url=f"http://{HOST}:{bound_port(_refusing_socket())}",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    return client


@contextmanager
def breaking_off(endpoint_url: str, key: str) -> Iterator[str]:
    """A loopback proxy in front of `endpoint_url` (yielded: its URL) that passes every request
    on as sent, signature and all, but breaks off each GET of `key`: the status and headers go
    out whole, the connection closes halfway through the body, as a transfer cut by the
    network."""
    upstream = urlsplit(endpoint_url)
    handler = functools.partial(_BreakingProxy, upstream.netloc, f"/{quote(key)}")
    with serving(handler) as port:
        yield f"http://{HOST}:{port}"


class _BreakingProxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # answers S3 clients' `Expect: 100-continue`

    def __init__(self, upstream: str, broken_path: str, *args: Any) -> None:
        self.upstream, self.broken_path = upstream, broken_path
        super().__init__(*args)

    def do_GET(self) -> None:
        self._forward()

    def do_HEAD(self) -> None:
        self._forward()

    def do_PUT(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() != "expect"}
        connection = HTTPConnection(self.upstream, timeout=30)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            status, answered, content = answer.status, answer.getheaders(), answer.read()
        finally:
            connection.close()
        self.send_response(status)
        for name, value in answered:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command == "GET" and urlsplit(self.path).path.endswith(self.broken_path):
            self.wfile.write(content[: len(content) // 2])
            self.close_connection = True
        elif self.command != "HEAD":
            self.wfile.write(content)

    def log_message(self, *_: object) -> None:
        """Quiet: one line per request on stderr."""
