"""RFC 9457 problem bodies for every failure, checked without a catalog."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from local.handlers import load_event
from local.lambda_context import LocalLambdaContext
from streamcat import db
from streamcat.api.app import create_app, create_whole_api_app
from streamcat.api.handler import is_not_ready, make_handler
from streamcat.api.problems import CATALOG_NOT_LOADED, MODEL_NOT_LOADED, Problem
from streamcat.settings import get_settings

PROBLEM = "application/problem+json"

failing = APIRouter()


@failing.get("/suggest")
def suggest() -> None:
    raise Problem(404, "Unknown title", "no title 'x'", parameter="title", suggestions=["y", "z"])


@failing.get("/bug")
def bug() -> None:
    raise RuntimeError("a bug, not the caller's fault")


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(create_app(failing), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def unreachable_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DATABASE_URL naming a closed port on loopback: every connection attempt is refused."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:9/none")
    get_settings.cache_clear()
    db.reset_shared_connection()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
    db.reset_shared_connection()


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def test_problem_extras_are_members_of_the_body(client: TestClient) -> None:
    assert _problem(client.get("/suggest"), 404) == {
        "type": "/problems/not-found",
        "title": "Unknown title",
        "status": 404,
        "detail": "no title 'x'",
        "parameter": "title",
        "suggestions": ["y", "z"],
    }


def test_an_unexpected_error_is_a_500_problem_not_a_traceback(client: TestClient) -> None:
    body = _problem(client.get("/bug"), 500)
    assert "a bug" not in body["detail"]


def test_method_not_allowed_is_a_problem(client: TestClient) -> None:
    assert _problem(client.post("/suggest"), 405)["title"] == "Method Not Allowed"


def test_docs_are_served_only_by_the_composed_app(client: TestClient) -> None:
    _problem(client.get("/openapi.json"), 404)
    with TestClient(create_whole_api_app()) as composed:
        assert composed.get("/openapi.json").status_code == 200


def test_validation_fails_before_any_database_access(unreachable_database: None) -> None:
    with TestClient(create_whole_api_app()) as client:
        body = _problem(client.get("/score-count?platform=netflix&scored=9&year=2018"), 422)
    assert body["parameter"] == "scored"
    assert body["errors"] == [
        {"parameter": "scored", "in": "query", "message": body["detail"].removeprefix("scored: ")}
    ]


def test_an_unreachable_database_is_a_503_problem(unreachable_database: None) -> None:
    with TestClient(create_whole_api_app()) as client:
        response = client.get("/count-platform?platform=netflix")
        body = _problem(response, 503)
        assert body["title"] == "Database unavailable"
        assert response.headers["retry-after"] == "5"
        assert _problem(client.get("/health"), 503)["title"] == "Database unavailable"


def test_health_without_any_database_settings_is_a_503_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As `sam local invoke` runs the docs function with no database variables set."""
    for name in ("DATABASE_URL", "DB_SECRET_ARN", "DB_HOST"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    db.reset_shared_connection()
    try:
        with TestClient(create_whole_api_app()) as client:
            response = client.get("/health")
    finally:
        get_settings.cache_clear()
    body = _problem(response, 503)
    assert body["title"] == "Database unavailable"
    assert response.headers["retry-after"] == "5"


def test_lambda_handler_sends_a_503_problem_as_text(unreachable_database: None) -> None:
    from streamcat.api.routers import contents

    response = make_handler(create_app(contents.router))(
        load_event("contents"), LocalLambdaContext()
    )
    assert response["statusCode"] == 503
    assert response["headers"]["content-type"] == PROBLEM
    assert response["isBase64Encoded"] is False
    assert '"title":"Database unavailable"' in response["body"]


@pytest.mark.parametrize(
    ("status", "title", "not_ready"),
    [
        (503, CATALOG_NOT_LOADED, True),
        (503, MODEL_NOT_LOADED, True),
        (503, "Database unavailable", False),
        (500, "Internal error", False),
        (404, CATALOG_NOT_LOADED, False),
    ],
)
def test_only_the_documented_not_ready_503s_are_not_faults(
    status: int, title: str, not_ready: bool
) -> None:
    body = json.dumps(Problem(status, title, "detail").body())

    assert is_not_ready({"statusCode": status, "body": body}) is not_ready


def test_the_handler_logs_an_unreachable_database_as_a_fault(
    unreachable_database: None, caplog: pytest.LogCaptureFixture
) -> None:
    from streamcat.api.routers import contents

    make_handler(create_app(contents.router))(load_event("contents"), LocalLambdaContext())

    (answered,) = [record for record in caplog.records if record.getMessage() == "answered"]
    assert (answered.__dict__["status"], answered.__dict__["not_ready"]) == (503, False)
