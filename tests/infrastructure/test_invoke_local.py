"""`python -m local.invoke`: a template function run without Docker, as Lambda would run it."""

import json
import os
import sys
import textwrap
from pathlib import Path

import psycopg2
import pytest

from local import invoke
from tests.support.catalog import drop_catalog

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
    return [function, str(project / "event.json"), "--template", str(project / "template.yaml")]


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
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DB_HOST", "SECRET", "OVERRIDDEN", "FROM_GLOBALS", "DATA_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    (project / "event.json").write_text(json.dumps({"path": "/echo"}))
    argv = _cli_args(project, "EchoFunction")

    assert invoke.main(argv) == 0

    captured = capsys.readouterr()
    response = json.loads(captured.out)
    assert "printed at import" in captured.err and "printed by the handler" in captured.err
    assert response["event"] == {"path": "/echo"}
    assert response["helper"] == "from the layer"
    assert response["env"] == {
        "FROM_GLOBALS": "globals",
        "DB_HOST": "127.0.0.1",
        "DATA_BUCKET": None,
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


def test_the_real_docs_function_serves_the_openapi_document() -> None:
    if not (REPO / "functions" / "docs" / "app.py").is_file():
        pytest.skip("SKIPPED: functions/docs/app.py not written yet")
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


def test_the_real_count_platform_function_answers_from_postgresql(database_url: str) -> None:
    if not (REPO / "functions" / "count_platform" / "app.py").is_file():
        pytest.skip("SKIPPED: functions/count_platform/app.py not written yet")
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
