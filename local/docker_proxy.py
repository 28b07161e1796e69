"""A Docker API socket through which `sam local invoke` on Linux reaches the local stack.

The stack listens on 127.0.0.1 only. On Linux, Docker puts SAM's container on its bridge,
where `host-gateway` is the bridge's address, not the host's loopback, and SAM CLI cannot put
a container on the host's network (`--docker-network host` only skips connecting it to a
network). On Linux `make run` serves this socket (`.local/docker.sock`); with
`DOCKER_HOST=unix://$PWD/.local/docker.sock` SAM talks to the user's daemon through it. Every
request and stream passes unchanged except container creation, rewritten so the container:

- runs on the host's network (so it publishes no ports);
- resolves `--add-host NAME:host-gateway` to 127.0.0.1, the host seen from that network;
- when it runs SAM's Lambda emulator: has the emulator listen on 127.0.0.1 at the port SAM
  published and calls, and the Runtime API on a free loopback port (on the host's network
  every container would otherwise take 8080 and 9001).

Each forwarded request but an upgrade (attach) asks the daemon to close the connection after
its response, so every request arrives on a connection of its own and is inspected.
"""

import json
import os
import re
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
CREATE = re.compile(r"POST (/v[0-9.]+)?/containers/create(\?\S*)? HTTP/1\.[01]")
EMULATOR_PORT = "8080/tcp"
EMULATOR = "aws-lambda-rie"
GATEWAY = ":host-gateway"
HEAD_END = b"\r\n\r\n"
HEAD_LIMIT = 64 * 1024
CHUNK = 64 * 1024


class DockerProxyError(RuntimeError):
    """The proxy cannot serve (the reason is the message)."""


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def on_host_network(
    config: dict[str, Any], free_port: Callable[[], int] = free_loopback_port
) -> dict[str, Any]:
    """A container-create body with the container on the host's network; the rest as sent."""
    host_config = dict(config.get("HostConfig") or {})
    bindings = host_config.pop("PortBindings", None) or {}
    host_config["NetworkMode"] = "host"
    if host_config.get("ExtraHosts"):
        host_config["ExtraHosts"] = [
            entry.removesuffix(GATEWAY) + ":127.0.0.1" if entry.endswith(GATEWAY) else entry
            for entry in host_config["ExtraHosts"]
        ]
    rewritten = {**config, "HostConfig": host_config}
    entrypoint = list(config.get("Entrypoint") or [])
    published = [b["HostPort"] for b in bindings.get(EMULATOR_PORT) or [] if b.get("HostPort")]
    if entrypoint and entrypoint[0].endswith(f"/{EMULATOR}") and published:
        entrypoint[1:1] = [
            *("--runtime-interface-emulator-address", f"127.0.0.1:{published[0]}"),
            *("--runtime-api-address", f"127.0.0.1:{free_port()}"),
        ]
        rewritten["Entrypoint"] = entrypoint
    return rewritten


def rewrite_head(head: bytes, content_length: int | None) -> bytes:
    """The request head with `Connection: close` (an upgrade's kept) and a new length if given."""
    request_line, *fields = head.decode("latin-1").split("\r\n")
    named = [(f.partition(":")[0].strip().lower(), f) for f in fields]
    upgrade = any(name == "upgrade" for name, _ in named)
    replaced = {"content-length"} if content_length is not None else set()
    if not upgrade:
        replaced.add("connection")
    kept = [field for name, field in named if name not in replaced]
    if not upgrade:
        kept.append("Connection: close")
    if content_length is not None:
        kept.append(f"Content-Length: {content_length}")
    return "\r\n".join([request_line, *kept]).encode("latin-1") + HEAD_END


def upstream_address(docker_host: str) -> tuple[int, str | tuple[str, int]]:
    """The socket family and address of DOCKER_HOST (unix:// or plain tcp://)."""
    scheme, _, rest = docker_host.partition("://")
    if scheme == "unix" and rest:
        return socket.AF_UNIX, rest
    if scheme == "tcp" and rest:
        host, _, port = rest.rstrip("/").rpartition(":")
        return socket.AF_INET, (host, int(port))
    raise DockerProxyError(f"DOCKER_HOST={docker_host}: the proxy forwards to unix:// or tcp://")


def _relay(source: socket.socket, target: socket.socket) -> None:
    with suppress(OSError):
        while chunk := source.recv(CHUNK):
            target.sendall(chunk)
    with suppress(OSError):
        target.shutdown(socket.SHUT_WR)


def _read_head(client: socket.socket) -> tuple[bytes, bytes] | None:
    """The request's head (without its blank line) and whatever of the body came with it."""
    received = b""
    while HEAD_END not in received:
        chunk = client.recv(CHUNK)
        if not chunk or len(received) > HEAD_LIMIT:
            return None
        received += chunk
    head, _, rest = received.partition(HEAD_END)
    return head, rest


def _read_body(client: socket.socket, head: bytes, received: bytes) -> bytes | None:
    lengths = [
        line.partition(b":")[2].strip()
        for line in head.split(b"\r\n")[1:]
        if line.partition(b":")[0].strip().lower() == b"content-length"
    ]
    if not lengths:
        return None
    body = received
    while len(body) < int(lengths[0]):
        chunk = client.recv(CHUNK)
        if not chunk:
            return None
        body += chunk
    return body


def _answer(client: socket.socket, status: str, message: str) -> None:
    body = json.dumps({"message": message}).encode()
    client.sendall(
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )


class _Connection(socketserver.BaseRequestHandler):
    server: "DockerProxy"

    def handle(self) -> None:
        client: socket.socket = self.request
        request = _read_head(client)
        if request is None:
            return
        head, rest = request
        length = None
        if CREATE.fullmatch(head.split(b"\r\n", 1)[0].decode("latin-1")):
            body = _read_body(client, head, rest)
            if body is None:
                _answer(client, "411 Length Required", "container create needs a Content-Length")
                return
            rest = json.dumps(on_host_network(json.loads(body))).encode()
            length = len(rest)
        family, address = upstream_address(self.server.upstream)
        with socket.socket(family, socket.SOCK_STREAM) as daemon:
            try:
                daemon.connect(address)
            except OSError as error:
                message = f"no Docker daemon answers at {self.server.upstream}: {error}"
                _answer(client, "502 Bad Gateway", message)
                return
            daemon.sendall(rewrite_head(head, length) + rest)
            upward = threading.Thread(target=_relay, args=(client, daemon), daemon=True)
            upward.start()
            _relay(daemon, client)
            with suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            upward.join()


class DockerProxy(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, upstream: str) -> None:
        upstream_address(upstream)
        if upstream == f"unix://{path}":
            raise DockerProxyError(f"DOCKER_HOST names the proxy's own socket ({upstream})")
        self.upstream = upstream
        path.unlink(missing_ok=True)
        super().__init__(str(path), _Connection)
        path.chmod(0o600)


def user_docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


@contextmanager
def serving(path: Path, upstream: str) -> Iterator[DockerProxy]:
    """The proxy at `path` (only its owner may connect) until the block ends; then it is gone."""
    proxy = DockerProxy(path, upstream)
    thread = threading.Thread(target=proxy.serve_forever, name="docker-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join()
        path.unlink(missing_ok=True)
