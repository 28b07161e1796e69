"""The project's own PostgreSQL server, used by the local stack and tests when `DATABASE_URL`
names no server.

Only the binaries of the `pgserver` wheel are used (or `initdb`/`pg_ctl` from PATH or
`pg_config --bindir`): its Python API creates system users when run as root. initdb and postgres
refuse to run as root, so as root they run in a user namespace mapped to an unprivileged uid;
files stay owned by the invoking user and no system user is created.
"""

import argparse
import fcntl
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import psycopg2
from psycopg2 import sql

from streamcat.settings import get_settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO_ROOT / ".local"
DATABASE = "streamcat"
START_TIMEOUT_S = 30.0
_PID_FILE_GRACE_S = 1.0
_NAMESPACE_UIDS = (1000, 65534)


class PostgresError(RuntimeError):
    """The own server could not be initialised, started or stopped."""


@dataclass(frozen=True)
class OwnServer:
    """Where one own server keeps its files: everything under `root` (the repo's `.local/`)."""

    root: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "postgres"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    @property
    def lock_path(self) -> Path:
        return self.root / "postgres.lock"

    def url(self, port: int, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"


def default_server() -> OwnServer:
    return OwnServer(root=DEFAULT_ROOT, port=get_settings().local_pg_port)


def ensure_server(server: OwnServer | None = None) -> str:
    """Start the own server, or reuse it if running; an admin DSN (database `postgres`).

    Safe when several processes call it at once: a file lock serialises them."""
    server = server or default_server()
    return server.url(ensure_running(server))


def ensure_running(server: OwnServer) -> int:
    """Initialise and start the server unless it runs; the port it listens on."""
    with _locked(server):
        port = running_port(server)
        if port is None:
            _initialise(server)
            _start(server)
            port = server.port
        _wait_until_accepting(server, server.url(port))
        _ensure_database(server.url(port), DATABASE)
    return port


def stop_server(server: OwnServer | None = None) -> bool:
    """Stop the own server (its data stays for the next start); whether it was running."""
    server = server or default_server()
    with _locked(server):
        if running_port(server) is None:
            return False
        _run([*_pg_ctl(), "stop", "-D", str(server.data_dir), "-m", "fast", "-w"], "pg_ctl stop")
    return True


def running_port(server: OwnServer) -> int | None:
    """The port of the server running on this data dir, read from its `postmaster.pid`."""
    try:
        lines = (server.data_dir / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (FileNotFoundError, IndexError, ValueError):
        return None
    return port if _alive(pid) else None


def _alive(pid: int) -> bool:
    """A postmaster killed but never reaped (a container's PID 1 may reap nothing) stays a
    zombie that answers signals: it serves nothing and must not block a restart."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def database_url(admin_url: str, database: str = DATABASE) -> str:
    """The DSN of `database` on the server of `admin_url`."""
    return psycopg2.extensions.make_dsn(admin_url, dbname=database)


@contextmanager
def _locked(server: OwnServer) -> Iterator[None]:
    server.root.mkdir(parents=True, exist_ok=True)
    with server.lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _initialise(server: OwnServer) -> None:
    """initdb into a scratch dir renamed into place, so a crash never leaves a half cluster."""
    if (server.data_dir / "PG_VERSION").exists():
        return
    scratch = server.root / "postgres.initdb"
    shutil.rmtree(scratch, ignore_errors=True)
    command = [str(_bindir() / "initdb"), "-D", str(scratch), "-A", "trust", "-U", "postgres"]
    _run([*_unprivileged(), *command, "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
    if server.data_dir.exists():
        shutil.rmtree(server.data_dir)
    scratch.rename(server.data_dir)


def _start(server: OwnServer) -> None:
    """pg_ctl detaches the server; it listens on loopback and a socket inside `root` only.
    pg_ctl hands `-o` to /bin/sh, hence the quoted path."""
    server.socket_dir.mkdir(parents=True, exist_ok=True)
    _clear_lock_files(server)
    options = (
        f"-p {server.port} -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700 "
        f"-k {shlex.quote(str(server.socket_dir))}"
    )
    data, log = str(server.data_dir), str(server.log_path)
    _run([*_pg_ctl(), "start", "-D", data, "-l", log, "-W", "-o", options], "pg_ctl start")


def _clear_lock_files(server: OwnServer) -> None:
    """Called only when no live postmaster owns them: a crashed one leaves its lock files, and
    postgres refuses to start while the pid they name is a zombie."""
    (server.data_dir / "postmaster.pid").unlink(missing_ok=True)
    (server.socket_dir / f".s.PGSQL.{server.port}.lock").unlink(missing_ok=True)


def _wait_until_accepting(server: OwnServer, admin_url: str) -> None:
    """A postmaster that cannot start (port taken...) removes its pid file and exits: that
    ends the wait early, after a grace period covering the window before the file appears."""
    started = time.monotonic()
    while True:
        reason = _serving_data_dir(admin_url, server.data_dir)
        if reason is None:
            return
        waited = time.monotonic() - started
        exited = waited > _PID_FILE_GRACE_S and running_port(server) is None
        if exited or waited > START_TIMEOUT_S:
            raise PostgresError(
                f"PostgreSQL in {server.data_dir} did not accept connections at {admin_url} "
                f"after {waited:.1f} s ({reason}); see the server log {server.log_path}"
            )
        time.sleep(0.05)


def _serving_data_dir(admin_url: str, data_dir: Path) -> str | None:
    """None when the server at `admin_url` is the one of `data_dir`, else why not."""
    try:
        connection = psycopg2.connect(admin_url, connect_timeout=2)
    except psycopg2.OperationalError as error:
        return str(error).strip()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('data_directory')")
            row = cursor.fetchone()
    finally:
        connection.close()
    served = Path(row[0]) if row else None
    return None if served == data_dir.resolve() else f"the port is taken by the server of {served}"


def _ensure_database(admin_url: str, name: str) -> None:
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()


def _pg_ctl() -> list[str]:
    return [*_unprivileged(), str(_bindir() / "pg_ctl")]


def _bindir() -> Path:
    """The PostgreSQL binaries: the pgserver wheel's, else the ones on PATH or pg_config's."""
    spec = find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        wheel_bin = Path(spec.origin).parent / "pginstall" / "bin"
        if (wheel_bin / "initdb").exists():
            return wheel_bin
    if on_path := shutil.which("initdb"):
        return Path(on_path).parent
    if pg_config := shutil.which("pg_config"):
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if bindir.returncode == 0 and (Path(bindir.stdout.strip()) / "initdb").exists():
            return Path(bindir.stdout.strip())
    raise PostgresError(
        "no PostgreSQL binaries found: install the dev extras (`pip install -e '.[dev]'` brings "
        "pgserver), put initdb/pg_ctl on PATH, or set DATABASE_URL to a running server"
    )


def _unprivileged() -> list[str]:
    """The command prefix that runs a PostgreSQL binary as a non-root uid."""
    if os.geteuid() != 0:
        return []
    uid = next((uid for uid in _NAMESPACE_UIDS if _has_passwd_entry(uid)), _NAMESPACE_UIDS[0])
    prefix = ["unshare", "--user", f"--map-user={uid}", f"--map-group={uid}"]
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True, text=True)
    except FileNotFoundError:
        probe = None
    if probe is None or probe.returncode != 0:
        reason = "unshare is not installed" if probe is None else probe.stderr.strip()
        raise PostgresError(
            "PostgreSQL refuses to run as root and a user namespace is not available here "
            f"({reason}): set DATABASE_URL to a running server, or run as a non-root user"
        )
    return prefix


def _has_passwd_entry(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, start_new_session=True)
    if result.returncode != 0:
        raise PostgresError(f"{what} failed ({result.returncode}): {result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.postgres", description=__doc__)
    parser.add_argument("command", choices=["start", "stop", "url"])
    command = parser.parse_args(argv).command
    server = default_server()
    if command == "stop":
        print("stopped" if stop_server(server) else "not running", file=sys.stderr)
        return 0
    if command == "url":
        port = running_port(server)
        if port is None:
            print("not running: `python -m local.postgres start`", file=sys.stderr)
            return 1
        print(server.url(port, DATABASE))
        return 0
    print(server.url(ensure_running(server), DATABASE))
    return 0


if __name__ == "__main__":
    sys.exit(main())
