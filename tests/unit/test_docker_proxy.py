"""local.docker_proxy: container creation rewritten onto the host's network, the rest piped.

The bodies are those SAM CLI's docker client sends for `sam local invoke`; the forwarding tests
put a recording stand-in for the daemon behind the proxy's socket."""

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.docker_proxy import (
    DockerProxyError,
    on_host_network,
    rewrite_head,
    serving,
    upstream_address,
)

SAM_CREATE: dict[str, Any] = {
    "Image": "samcli/lambda-python3.13:rapid-x86_64",
    "Cmd": ["app.handler"],
    "Entrypoint": ["/var/rapid/aws-lambda-rie", "--log-level", "error"],
    "Env": ["AWS_LAMBDA_FUNCTION_NAME=ActorFunction"],
    "ExposedPorts": {"8080/tcp": {}},
    "HostConfig": {
        "Binds": ["/work/.aws-sam/build/ActorFunction:/var/task:ro,delegated"],
        "PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "5873"}]},
        "ExtraHosts": ["host.docker.internal:host-gateway", "db.example:10.0.0.5"],
        "Memory": 536870912,
    },
}


def test_sams_container_runs_on_the_host_network_with_its_emulator_where_sam_calls_it() -> None:
    rewritten = on_host_network(SAM_CREATE, free_port=lambda: 40123)

    assert rewritten == {
        **SAM_CREATE,
        "Entrypoint": [
            "/var/rapid/aws-lambda-rie",
            *("--runtime-interface-emulator-address", "127.0.0.1:5873"),
            *("--runtime-api-address", "127.0.0.1:40123"),
            *("--log-level", "error"),
        ],
        "HostConfig": {
            "Binds": ["/work/.aws-sam/build/ActorFunction:/var/task:ro,delegated"],
            "NetworkMode": "host",
            "ExtraHosts": ["host.docker.internal:127.0.0.1", "db.example:10.0.0.5"],
            "Memory": 536870912,
        },
    }


def test_any_other_container_keeps_its_entrypoint_and_only_changes_network() -> None:
    config = {"Image": "busybox", "Entrypoint": ["sh"], "HostConfig": {"NetworkMode": "default"}}

    assert on_host_network(config, free_port=lambda: 1) == {
        "Image": "busybox",
        "Entrypoint": ["sh"],
        "HostConfig": {"NetworkMode": "host"},
    }


def test_each_request_but_an_upgrade_asks_for_its_own_connection() -> None:
    head = b"GET /v1.47/containers/abc/json HTTP/1.1\r\nHost: docker\r\nConnection: keep-alive"
    attach = b"POST /containers/abc/attach HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp"

    assert rewrite_head(head, None) == (
        b"GET /v1.47/containers/abc/json HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"
    )
    assert rewrite_head(attach, None) == attach + b"\r\n\r\n"
    assert rewrite_head(b"POST /x HTTP/1.1\r\nContent-Length: 2", 40) == (
        b"POST /x HTTP/1.1\r\nConnection: close\r\nContent-Length: 40\r\n\r\n"
    )


def test_the_daemon_is_reached_over_unix_or_plain_tcp_sockets() -> None:
    assert upstream_address("unix:///var/run/docker.sock") == (
        socket.AF_UNIX,
        "/var/run/docker.sock",
    )
    assert upstream_address("tcp://127.0.0.1:2375") == (socket.AF_INET, ("127.0.0.1", 2375))
    with pytest.raises(DockerProxyError, match="ssh://"):
        upstream_address("ssh://me@host")


class RecordingDaemon(socketserver.ThreadingUnixStreamServer):
    """Answers each connection's first request with a fixed response, keeping what it got."""

    daemon_threads = True

    def __init__(self, path: Path, response: bytes) -> None:
        self.received: list[bytes] = []
        self.response = response
        super().__init__(str(path), RecordingConnection)


class RecordingConnection(socketserver.BaseRequestHandler):
    server: RecordingDaemon

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.request.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if b"Length" in line), 0
        )
        while len(body) < length:
            body += self.request.recv(65536)
        self.server.received.append(head + b"\r\n\r\n" + body[:length])
        self.request.sendall(self.server.response)
        if b"Upgrade" in head:
            streamed = body[length:]
            while chunk := self.request.recv(65536):
                streamed += chunk
            self.request.sendall(streamed.upper())


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[RecordingDaemon]:
    server = RecordingDaemon(tmp_path / "daemon.sock", b"HTTP/1.1 201 Created\r\n\r\n{}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def exchange(path: Path, request: bytes, then: bytes = b"") -> bytes:
    with socket.socket(socket.AF_UNIX) as client:
        client.connect(str(path))
        client.sendall(request)
        client.sendall(then)
        client.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
        return answer


def test_a_create_reaches_the_daemon_rewritten_and_its_answer_comes_back(
    daemon: RecordingDaemon, tmp_path: Path
) -> None:
    body = json.dumps(SAM_CREATE).encode()
    request = (
        b"POST /v1.44/containers/create?name=x HTTP/1.1\r\nHost: docker\r\n"
        b"Content-Type: application/json\r\nConnection: keep-alive\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    proxy_path = tmp_path / "docker.sock"
    with serving(proxy_path, f"unix://{tmp_path}/daemon.sock"):
        answer = exchange(proxy_path, request)

    head, _, sent = daemon.received[0].partition(b"\r\n\r\n")
    assert answer == b"HTTP/1.1 201 Created\r\n\r\n{}"
    assert head.endswith(f"Connection: close\r\nContent-Length: {len(sent)}".encode())
    assert json.loads(sent)["HostConfig"]["NetworkMode"] == "host"
    assert not proxy_path.exists()


def test_an_upgraded_connection_is_piped_both_ways(daemon: RecordingDaemon, tmp_path: Path) -> None:
    daemon.response = b"HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n"
    attach = b"POST /containers/abc/attach HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
    proxy_path = tmp_path / "docker.sock"
    with serving(proxy_path, f"unix://{tmp_path}/daemon.sock"):
        answer = exchange(proxy_path, attach, then=b"stdin bytes")

    assert daemon.received == [attach]
    assert answer == daemon.response + b"STDIN BYTES"


def test_without_a_daemon_the_client_is_told_where_none_answers(tmp_path: Path) -> None:
    proxy_path = tmp_path / "docker.sock"
    with serving(proxy_path, f"unix://{tmp_path}/absent.sock"):
        answer = exchange(proxy_path, b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")

    assert answer.startswith(b"HTTP/1.1 502 Bad Gateway")
    assert f"no Docker daemon answers at unix://{tmp_path}/absent.sock".encode() in answer


def test_the_proxy_refuses_to_forward_to_itself(tmp_path: Path) -> None:
    with (
        pytest.raises(DockerProxyError, match="own socket"),
        serving(tmp_path / "docker.sock", f"unix://{tmp_path}/docker.sock"),
    ):
        pass
