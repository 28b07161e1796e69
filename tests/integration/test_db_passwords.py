"""Every login checks its password, over TLS, as on RDS: the own server refuses a wrong
password, a login without TLS and a password-less one on its socket; and the cloud path's
login, read from Secrets Manager at each new connection, follows a rotation of the secret."""

import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from local.postgres import OwnServer
from streamcat import db
from streamcat.settings import Settings, get_settings


def _connect(url: str, **changes: str) -> None:
    psycopg2.connect(psycopg2.extensions.make_dsn(url, **changes), connect_timeout=5).close()


def test_the_superuser_logs_in_with_its_password_only(admin_url: str) -> None:
    _connect(admin_url)
    with pytest.raises(
        psycopg2.OperationalError, match=r'password authentication failed.*"postgres"'
    ):
        _connect(admin_url, password="wrong")


def test_a_login_without_tls_is_refused(admin_url: str) -> None:
    with pytest.raises(psycopg2.OperationalError, match=r"no pg_hba\.conf entry.*no encryption"):
        _connect(admin_url, sslmode="disable")


def test_the_servers_socket_asks_for_a_password_too(admin_url: str, own_server: OwnServer) -> None:
    with pytest.raises(psycopg2.OperationalError, match="no password supplied"):
        _connect(admin_url, host=str(own_server.socket_dir), password="")


@dataclass(frozen=True)
class SecretLogin:
    """A login role of its own and the secret that holds its password."""

    role: str
    secret_arn: str
    settings: Settings


@pytest.fixture
def secret_login(
    admin_url: str,
    database_url: str,
    own_server: OwnServer,
    s3_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[SecretLogin]:
    """The cloud path's settings (no DATABASE_URL; the login in moto's Secrets Manager) for a
    role of this test, dropped afterwards (roles belong to the whole server)."""
    import boto3

    role = f"rotated_{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(16)
    _run_as_admin(admin_url, "CREATE ROLE {} LOGIN PASSWORD %s", role, password)
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"streamcat-db-{role}",
        SecretString=json.dumps({"username": role, "password": password}),
    )
    dsn = psycopg2.extensions.parse_dsn(database_url)
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("DB_SECRET_ARN", secret["ARN"])
    monkeypatch.setenv("DB_HOST", dsn["host"])
    monkeypatch.setenv("DB_PORT", dsn["port"])
    monkeypatch.setenv("DB_NAME", dsn["dbname"])
    monkeypatch.setenv("DB_SSL_ROOT_CERT", str(own_server.ca_cert_path))
    get_settings.cache_clear()
    try:
        yield SecretLogin(role, secret["ARN"], get_settings())
    finally:
        get_settings.cache_clear()
        _run_as_admin(admin_url, "DROP ROLE {}", role)


def _run_as_admin(admin_url: str, statement: str, role: str, *parameters: str) -> None:
    """`statement` with `role` as its identifier and `parameters` as its values."""
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL(statement).format(sql.Identifier(role)), parameters)
    finally:
        connection.close()


def _user_of(settings: Settings) -> str:
    connection = db.connect(settings)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            row = cursor.fetchone()
    finally:
        connection.close()
    assert row is not None
    return str(row[0])


def test_a_rotated_secret_is_taken_by_the_next_connection(
    secret_login: SecretLogin, admin_url: str
) -> None:
    """Rotation changes the role's password and the secret's value: the old password no
    longer opens a connection, and the next connection reads the new one from the secret."""
    import boto3

    assert _user_of(secret_login.settings) == secret_login.role
    before = db.dsn(secret_login.settings)
    rotated = secrets.token_urlsafe(16)

    _run_as_admin(admin_url, "ALTER ROLE {} PASSWORD %s", secret_login.role, rotated)
    boto3.client("secretsmanager").put_secret_value(
        SecretId=secret_login.secret_arn,
        SecretString=json.dumps({"username": secret_login.role, "password": rotated}),
    )

    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(before, connect_timeout=5)
    assert _user_of(secret_login.settings) == secret_login.role
