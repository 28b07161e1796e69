"""`python -m local.invoke`: a template function run without Docker, as Lambda would run it."""

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from local import invoke
from local.catalog_fixtures import drop_catalog
from streamcat.s3_events import object_events
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from streamcat.storage import s3_client
from tests.support.cloud import emptied_bucket
from tests.support.local import LAMBDA_SQS_RECORD_FIELDS
from tests.support.samples import sample_ratings, sample_titles

REPO = Path(__file__).resolve().parents[2]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    MemorySize: 256
    Timeout: 7
    Layers:
      - !Ref SharedLayer
    Environment:
      Variables:
        FROM_GLOBALS: globals
        DB_HOST: !GetAtt Proxy.Endpoint
        DATA_BUCKET: !Sub bucket-${AWS::AccountId}
        OVERRIDDEN: globals
Resources:
  SharedLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layer
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo
      Handler: app.handler
      Environment:
        Variables:
          OVERRIDDEN: function
          SECRET: !Ref Secret
  OtherFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: other
      Handler: app.handler
      MemorySize: 1024
  Proxy:
    Type: AWS::RDS::DBProxy
"""

ECHO_HANDLER = """\
import os

import shared_helper

print("printed at import")
VARIABLES = ("FROM_GLOBALS", "DB_HOST", "DATA_BUCKET", "OVERRIDDEN", "SECRET", "ONLY_IN_ENV_JSON")


def handler(event, context):
    print("printed by the handler")
    return {
        "event": event,
        "helper": shared_helper.NAME,
        "env": {name: os.environ.get(name) for name in VARIABLES},
        "context": {
            "function_name": context.function_name,
            "memory": context.memory_limit_in_mb,
            "arn": context.invoked_function_arn,
            "request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
"""

OTHER_HANDLER = """\
def handler(event, context):
    return {"other": context.memory_limit_in_mb}
"""


def _cli_args(project: Path, function: str) -> list[str]:
    """Naming a state file of the test's own, where no stack runs: never `make run`'s."""
    return [
        *(function, str(project / "event.json"), "--template", str(project / "template.yaml")),
        *("--state", str(project / "no-stack.json")),
    ]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    for folder, source in {
        "echo/app.py": ECHO_HANDLER,
        "other/app.py": OTHER_HANDLER,
        "layer/shared_helper.py": "NAME = 'from the layer'\n",
    }.items():
        path = tmp_path / folder
        path.parent.mkdir()
        path.write_text(source)
    env = {
        "Parameters": {"DB_HOST": "127.0.0.1", "ONLY_IN_ENV_JSON": "local"},
        "EchoFunction": {"SECRET": "local-secret"},
    }
    (tmp_path / "env.json").write_text(json.dumps(env))
    return tmp_path


def test_cli_prints_only_the_handler_response_on_stdout(
    project: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DB_HOST", "SECRET", "OVERRIDDEN", "FROM_GLOBALS", "DATA_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    (project / "event.json").write_text(json.dumps({"path": "/echo"}))
    argv = _cli_args(project, "EchoFunction")

    assert invoke.main(argv) == 0

    captured = capfd.readouterr()
    response = json.loads(captured.out)
    assert "printed at import" in captured.err and "printed by the handler" in captured.err
    assert response["event"] == {"path": "/echo"}
    assert response["helper"] == "from the layer"
    assert response["env"] == {
        "FROM_GLOBALS": "globals",
        "DB_HOST": "127.0.0.1",
        "DATA_BUCKET": "bucket-123456789012",  # resolved as CloudFormation would
        "OVERRIDDEN": "function",
        "SECRET": "local-secret",
        "ONLY_IN_ENV_JSON": "local",
    }
    context = response["context"]
    assert context["function_name"] == "streamcat-local-EchoFunction"
    assert context["memory"] == 256
    assert context["arn"].endswith(":function:streamcat-local-EchoFunction")
    assert len(context["request_id"]) == 36
    assert 0 < context["remaining_ms"] <= 7000


def test_the_shell_overrides_env_json_and_nothing_leaks_after_the_call(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_HOST", "from-the-shell")
    monkeypatch.delenv("FROM_GLOBALS", raising=False)

    response = invoke.invoke("EchoFunction", {}, template_path=project / "template.yaml")

    assert response["env"]["DB_HOST"] == "from-the-shell"
    assert "FROM_GLOBALS" not in os.environ
    assert str(project / "echo") not in sys.path


def test_functions_sharing_a_module_name_each_run_their_own(project: Path) -> None:
    template = project / "template.yaml"

    first = invoke.invoke("EchoFunction", {"n": 1}, template_path=template)
    other = invoke.invoke("OtherFunction", {}, template_path=template)

    assert first["event"] == {"n": 1}
    assert other == {"other": 1024}


def test_an_unknown_function_is_a_clear_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "event.json").write_text("{}")
    argv = _cli_args(project, "NoSuchFunction")

    assert invoke.main(argv) == 2

    error = capsys.readouterr().err
    assert "no function 'NoSuchFunction'" in error
    assert "EchoFunction, OtherFunction" in error


def test_an_event_that_is_not_json_is_a_clear_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "event.json").write_text("{not json")
    argv = _cli_args(project, "EchoFunction")

    assert invoke.main(argv) == 2
    assert "cannot read event" in capsys.readouterr().err


@pytest.fixture
def own_servers(database_url: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """env.json names `make run`'s servers (PostgreSQL on 54329, moto on 4566); the shell,
    which overrides it, names the test's own instead."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)


@pytest.mark.usefixtures("own_servers")
def test_the_real_docs_function_serves_the_openapi_document() -> None:
    event = json.loads(
        textwrap.dedent(
            """
            {"version": "2.0", "routeKey": "GET /openapi.json", "rawPath": "/openapi.json",
             "rawQueryString": "", "headers": {"host": "localhost"},
             "requestContext": {"http": {"method": "GET", "path": "/openapi.json",
               "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "pytest"},
               "routeKey": "GET /openapi.json", "stage": "$default", "requestId": "r1",
               "accountId": "123456789012", "apiId": "local", "domainName": "localhost",
               "domainPrefix": "localhost", "time": "24/Nov/2026:00:00:00 +0000",
               "timeEpoch": 0},
             "isBase64Encoded": false}
            """
        )
    )

    response = invoke.invoke("DocsFunction", event)

    assert response["statusCode"] == 200
    assert "/get_actor/{platform}/{year}" in json.loads(response["body"])["paths"]


def _http_event(path: str, route: str) -> dict[str, object]:
    """An HTTP API (payload 2.0) GET event as API Gateway sends it."""
    return {
        "version": "2.0",
        "routeKey": f"GET {route}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "localhost"},
        "requestContext": {
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "routeKey": f"GET {route}",
            "stage": "$default",
            "requestId": "request-1",
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "time": "24/Nov/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }


@pytest.mark.usefixtures("own_servers")
def test_the_real_count_platform_function_answers_from_postgresql(database_url: str) -> None:
    drop_catalog(database_url)
    schema = (REPO / "layers/common/streamcat/sql/catalog.sql").read_text()
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA catalog")
        cursor.execute("SET search_path TO catalog")
        cursor.execute(schema)
        cursor.execute(
            "INSERT INTO titles (id, platform, show_id, type, title, release_year, rating)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            ("ns1", "netflix", "s1", "movie", "a title", 2020, "g"),
        )
    connection.close()
    event = _http_event("/get_count_platform/netflix", "/get_count_platform/{platform}")

    response = invoke.invoke("CountPlatformFunction", event)

    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == {"platform": "netflix", "count": 1}


SAMPLE_BUCKET = "streamcat-local"
"""The bucket the sample events name: the local stack's."""
SAMPLE_EVENTS = {
    "etl_raw_titles.json": "raw/titles/netflix_titles.csv",
    "etl_raw_ratings.json": "raw/ratings/1.csv",
    "train_interactions.json": "curated/interactions/v2.json",
}


def _sample_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((REPO / "events" / name).read_text())
    return event


@pytest.mark.parametrize("name", sorted(SAMPLE_EVENTS))
def test_background_sample_events_are_sqs_batches_of_s3_notifications(name: str) -> None:
    """As the event source mapping builds them; the object names only its key, since the ETag,
    version and sequencer belong to one particular upload (the ETL asks S3 for them)."""
    event = _sample_event(name)
    (record,) = event["Records"]
    assert record.keys() == LAMBDA_SQS_RECORD_FIELDS
    assert record["eventSource"] == "aws:sqs"
    assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
    (notification,) = json.loads(record["body"])["Records"]
    assert notification["eventName"] == "ObjectCreated:Put"
    assert notification["s3"]["object"] == {"key": SAMPLE_EVENTS[name]}
    (found,) = object_events(event)
    assert (found.bucket, found.key, found.message_ids) == (
        SAMPLE_BUCKET,
        SAMPLE_EVENTS[name],
        (record["messageId"],),
    )


@pytest.fixture
def sample_bucket(
    s3_endpoint: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The sample events' bucket, empty (nothing else in moto is reset), an empty database, and
    DATA_BUCKET naming that bucket whatever env.json says (the shell overrides it). A plain moto,
    not the template's cloud: without a running stack `make invoke` runs a function with the
    shell's credentials, as this test does."""
    drop_catalog(database_url)
    monkeypatch.setenv("DATA_BUCKET", SAMPLE_BUCKET)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    get_settings.cache_clear()
    s3_client.cache_clear()
    emptied_bucket(s3_client(), SAMPLE_BUCKET)
    yield SAMPLE_BUCKET
    get_settings.cache_clear()
    s3_client.cache_clear()


def _make_invoke(function: str, event: str, state: Path) -> dict[str, Any]:
    """What `make invoke FUNCTION=<function> EVENT=events/<event>` runs, in a process of its own,
    but told the stack's state file: the test's own, where no stack runs."""
    done = subprocess.run(
        [sys.executable, "-m", "local.invoke", function, f"events/{event}", "--state", str(state)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    response: dict[str, Any] = json.loads(done.stdout)
    return response


def _catalog(database_url: str) -> tuple[int, int, int]:
    """Titles, rated titles, catalog version."""
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE votes > 0),"
            " (SELECT max(version) FROM catalog.meta) FROM catalog.titles"
        )
        row = cursor.fetchone()
    connection.close()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def test_the_etl_and_training_sample_events_load_the_catalog_and_publish_a_model(
    sample_bucket: str, database_url: str, tmp_path: Path
) -> None:
    """On an empty database: the titles event loads catalog version 1, the ratings event
    version 2, whose training input `curated/interactions/v2.json` the training event names."""
    no_stack = tmp_path / "no-stack.json"
    s3 = s3_client()
    s3.put_object(Bucket=sample_bucket, Key="raw/titles/netflix_titles.csv", Body=sample_titles())
    s3.put_object(Bucket=sample_bucket, Key="raw/ratings/1.csv", Body=sample_ratings())

    titles = _make_invoke("EtlFunction", "etl_raw_titles.json", no_stack)
    assert (titles["batchItemFailures"], titles["catalog_version"], titles["swapped"]) == (
        [],
        1,
        True,
    )
    assert _catalog(database_url) == (16, 0, 1)
    again = _make_invoke("EtlFunction", "etl_raw_titles.json", no_stack)
    assert (again["catalog_version"], again["swapped"]) == (1, False), "already loaded"

    ratings = _make_invoke("EtlFunction", "etl_raw_ratings.json", no_stack)
    assert (ratings["batchItemFailures"], ratings["catalog_version"]) == ([], 2)
    assert _catalog(database_url) == (16, 16, 2)
    written = s3.list_objects_v2(Bucket=sample_bucket, Prefix="curated/interactions/")
    assert [o["Key"] for o in written["Contents"]] == [SAMPLE_EVENTS["train_interactions.json"]]

    trained = _make_invoke("TrainFunction", "train_interactions.json", no_stack)
    assert (trained["status"], trained["version"], trained["titles"]) == ("published", 2, 16)
    pointer = s3.get_object(Bucket=sample_bucket, Key=S3Layout.of(get_settings()).latest_model)
    assert json.loads(pointer["Body"].read())["version"] == 2
