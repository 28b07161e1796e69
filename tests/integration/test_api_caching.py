"""HTTP caching of every GET route: ETag and Cache-Control on each answer, a 304 without a body
for a matching If-None-Match, and new tags after a catalog reload or a new model."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from local.catalog_fixtures import create_catalog
from local.handlers import load_event, load_function
from local.lambda_context import LocalLambdaContext
from local.postgres import OwnServer
from streamcat import db
from streamcat.api.app import create_whole_api_app
from streamcat.api.caching import CACHE_CONTROL
from streamcat.queries import catalog_meta
from streamcat.recommend.store import get_store
from tests.support.catalog import known_titles
from tests.support.cloud import act_as, deployer_s3
from tests.support.recommend import SAMPLE_TITLES, model_document, publish
from tests.support.statement_log import log_end, one_line, statements

ROUTES = [
    "/max-duration?platform=netflix",
    "/get_max_duration/2018/netflix/min",
    "/score-count?platform=netflix&scored=3&year=2018",
    "/get_score_count/netflix/3/2018",
    "/count-platform?platform=netflix",
    "/get_count_platform/netflix",
    "/actor?platform=netflix&year=2018",
    "/get_actor/netflix/2018",
    "/prod-per-country?tipo=movie&pais=india&anio=2018",
    "/prod_per_county/movie/india/2018",
    "/contents?rating=tv-ma",
    "/get_contents/tv-ma",
    "/recommendations?id=ds1",
    "/get_recommendation/toy%20story",
    "/titles?q=a%20title&platform=netflix",
    "/titles/ns1",
    "/health",
    "/docs",
    "/docs/swagger-ui.css",
    "/openapi.json",
]


# Functions whose routes read the catalog, each with its sample event of the same name.
CATALOG_FUNCTIONS = ["count_platform", "titles", "title_detail"]
VERSION_QUERY = one_line(catalog_meta.SQL)


@pytest.fixture
def client(database_url: str, bucket: str) -> Iterator[TestClient]:
    create_catalog(database_url, known_titles(), version=1)
    db.reset_shared_connection()
    get_store.cache_clear()
    publish(model_document(SAMPLE_TITLES))
    act_as("RecommendationsFunction")
    with TestClient(create_whole_api_app()) as client:
        yield client
    get_store.cache_clear()


@pytest.mark.parametrize("url", ROUTES)
def test_every_get_is_tagged_and_revalidates_to_a_304(client: TestClient, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200, first.text
    tag = first.headers["etag"]
    assert tag.startswith('"') and first.headers["cache-control"] == "public, max-age=30"

    again = client.get(url, headers={"If-None-Match": f'"other", W/{tag}'})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag


def test_the_tag_depends_on_the_request(client: TestClient) -> None:
    tags = {client.get(url).headers["etag"] for url in ROUTES}
    assert len(tags) == len(ROUTES)
    same = client.get("/titles?platform=netflix&q=a%20title").headers["etag"]
    assert same == client.get("/titles?q=a%20title&platform=netflix").headers["etag"]


def test_a_reload_changes_the_tags(client: TestClient, database_url: str) -> None:
    tag = client.get("/titles/ns1").headers["etag"]
    create_catalog(database_url, known_titles(), version=2)

    fresh = client.get("/titles/ns1", headers={"If-None-Match": tag})

    assert fresh.status_code == 200 and fresh.json()["id"] == "ns1"
    assert fresh.headers["etag"] != tag


def test_a_new_model_changes_the_recommendations_tags(client: TestClient) -> None:
    tag = client.get("/recommendations?id=ds1").headers["etag"]
    publish(model_document(SAMPLE_TITLES, version=2), version=2, s3=deployer_s3())
    get_store.cache_clear()

    fresh = client.get("/recommendations?id=ds1", headers={"If-None-Match": tag})

    assert fresh.status_code == 200 and fresh.headers["etag"] != tag


def test_problems_are_not_tagged(client: TestClient) -> None:
    missing = client.get("/titles/ns999")
    assert missing.status_code == 404 and "etag" not in missing.headers


@pytest.fixture
def catalog(database_url: str) -> Iterator[None]:
    create_catalog(database_url, known_titles(), version=1)
    db.reset_shared_connection()
    yield
    db.reset_shared_connection()


def _with_if_none_match(event: dict[str, Any], tag: str) -> dict[str, Any]:
    return {**event, "headers": {**event["headers"], "if-none-match": tag}}


@pytest.mark.parametrize("function", CATALOG_FUNCTIONS)
def test_the_lambda_handler_answers_a_304_without_running_the_query(
    catalog: None, own_server: OwnServer, database_url: str, function: str
) -> None:
    """The deployed path (API Gateway's v2 event, Mangum, the function's app): the tag is
    checked against the catalog's version alone, so a 304 sends PostgreSQL that one statement
    and never the route's query (the server's log of every statement shows what was sent)."""
    handler, event = load_function(function).handler, load_event(function)
    start = log_end(own_server, database_url)
    first = handler(event, LocalLambdaContext())
    middle = log_end(own_server, database_url)
    again = handler(_with_if_none_match(event, first["headers"]["etag"]), LocalLambdaContext())
    end = log_end(own_server, database_url)
    pid = db.shared_connection().get_backend_pid()

    assert first["statusCode"] == 200, first
    assert first["headers"]["cache-control"] == CACHE_CONTROL
    assert (again["statusCode"], again["body"], again["isBase64Encoded"]) == (304, "", False)
    assert again["headers"]["etag"] == first["headers"]["etag"]
    answered = statements(own_server, pid, start, middle)
    assert answered[0] == VERSION_QUERY and len(answered) > 1, "the 200 ran the route's query"
    assert statements(own_server, pid, middle, end) == [VERSION_QUERY]
