"""PostgreSQL access: one connection per Lambda container, opened lazily and reused.

A container serves one request at a time, so a pool would only hold idle connections;
RDS Proxy does the pooling across containers in the cloud.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg2
import psycopg2.extensions

from streamcat.settings import Settings, get_settings

_connection: psycopg2.extensions.connection | None = None

T = TypeVar("T")


def dsn(settings: Settings) -> str:
    """The connection string: `DATABASE_URL` locally, Secrets Manager in the cloud."""
    if settings.database_url:
        return settings.database_url
    if not (settings.db_secret_arn and settings.db_host):
        raise RuntimeError("set DATABASE_URL, or DB_SECRET_ARN and DB_HOST, to reach PostgreSQL")
    from aws_lambda_powertools.utilities import parameters  # boto3 only when in the cloud

    secret = json.loads(str(parameters.get_secret(settings.db_secret_arn, max_age=300)))
    return psycopg2.extensions.make_dsn(
        host=settings.db_host,
        port=settings.db_port,
        dbname=settings.db_name,
        user=secret["username"],
        password=secret["password"],
        sslmode="require",
    )


def connect(settings: Settings | None = None) -> psycopg2.extensions.connection:
    """A new connection; callers that keep it own closing it."""
    settings = settings or get_settings()
    return psycopg2.connect(
        dsn(settings),
        connect_timeout=settings.db_connect_timeout_s,
        application_name="streamcat",
    )


def shared_connection() -> psycopg2.extensions.connection:
    """The container's connection, reopened when the last one broke."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = connect()
        _connection.set_session(readonly=True, autocommit=True)
    return _connection


def reset_shared_connection() -> None:
    """Drop the container's connection so the next call reconnects (after an OperationalError)."""
    global _connection
    if _connection is not None and not _connection.closed:
        _connection.close()
    _connection = None


@contextmanager
def read_cursor() -> Iterator[psycopg2.extensions.cursor]:
    """A cursor on the shared read-only connection; a broken connection is dropped so the
    next request gets a fresh one instead of failing forever."""
    try:
        with shared_connection().cursor() as cursor:
            yield cursor
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        reset_shared_connection()
        raise


def run_read(work: Callable[[psycopg2.extensions.cursor], T]) -> T:
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
