"""The read-only role of the HTTP functions: the ETL creates it from its secret and grants it
every swapped-in catalog, which starts with no grants of its own."""

import json
import uuid
from collections.abc import Iterator

import psycopg2
import psycopg2.errors
import pytest
from psycopg2 import sql

from local.cloud import LocalCloud
from streamcat.settings import get_settings
from tests.support.etl import Etl, titles_csv

NETFLIX = "raw/titles/netflix_titles.csv"
READER_PASSWORD = "reader-pass"


@pytest.fixture
def reader(
    database_url: str, bucket: str, template_cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The template's reader secret (the one the ETL's role may read) set to a role of this
    test's, and named by READER_SECRET_ARN; the role is dropped afterwards (roles belong to the
    whole server, not the test database)."""
    import boto3

    role = f"streamcat_reader_{uuid.uuid4().hex[:8]}"
    arn = template_cloud.outputs["ReaderSecretArn"]
    boto3.client("secretsmanager").put_secret_value(
        SecretId=arn, SecretString=json.dumps({"username": role, "password": READER_PASSWORD})
    )
    monkeypatch.setenv("READER_SECRET_ARN", arn)
    get_settings.cache_clear()
    yield role
    get_settings.cache_clear()
    with psycopg2.connect(database_url) as admin, admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    admin.close()


def _as_reader(
    database_url: str, role: str, password: str = READER_PASSWORD
) -> psycopg2.extensions.connection:
    return psycopg2.connect(
        psycopg2.extensions.make_dsn(database_url, user=role, password=password)
    )


def test_reader_logs_in_with_the_password_of_its_secret_only(
    database_url: str, bucket: str, reader: str
) -> None:
    Etl(database_url, bucket).upload_and_load({NETFLIX: titles_csv("s1")})

    _as_reader(database_url, reader).close()
    with pytest.raises(
        psycopg2.OperationalError, match=rf'password authentication failed.*"{reader}"'
    ):
        _as_reader(database_url, reader, password="wrong")


def test_reader_reads_each_new_catalog_and_cannot_change_it(
    database_url: str, bucket: str, reader: str
) -> None:
    etl = Etl(database_url, bucket)
    etl.upload_and_load({NETFLIX: titles_csv("s1")})
    etl.upload_and_load({NETFLIX: titles_csv("s1", "s2")})

    connection = _as_reader(database_url, reader)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version FROM catalog.meta")
            assert cursor.fetchall() == [(2,)]
            cursor.execute("SELECT count(*) FROM catalog.titles")
            assert cursor.fetchall() == [(2,)]
        # Read-only by default is no barrier (a client may ask for a read-write transaction);
        # the grants are.
        connection.rollback()
        connection.autocommit = True
        with pytest.raises(psycopg2.errors.InsufficientPrivilege), connection.cursor() as cursor:
            cursor.execute("BEGIN READ WRITE")
            cursor.execute("DELETE FROM catalog.titles")
    finally:
        connection.close()


def test_reader_is_read_only_by_role_without_any_set_from_the_client(
    database_url: str, bucket: str, reader: str
) -> None:
    """Read-only is the role's default (`default_transaction_read_only`): a client that sends
    no SET (as the functions do, for RDS Proxy) still cannot write, even where a grant would
    let it."""
    etl = Etl(database_url, bucket)
    etl.upload_and_load({NETFLIX: titles_csv("s1")})
    with psycopg2.connect(database_url) as admin, admin.cursor() as cursor:
        cursor.execute("CREATE TABLE public.scratch (n integer)")
        cursor.execute(
            sql.SQL("GRANT INSERT ON public.scratch TO {}").format(sql.Identifier(reader))
        )
        cursor.execute(
            sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(sql.Identifier(reader))
        )
    admin.close()

    connection = _as_reader(database_url, reader)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for statement in (
                "INSERT INTO public.scratch VALUES (1)",
                "CREATE TABLE public.written (n integer)",
                "INSERT INTO catalog.titles (id) VALUES ('ns999')",
            ):
                with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
                    cursor.execute(statement)
            cursor.execute("SELECT current_setting('transaction_read_only')")
            assert cursor.fetchone() == ("on",)
    finally:
        connection.close()
