"""The HTTP functions change no session state, read from the server's own log of statements:
RDS Proxy pins a client connection to one database connection for the rest of its session after
a SET, an advisory lock, a temporary table, a named prepared statement, LISTEN or a holdable
cursor, and the functions must stay shareable."""

import json
import re
import uuid
from collections.abc import Callable, Iterator

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from local.catalog_fixtures import create_catalog
from local.handlers import events_of, load_event, load_function
from local.lambda_context import LocalLambdaContext
from local.postgres import OwnServer
from streamcat import db
from streamcat.api.registry import Kind, of_kind
from streamcat.queries.actor import platform_has_cast, top_actor
from streamcat.queries.catalog_meta import catalog_version
from streamcat.queries.contents import contents
from streamcat.queries.count_platform import count_platform
from streamcat.queries.max_duration import max_duration
from streamcat.queries.prod_per_country import prod_per_country
from streamcat.queries.score_count import score_count
from streamcat.settings import get_settings
from streamcat_etl.reader_role import grant_readers
from tests.support.catalog import known_titles
from tests.support.statement_log import ENTRY, log_end

READER_PASSWORD = "reader-pass"
SESSION_STATE = re.compile(
    r"\bSET\b|\bRESET\b|set_config|pg_advisory|pg_try_advisory|CREATE\s+(?:GLOBAL\s+|LOCAL\s+)?"
    r"TEMP|\bPREPARE\b|\bLISTEN\b|\bDISCARD\b|\bLOAD\b|\bDECLARE\b.*\bWITH\s+HOLD\b",
    re.I | re.S,
)
QUERY_CALLS: list[Callable[[psycopg2.extensions.cursor], object]] = [
    catalog_version,
    lambda cursor: max_duration(cursor, duration_type="min", platform="netflix", year=2018),
    lambda cursor: max_duration(cursor),
    lambda cursor: score_count(cursor, platform="netflix", scored=3.5, year=2018),
    lambda cursor: count_platform(cursor, platform="netflix"),
    lambda cursor: top_actor(cursor, platform="netflix", year=2018),
    lambda cursor: platform_has_cast(cursor, platform="hulu"),
    lambda cursor: prod_per_country(cursor, title_type="movie", country="india", year=2018),
    lambda cursor: contents(cursor, rating="tv-ma"),
]


@pytest.fixture
def reader_url(
    database_url: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A catalog, and the reader role set up by the ETL's own code (its secret in moto); the
    functions' DATABASE_URL logs in as that role."""
    import boto3

    create_catalog(database_url, known_titles(), version=5, load_id="known")
    role = f"streamcat_reader_{uuid.uuid4().hex[:8]}"
    arn = boto3.client("secretsmanager").create_secret(
        Name=role, SecretString=json.dumps({"username": role, "password": READER_PASSWORD})
    )["ARN"]
    monkeypatch.setenv("READER_SECRET_ARN", arn)
    get_settings.cache_clear()
    with psycopg2.connect(database_url) as admin, admin.cursor() as cursor:
        assert grant_readers(cursor, get_settings(), "catalog") == role
    admin.close()
    url = psycopg2.extensions.make_dsn(database_url, user=role, password=READER_PASSWORD)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    db.reset_shared_connection()
    yield url
    db.reset_shared_connection()
    monkeypatch.undo()
    get_settings.cache_clear()
    with psycopg2.connect(database_url) as admin, admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        cursor.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    admin.close()


def _session_statements(server: OwnServer, pid: int, user: str, dsn: str) -> list[str]:
    """Every logged message of the session of backend `pid` logged in as `user`."""
    logged = server.log_path.read_bytes()[: log_end(server, dsn)].decode(errors="replace")
    entries = list(ENTRY.finditer(logged))
    sessions = {e["session"] for e in entries if int(e["pid"]) == pid and e["user"] == user}
    assert len(sessions) == 1, f"no single session of pid {pid} in {server.log_path}"
    return [e["message"].strip() for e in entries if e["session"] in sessions]


def test_query_functions_and_handlers_send_no_session_state(
    reader_url: str, own_server: OwnServer
) -> None:
    user = psycopg2.extensions.parse_dsn(reader_url)["user"]
    answers = [db.run_read(call) for call in QUERY_CALLS]
    assert all(answer is not None for answer in answers)
    for name in (f.name for f in of_kind(Kind.SEED_QUERY, Kind.BROWSE, Kind.DOCS)):
        function = load_function(name)
        for event_name in events_of(name):
            response = function.handler(load_event(event_name), LocalLambdaContext())
            assert response["statusCode"] == 200, (event_name, response)
    connection = db.shared_connection()
    pid = connection.get_backend_pid()  # known to the client since login: no statement
    db.reset_shared_connection()

    messages = _session_statements(own_server, pid, user, reader_url)
    statements = [m for m in messages if m.startswith("LOG:  statement:")]
    assert len(statements) >= len(QUERY_CALLS)  # the log does hold this session's statements
    assert [m for m in messages if SESSION_STATE.search(m)] == []
