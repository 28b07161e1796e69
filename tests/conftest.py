"""Real parts for every test: a PostgreSQL server over a connection and S3 over HTTP (moto)."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from local.cloud import LocalCloud
from local.postgres import OwnServer
from streamcat.settings import get_settings

REPO = Path(__file__).resolve().parent.parent
# The real catalogs (development-only data); STREAMCAT_REAL_TITLES names another folder, or a
# missing one to run the tests as on a machine without them.
SHARED_TITLES = Path(
    os.environ.get("STREAMCAT_REAL_TITLES") or REPO.parent / "shared" / "data" / "titles"
)


@pytest.fixture(scope="session")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnServer]:
    """The project's own server for this run only (its own folder and any free port, stopped
    at the end, so nothing is left running), always, even where DATABASE_URL names a server: the
    tests need what that server may not offer, PostgreSQL 16 (the template's RDS major
    version), TLS with a CA they know (`ca_cert_path`) and the log of every statement
    (`log_path`, `log_statement=all`)."""
    from local.postgres import ensure_server, stop_server

    server = OwnServer(root=tmp_path_factory.mktemp("postgres"), port=0, log_statements=True)
    try:
        ensure_server(server)
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="session")
def admin_url(own_server: OwnServer) -> str:
    """The own server's admin DSN (database `postgres`)."""
    from local.postgres import running_port

    port = running_port(own_server)
    assert port is not None, f"the test server stopped; see {own_server.log_path}"
    return own_server.url(port)


@pytest.fixture
def stack_database_url(admin_url: str) -> Iterator[str]:
    """A database of its own for a stack a test starts, as `make run`'s is not the tests'."""
    from local.postgres import fresh_database

    with fresh_database(admin_url, "streamcat_stack") as url:
        yield url


@pytest.fixture(scope="session")
def database_url(admin_url: str) -> Iterator[str]:
    """A fresh database for this test run on the own server, dropped afterwards; exported as
    DATABASE_URL (any DATABASE_URL set before is restored at the end)."""
    name = f"streamcat_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(admin_url)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg2.extensions.make_dsn(admin_url, dbname=name)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    try:
        yield url
    finally:
        from streamcat import db

        db.reset_shared_connection()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        get_settings.cache_clear()
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        admin.close()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3/SQS server on loopback, exported as AWS_ENDPOINT_URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {k: os.environ.get(k) for k in _AWS_ENV}
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    _clear_cached_clients()
    try:
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _clear_cached_clients()


_AWS_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
)


def _clear_cached_clients() -> None:
    from streamcat.storage import s3_client

    get_settings.cache_clear()
    s3_client.cache_clear()


@pytest.fixture(scope="session")
def template_cloud() -> Iterator[LocalCloud]:
    """What template.yaml declares, in a moto server of its own with IAM enforced: provisioned
    once (it takes seconds); each test that uses it empties only its bucket."""
    from tests.support.local import provisioned_cloud

    with provisioned_cloud() as cloud:
        yield cloud


@pytest.fixture
def bucket(template_cloud: LocalCloud) -> Iterator[str]:
    """The template's bucket (versioned, notifying, IAM enforced), empty for this test, with
    the environment pointing at it as the deployer (tests.support.cloud)."""
    from tests.support.cloud import template_bucket

    with template_bucket(template_cloud) as name:
        yield name


@pytest.fixture(scope="session")
def real_titles_dir() -> Path:
    """The real catalogs in ../shared, for the few tests of facts of those files; absent on a
    user's machine, where these tests skip."""
    if not SHARED_TITLES.is_dir():
        pytest.skip(f"SKIPPED: real catalogs not found at {SHARED_TITLES} (development-only data)")
    return SHARED_TITLES


@pytest.fixture(scope="session")
def titles_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of the four titles files: the real catalogs where present, else seeded ones of
    their names, row counts and quirks (`local.titles_generator`, full scale)."""
    if SHARED_TITLES.is_dir():
        return SHARED_TITLES
    from local.titles_generator import generate_catalogs

    generated = tmp_path_factory.mktemp("generated-titles")
    generate_catalogs(generated)
    return generated
