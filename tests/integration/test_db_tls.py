"""TLS that verifies the server: the own PostgreSQL serves it with its own CA, and the cloud path
(the login from Secrets Manager, as the functions connect through RDS Proxy) builds a
`verify-full` DSN that is checked here against a real server."""

import json
import uuid
from collections.abc import Iterator

import certifi
import psycopg2
import psycopg2.extensions
import pytest

from local.postgres import OwnServer
from streamcat import db
from streamcat.settings import Settings, get_settings


def _ssl_in_use(connection: psycopg2.extensions.connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        row = cursor.fetchone()
    return bool(row and row[0])


def _verify_full(database_url: str, root_cert: str, **where: str) -> str:
    return psycopg2.extensions.make_dsn(
        database_url, sslmode="verify-full", sslrootcert=root_cert, **where
    )


def test_verify_full_with_the_servers_ca_connects_over_tls(
    database_url: str, own_server: OwnServer
) -> None:
    connection = psycopg2.connect(_verify_full(database_url, str(own_server.ca_cert_path)))
    try:
        assert _ssl_in_use(connection)
    finally:
        connection.close()


def test_verify_full_refuses_a_server_signed_by_another_ca(database_url: str) -> None:
    with pytest.raises(psycopg2.OperationalError, match="certificate verify failed"):
        psycopg2.connect(_verify_full(database_url, certifi.where()))


@pytest.mark.parametrize("name", ["db.example.internal", "127.0.0.2"])
def test_verify_full_refuses_a_certificate_for_another_host(
    database_url: str, own_server: OwnServer, name: str
) -> None:
    """The right CA but a name the certificate does not carry: libpq reaches 127.0.0.1
    (`hostaddr`) and checks the certificate against `host`, the name the client asked for."""
    dsn = _verify_full(database_url, str(own_server.ca_cert_path), host=name, hostaddr="127.0.0.1")
    with pytest.raises(psycopg2.OperationalError, match=f'does not match host name "{name}"'):
        psycopg2.connect(dsn)


@pytest.fixture
def cloud_settings(
    database_url: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The cloud path's settings: no DATABASE_URL, the login in (moto) Secrets Manager, the own
    server as the database host."""
    import boto3

    dsn = psycopg2.extensions.parse_dsn(database_url)
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"streamcat-db-{uuid.uuid4().hex[:8]}",
        SecretString=json.dumps({"username": dsn["user"], "password": dsn["password"]}),
    )
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("DB_SSL_ROOT_CERT", raising=False)
    monkeypatch.setenv("DB_SECRET_ARN", secret["ARN"])
    monkeypatch.setenv("DB_HOST", dsn["host"])
    monkeypatch.setenv("DB_PORT", dsn["port"])
    monkeypatch.setenv("DB_NAME", dsn["dbname"])
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_cloud_dsn_verifies_the_server_with_certifis_bundle_by_default(
    cloud_settings: Settings,
) -> None:
    dsn = psycopg2.extensions.parse_dsn(db.dsn(cloud_settings))

    assert dsn["sslmode"] == "verify-full"
    assert dsn["sslrootcert"] == certifi.where()
    assert (dsn["host"], dsn["port"]) == (cloud_settings.db_host, str(cloud_settings.db_port))


def test_cloud_dsn_connects_verified_with_db_ssl_root_cert(
    cloud_settings: Settings, own_server: OwnServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: the login read from Secrets Manager through Powertools, the server's CA from
    DB_SSL_ROOT_CERT, and a TLS session that verified the server."""
    monkeypatch.setenv("DB_SSL_ROOT_CERT", str(own_server.ca_cert_path))
    get_settings.cache_clear()
    settings = get_settings()

    dsn = psycopg2.extensions.parse_dsn(db.dsn(settings))
    assert (dsn["sslmode"], dsn["sslrootcert"]) == ("verify-full", str(own_server.ca_cert_path))
    connection = db.connect(settings)
    try:
        assert _ssl_in_use(connection)
    finally:
        connection.close()


def test_database_url_is_used_exactly_as_given(database_url: str) -> None:
    """Locally the DSN is the user's: nothing is added to it."""
    assert db.dsn(Settings(database_url=database_url, db_ssl_root_cert="/ca.pem")) == database_url
