"""Ports are bound, not probed: moto and the stack's API serve on a socket bound before they
start (0: any free port, reported), a taken one failing at once with a clear error;
PostgreSQL, which must be told its port, starts again on another when its port was taken."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from local import postgres
from local.iam import BOOTSTRAP, client
from local.ports import bound_port, listening_socket, unused_port
from local.postgres import OwnServer, ensure_running, running_port, stop_server
from local.s3 import start_moto
from tests.support.local import REPO, stack_environment

STACK_EXIT_TIMEOUT_S = 120.0


def test_moto_on_port_0_serves_on_the_port_it_reports() -> None:
    server = start_moto()
    try:
        s3 = client("s3", server.endpoint, "us-east-1", BOOTSTRAP)
        s3.create_bucket(Bucket="reported")

        assert server.port != 0
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["reported"]
    finally:
        server.stop()


def test_a_taken_api_port_is_a_clear_error_before_anything_starts(
    own_server: OwnServer, stack_database_url: str, tmp_path: Path
) -> None:
    state = tmp_path / "stack.json"
    with listening_socket() as taken:
        port = bound_port(taken)
        done = subprocess.run(
            [
                *(sys.executable, "-m", "local.stack", "--no-upload"),
                *("--port", str(port), "--state", str(state)),
            ],
            cwd=REPO,
            env=stack_environment(stack_database_url, own_server.ca_cert_path),
            capture_output=True,
            text=True,
            timeout=STACK_EXIT_TIMEOUT_S,
            check=False,
        )

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"cannot serve the API on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert "PostgreSQL" not in done.stdout and "moto" not in done.stdout, "nothing started"
    assert not state.exists()


@pytest.fixture
def taken_port() -> Iterator[int]:
    with listening_socket() as taken:
        yield bound_port(taken)


def test_postgres_on_a_port_taken_meanwhile_starts_on_another(
    tmp_path: Path, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first port it is given is taken between its choice and the server's start."""
    candidates = iter([taken_port])
    monkeypatch.setattr(postgres, "unused_port", lambda: next(candidates, None) or unused_port())
    server = OwnServer(root=tmp_path / "postgres", port=0)
    try:
        port = ensure_running(server)

        assert port != taken_port
        assert running_port(server) == port
        psycopg2.connect(server.url(port), connect_timeout=5).close()
        assert "Address already in use" in server.log_path.read_text()
    finally:
        stop_server(server)
