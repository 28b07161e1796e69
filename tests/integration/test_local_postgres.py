"""The own PostgreSQL server: real initdb and postgres in a temp dir on a free port."""

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg2
import pytest

from local.postgres import (
    OwnServer,
    PostgresError,
    database_url,
    ensure_server,
    running_port,
    stop_server,
)
from tests.support.local import free_port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OwnServer]:
    own = OwnServer(root=tmp_path / ".local", port=free_port())
    yield own
    stop_server(own)


def test_starts_serves_streamcat_on_loopback_and_stops(server: OwnServer) -> None:
    admin_url = ensure_server(server)

    assert admin_url == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
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
    assert running_port(server) == server.port


def test_taken_port_is_a_clear_error(server: OwnServer, tmp_path: Path) -> None:
    ensure_server(server)
    rival = OwnServer(root=tmp_path / "rival", port=server.port)

    with pytest.raises(PostgresError, match=r"did not accept connections.*rival/postgres\.log"):
        ensure_server(rival)
