"""The own PostgreSQL server: real initdb and postgres in a temp dir on a free port."""

import os
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest
from cryptography import x509

from local.postgres import (
    HBA_CONF,
    OwnServer,
    PostgresError,
    database_url,
    ensure_running,
    ensure_server,
    running_port,
    stop_server,
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OwnServer]:
    own = OwnServer(root=tmp_path / ".local", port=0)
    yield own
    stop_server(own)


def test_starts_serves_streamcat_on_loopback_and_stops(server: OwnServer) -> None:
    admin_url = ensure_server(server)

    password = server.password_path.read_text()
    assert admin_url == (
        f"postgresql://postgres:{password}@127.0.0.1:{running_port(server)}/postgres?sslmode=require"
    )
    assert stat.S_IMODE(server.password_path.stat().st_mode) == 0o600
    with psycopg2.connect(database_url(admin_url)) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_setting('listen_addresses')")
        assert cursor.fetchone() == ("streamcat", "127.0.0.1")
    connection.close()
    assert server.data_dir.stat().st_uid == os.geteuid()
    assert ensure_server(server) == admin_url  # reused, not started twice

    assert stop_server(server) is True
    assert running_port(server) is None
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(admin_url, connect_timeout=2)
    assert stop_server(server) is False


def test_restart_keeps_data(server: OwnServer) -> None:
    with psycopg2.connect(database_url(ensure_server(server))) as connection:
        connection.cursor().execute("CREATE TABLE kept AS SELECT 42 AS answer")
    connection.close()
    stop_server(server)

    with psycopg2.connect(database_url(ensure_server(server))) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT answer FROM kept")
        assert cursor.fetchone() == (42,)
    connection.close()


def test_concurrent_starts_share_one_server(server: OwnServer) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        urls = list(pool.map(lambda _: ensure_server(server), range(2)))

    assert urls[0] == urls[1]
    assert running_port(server) is not None


def test_taken_port_is_a_clear_error(server: OwnServer, tmp_path: Path) -> None:
    rival = OwnServer(root=tmp_path / "rival", port=ensure_running(server))

    with pytest.raises(PostgresError, match=r"did not accept connections.*rival/postgres\.log"):
        ensure_server(rival)


def test_serves_postgresql_16_over_tls_verified_by_its_own_ca(server: OwnServer) -> None:
    admin_url = ensure_server(server)
    ca = server.ca_cert_path.read_bytes()
    assert stat.S_IMODE(server.server_key_path.stat().st_mode) == 0o600
    certificate = x509.load_pem_x509_certificate(server.server_cert_path.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(map(str, names.get_values_for_type(x509.IPAddress))) == {"127.0.0.1"}
    assert names.get_values_for_type(x509.DNSName) == ["localhost", "host.docker.internal"]

    for host in ("127.0.0.1", "localhost"):
        dsn = psycopg2.extensions.make_dsn(
            admin_url, host=host, sslmode="verify-full", sslrootcert=str(server.ca_cert_path)
        )
        connection = psycopg2.connect(dsn)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                assert cursor.fetchone() == (True,)
                cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
                assert cursor.fetchone() == (1,)
            assert connection.server_version // 10000 == 16
        finally:
            connection.close()

    stop_server(server)
    ensure_server(server)
    assert server.ca_cert_path.read_bytes() == ca  # generated once, kept across restarts


def test_logs_every_statement_with_its_session_when_asked(tmp_path: Path) -> None:
    server = OwnServer(root=tmp_path / ".local", port=0, log_statements=True)
    try:
        connection = psycopg2.connect(database_url(ensure_server(server)))
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 'logged marker'")
            pid = connection.get_backend_pid()
        finally:
            connection.close()
        log = server.log_path.read_text()
    finally:
        stop_server(server)

    line = next(line for line in log.splitlines() if "logged marker" in line)
    assert f"[{pid}] user=postgres db=streamcat app=" in line
    assert "session=" in line
    assert "LOG:  statement: SELECT 'logged marker'" in line


def test_a_data_folder_of_another_major_version_is_refused_and_kept(server: OwnServer) -> None:
    server.data_dir.mkdir(parents=True)
    (server.data_dir / "PG_VERSION").write_text("15\n")

    with pytest.raises(PostgresError, match=r"holds a PostgreSQL 15 cluster.*PostgreSQL 16"):
        ensure_server(server)
    assert (server.data_dir / "PG_VERSION").read_text() == "15\n"


def test_a_running_server_without_the_asked_settings_is_not_reused(server: OwnServer) -> None:
    ensure_server(server)
    logging = OwnServer(root=server.root, port=server.port, log_statements=True)

    with pytest.raises(PostgresError, match=r"'log_statement': 'none'.*stop it"):
        ensure_server(logging)


TRUSTING_HBA = """\
local   all             all                                     trust
host    all             all             127.0.0.1/32            trust
host    all             all             ::1/128                 trust
"""
"""What `initdb -A trust` wrote, as older versions of local/postgres.py ran it."""


def _make_it_trust_every_login(server: OwnServer) -> None:
    """The cluster as an older version left it: no superuser password, no password file,
    every login trusted."""
    connection = psycopg2.connect(ensure_server(server))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("ALTER ROLE postgres PASSWORD NULL")
    finally:
        connection.close()
    stop_server(server)
    (server.data_dir / "pg_hba.conf").write_text(TRUSTING_HBA)
    server.password_path.unlink()


def test_a_cluster_that_trusted_every_login_is_given_a_password_and_keeps_its_data(
    server: OwnServer,
) -> None:
    with psycopg2.connect(database_url(ensure_server(server))) as connection:
        connection.cursor().execute("CREATE TABLE kept AS SELECT 42 AS answer")
    connection.close()
    _make_it_trust_every_login(server)

    admin_url = ensure_server(server)

    assert (server.data_dir / "pg_hba.conf").read_text() == HBA_CONF
    assert stat.S_IMODE(server.password_path.stat().st_mode) == 0o600
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(psycopg2.extensions.make_dsn(admin_url, password="wrong"))
    with psycopg2.connect(database_url(admin_url)) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT answer FROM kept")
        assert cursor.fetchone() == (42,)
    connection.close()


def test_a_lost_password_file_is_a_clear_error_and_no_new_password(server: OwnServer) -> None:
    ensure_server(server)
    stop_server(server)
    server.password_path.unlink()

    with pytest.raises(PostgresError, match=r"postgres\.password, which is gone: restore it"):
        ensure_server(server)
    assert not server.password_path.exists()
