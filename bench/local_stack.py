"""The local stack (`python -m local.stack`) as the load and scale benches run it: on loopback
ports it binds itself, its log kept for what the scale bench reads from it."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.harness import REPO, read_json


def database_env() -> dict[str, str]:
    """DATABASE_URL for the benches: the configured one, or the project's own server (with
    its CA, so the stack's functions connect as in the cloud: Secrets Manager, TLS)."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        from local.postgres import database_url, default_server, ensure_server

        server = default_server()
        env["DATABASE_URL"] = database_url(ensure_server(server))
        env["DB_SSL_ROOT_CERT"] = str(server.ca_cert_path)
    return env


@dataclass
class Stack:
    process: "subprocess.Popen[bytes]"
    state: Path
    log: Path

    @property
    def base_url(self) -> str:
        return str(read_json(self.state)["outputs"]["ApiUrl"]).rstrip("/")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(
                f"the local stack exited ({self.process.returncode}):\n{self.log_text()[-3000:]}"
            )

    def health(self) -> int | None:
        """/health's status once the state file names the API's port; None before."""
        try:
            return httpx.get(f"{self.base_url}/health", timeout=2).status_code
        except (OSError, ValueError, KeyError, httpx.TransportError):
            return None


@contextmanager
def local_stack(
    env: Mapping[str, str],
    args: list[str],
    scratch: Path,
    ready_status: int | None,
    timeout_s: float,
) -> Iterator[Stack]:
    """The stack started with `args`, yielded once /health answers `ready_status` (any status
    when None: an empty stack answers 503 until its first load), stopped afterwards."""
    state, log = scratch / "stack.json", scratch / "stack.log"
    command = [sys.executable, "-m", "local.stack", *args, "--port", "0", "--state", str(state)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**env, "STREAMCAT_S3_PORT": "0"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    stack = Stack(process, state, log)
    try:
        deadline = time.monotonic() + timeout_s
        while (status := stack.health()) is None or ready_status not in (None, status):
            stack.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"the local stack did not serve in {timeout_s:.0f} s")
            time.sleep(0.5)
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
