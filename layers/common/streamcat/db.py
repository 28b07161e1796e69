"""PostgreSQL access: one connection per Lambda container, opened lazily and reused.

A container serves one request at a time, so a pool would only hold idle connections;
RDS Proxy does the pooling across containers in the cloud.

Nothing here changes session state: RDS Proxy pins a client connection to one database
connection for the rest of its session after a `SET`, an advisory lock, a temporary table, a
named prepared statement, LISTEN or a holdable cursor, and a pinned connection is no longer
shared. Autocommit is client-side in psycopg2 (no statement is sent), and read-only is a
property of the reader role (`ALTER ROLE ... SET default_transaction_read_only`, set where the
ETL grants it), not a `SET` from here."""

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import psycopg2.extensions

from streamcat import aws
from streamcat.settings import Settings, get_settings

Cursor = psycopg2.extensions.cursor

_connection: psycopg2.extensions.connection | None = None


class DatabaseNotConfigured(psycopg2.OperationalError):
    """Neither DATABASE_URL nor DB_SECRET_ARN with DB_HOST is set: to a caller, a database it
    cannot reach (the API's documented 503), not a bug of the request (a 500)."""


def dsn(settings: Settings) -> str:
    """The connection string: `DATABASE_URL` locally, exactly as given; in the cloud the login
    from Secrets Manager, over TLS that verifies the server (`sslmode=verify-full`, which checks
    the chain and the host name; `require` would accept any certificate)."""
    if settings.database_url:
        return settings.database_url
    if not (settings.db_secret_arn and settings.db_host):
        raise DatabaseNotConfigured(
            "set DATABASE_URL, or DB_SECRET_ARN and DB_HOST, to reach PostgreSQL"
        )
    # Read at every new connection, never cached: a rotated secret is taken by the next one.
    secret = json.loads(aws.get_secret_string(settings, settings.db_secret_arn))
    return psycopg2.extensions.make_dsn(
        host=settings.db_host,
        port=settings.db_port,
        dbname=settings.db_name,
        user=secret["username"],
        password=secret["password"],
        sslmode="verify-full",
        sslrootcert=ssl_root_cert(settings),
    )


def ssl_root_cert(settings: Settings) -> str:
    """The CA bundle that verifies the server: `DB_SSL_ROOT_CERT`, else certifi's bundle.

    The functions connect through RDS Proxy, whose endpoint presents an ACM certificate chained
    to Amazon Root CA 1-4, and those roots are in certifi's bundle (the Mozilla CA list): with
    RDS Proxy the RDS CA bundle (rds-ca-*) is not needed, and is not even the right one. Set
    `DB_SSL_ROOT_CERT` to connect to the instance directly (the RDS bundle) or, locally, to a
    server with its own CA (local.postgres). A container (`sam local invoke`) sees none of the
    host's files, so the variable may hold the PEM itself: it is written once to /tmp."""
    value = settings.db_ssl_root_cert
    if value and value.lstrip().startswith("-----BEGIN"):
        path = (
            Path(tempfile.gettempdir()) / f"db-ca-{hashlib.sha256(value.encode()).hexdigest()}.pem"
        )
        if not path.is_file():
            path.write_text(value)
        return str(path)
    if value:
        return value
    import certifi

    return certifi.where()


def connect(settings: Settings | None = None) -> psycopg2.extensions.connection:
    """A new connection; callers that keep it own closing it."""
    settings = settings or get_settings()
    return psycopg2.connect(
        dsn(settings),
        connect_timeout=settings.db_connect_timeout_s,
        application_name="streamcat",
    )


def shared_connection() -> psycopg2.extensions.connection:
    """The container's connection, reopened when the last one broke. Autocommit only:
    `set_session(readonly=True)` would send a `SET` and pin the connection in RDS Proxy; the
    reader role is read-only by default instead (see the module's docstring)."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = connect()
        _connection.autocommit = True
    return _connection


def reset_shared_connection() -> None:
    """Drop the container's connection so the next call reconnects (after an OperationalError)."""
    global _connection
    if _connection is not None and not _connection.closed:
        _connection.close()
    _connection = None


@contextmanager
def read_cursor() -> Iterator[Cursor]:
    """A cursor on the shared read-only connection; a broken connection is dropped so the
    next request gets a fresh one instead of failing forever."""
    try:
        with shared_connection().cursor() as cursor:
            yield cursor
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        reset_shared_connection()
        raise


def run_read[T](work: Callable[[Cursor], T]) -> T:
    """`work` on a read cursor. A reused connection that turns out broken (server restart, idle
    connection dropped by a proxy) is replaced and `work` retried once, so a warm container
    recovers without failing a request; a fresh connection that fails is not retried."""
    reused = _connection is not None and not _connection.closed
    try:
        with read_cursor() as cursor:
            return work(cursor)
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        if not reused:
            raise
    with read_cursor() as cursor:
        return work(cursor)
