"""Each Lambda handler (`functions/*/app.py`) invoked with its `events/*.json`, as Lambda would."""

import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import psycopg2
import pytest

from local.catalog_fixtures import create_catalog
from local.handlers import events_of, load_event, load_function
from local.lambda_context import LocalLambdaContext
from streamcat import db
from streamcat.api.observability import logger
from streamcat.api.registry import Kind, of_kind
from tests.support.catalog import known_titles

QUERY_FUNCTIONS = [f.name for f in of_kind(Kind.SEED_QUERY)]
BROWSE_FUNCTIONS = [f.name for f in of_kind(Kind.BROWSE)]

LONGEST_NETFLIX_2018 = {
    "id": "ns1",
    "title": "a title",
    "platform": "netflix",
    "release_year": 2018,
    "duration_int": 150,
    "duration_type": "min",
}
EXPECTED: dict[str, dict[str, Any]] = {
    "max_duration": LONGEST_NETFLIX_2018,
    "max_duration_alias": LONGEST_NETFLIX_2018,
    "max_duration_defaults": {
        **LONGEST_NETFLIX_2018,
        "id": "as1",
        "platform": "amazon",
        "duration_int": 300,
    },
    "score_count": {"platform": "netflix", "scored": 3.5, "year": 2018, "count": 2},
    "score_count_alias": {"platform": "netflix", "scored": 3.5, "year": 2018, "count": 2},
    "count_platform": {"platform": "netflix", "count": 7},
    "count_platform_alias": {"platform": "netflix", "count": 7},
    "actor": {"platform": "netflix", "year": 2018, "actor": "alice", "appearances": 3},
    "actor_alias": {"platform": "netflix", "year": 2018, "actor": "alice", "appearances": 3},
    "prod_per_country": {"pais": "india", "anio": 2018, "tipo": "movie", "contenido": 3},
    "prod_per_country_alias": {"pais": "india", "anio": 2018, "tipo": "movie", "contenido": 3},
    "contents": {"rating": "tv-ma", "count": 4},
    "contents_alias": {"rating": "tv-ma", "count": 4},
    "docs_health": {"status": "ok", "catalog_version": 9, "load_id": "known"},
    "titles": {"items": [], "total": 0, "next_cursor": None, "catalog_version": 9},
    "title_detail": {
        "id": "ns1",
        "title": "a title",
        "platform": "netflix",
        "type": "movie",
        "director": None,
        "cast": ["alice", "bob"],
        "countries": ["india"],
        "genres": [],
        "release_year": 2018,
        "date_added": None,
        "rating": "tv-ma",
        "duration_int": 150,
        "duration_type": "min",
        "description": None,
        "score": 4.0,
        "votes": 10,
        # Every known title is called "a title": its copies are the 2018 ones.
        "available_on": [
            {"id": id, "platform": platform}
            for platform, ids in (
                ("amazon", ("as1", "as2")),
                ("hulu", ("hs1", "hs2", "hs3")),
                ("netflix", ("ns1", "ns10", "ns2", "ns3", "ns4")),
            )
            for id in ids
        ],
    },
}


@pytest.fixture(scope="module")
def functions(database_url: str) -> Iterator[dict[str, ModuleType]]:
    create_catalog(database_url, known_titles(), version=9, load_id="known")
    db.reset_shared_connection()
    yield {name: load_function(name) for name in (*QUERY_FUNCTIONS, *BROWSE_FUNCTIONS, "docs")}
    db.reset_shared_connection()


def _invoke(
    functions: dict[str, ModuleType], function: str, event: dict[str, Any]
) -> dict[str, Any]:
    response: dict[str, Any] = functions[function].handler(event, LocalLambdaContext())
    return response


def test_every_function_has_an_event_for_each_of_its_routes() -> None:
    for function in QUERY_FUNCTIONS:
        assert {function, f"{function}_alias"} <= set(events_of(function))
    for function in BROWSE_FUNCTIONS:
        assert function in events_of(function)
    assert {"docs", "docs_openapi", "docs_health", "docs_asset"} <= set(events_of("docs"))


@pytest.mark.parametrize(
    ("function", "event_name"),
    [(f, e) for f in (*QUERY_FUNCTIONS, *BROWSE_FUNCTIONS) for e in events_of(f)]
    + [("docs", "docs_health")],
)
def test_handler_answers_its_event(
    functions: dict[str, ModuleType], function: str, event_name: str
) -> None:
    event = load_event(event_name)
    response = _invoke(functions, function, event)
    assert response["statusCode"] == 200, response
    assert response["headers"]["content-type"] == "application/json"
    assert not response["isBase64Encoded"]
    assert json.loads(response["body"]) == EXPECTED[event_name]
    assert logger.get_correlation_id() == event["requestContext"]["requestId"]


def test_docs_function_serves_the_whole_openapi_document(functions: dict[str, ModuleType]) -> None:
    response = _invoke(functions, "docs", load_event("docs_openapi"))
    assert response["statusCode"] == 200
    paths = json.loads(response["body"])["paths"]
    assert {"/max-duration", "/contents", "/get_actor/{platform}/{year}", "/health"} <= paths.keys()
    page = _invoke(functions, "docs", load_event("docs"))
    assert page["statusCode"] == 200
    assert page["headers"]["content-type"].startswith("text/html")
    assert "/openapi.json" in page["body"]
    assert "https://" not in page["body"] and "http://" not in page["body"]  # no CDN: offline
    asset = _invoke(functions, "docs", load_event("docs_asset"))
    assert asset["statusCode"] == 200
    assert asset["headers"]["content-type"].startswith("text/css")
    assert ".swagger-ui" in asset["body"]


def test_a_query_function_serves_only_its_own_routes(functions: dict[str, ModuleType]) -> None:
    response = _invoke(functions, "contents", load_event("actor"))
    assert response["statusCode"] == 404
    assert response["headers"]["content-type"] == "application/problem+json"
    assert not response["isBase64Encoded"]
    assert json.loads(response["body"])["detail"] == "no route for GET /actor"


def test_problem_bodies_arrive_as_text(functions: dict[str, ModuleType]) -> None:
    event = load_event("actor")
    event["rawQueryString"] = "platform=hulu&year=2018"
    response = _invoke(functions, "actor", event)
    assert response["statusCode"] == 404
    assert not response["isBase64Encoded"]
    assert json.loads(response["body"])["detail"] == "the hulu catalog lists no cast for any title"


def test_the_connection_is_opened_once_and_reused(functions: dict[str, ModuleType]) -> None:
    db.reset_shared_connection()
    _invoke(functions, "contents", load_event("contents"))
    first = db.shared_connection()
    for name in ("contents", "count_platform", "actor"):
        _invoke(functions, name, load_event(name))
    assert db.shared_connection() is first


def test_a_dropped_connection_is_replaced_without_failing_a_request(
    functions: dict[str, ModuleType], database_url: str
) -> None:
    _invoke(functions, "contents", load_event("contents"))
    broken = db.shared_connection()
    with psycopg2.connect(database_url) as admin, admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (broken.get_backend_pid(),))
    admin.close()
    response = _invoke(functions, "contents", load_event("contents"))
    assert response["statusCode"] == 200, response
    assert json.loads(response["body"]) == EXPECTED["contents"]
    assert db.shared_connection() is not broken
