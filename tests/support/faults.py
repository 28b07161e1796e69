"""Faults injected at a chosen step of a load: a PostgreSQL server crash, a backend killed, S3
gone. Steps are chosen by wrapping one ETL function, so a fault strikes at a precise point."""

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg2
import pytest
from botocore.config import Config

from local.ports import free_port
from local.postgres import OwnServer, database_url, ensure_server, stop_server
from streamcat import db
from streamcat.settings import get_settings

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
    """The project's own server in `root` on a free port, exported as DATABASE_URL."""
    server = OwnServer(root=root, port=free_port())
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


def dead_s3() -> "S3Client":
    """An S3 client whose endpoint nobody listens on: every call fails at once, no retries."""
    settings = get_settings()
    import boto3

    client: S3Client = boto3.client(
        "s3",
        region_name=settings.aws_region,
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    return client
