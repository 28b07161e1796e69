"""The recommendation model breaks (its file deleted under the pointer, or overwritten with
junk): the recommendations function says so with a 503 problem on both routes, and every query
function answers exactly as before."""

import gzip
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from local.catalog_fixtures import create_catalog, drop_catalog
from local.handlers import events_of, load_event, load_function
from local.lambda_context import LocalLambdaContext
from streamcat import db
from streamcat.api.registry import Kind, of_kind
from streamcat.recommend.store import get_store
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from tests.support.catalog import known_titles
from tests.support.cloud import act_as, deployer_s3
from tests.support.recommend import model_document

PROBLEM = "application/problem+json"
MODEL = [(f"ns{i}", f"title {i}", 10 * i) for i in range(1, 9)]


def _answer(function: ModuleType, event: dict[str, Any]) -> tuple[int, str, Any]:
    response = function.handler(event, LocalLambdaContext())
    content_type = response["headers"]["content-type"]
    return response["statusCode"], content_type, json.loads(response["body"])


def _query_answers() -> dict[str, tuple[int, str, Any]]:
    """Every event of every query function, each in a fresh container."""
    answers = {}
    for name in (function.name for function in of_kind(Kind.SEED_QUERY)):
        function = load_function(name)
        for event in events_of(name):
            answers[event] = _answer(function, load_event(event))
    return answers


@pytest.fixture
def published(database_url: str, bucket: str) -> Iterator[str]:
    """A catalog in PostgreSQL and a good model in S3; yields the model's key."""
    create_catalog(database_url, known_titles(), version=3, load_id="faults")
    db.reset_shared_connection()
    settings = get_settings()
    key = S3Layout.of(settings).model(1)
    s3 = deployer_s3()
    body = gzip.compress(json.dumps(model_document(MODEL)).encode())
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    pointer = {"version": 1, "key": key, "trained_at": "2026-11-24T12:00:00+00:00"}
    s3.put_object(Bucket=bucket, Key=S3Layout.of(settings).latest_model, Body=json.dumps(pointer))
    act_as("RecommendationsFunction")
    get_store.cache_clear()
    yield key
    get_store.cache_clear()
    drop_catalog(database_url)
    db.reset_shared_connection()


@pytest.mark.parametrize(
    ("fault", "detail"),
    [("deleted", "model.json.gz is missing"), ("junk", "corrupt")],
)
def test_broken_model_is_a_503_and_queries_are_unaffected(
    published: str, bucket: str, fault: str, detail: str
) -> None:
    event = load_event("recommendations")
    event["queryStringParameters"] = {"title": "title 2"}
    event["rawQueryString"] = "title=title%202"
    assert _answer(load_function("recommendations"), event)[0] == 200
    queries_before = _query_answers()

    s3 = deployer_s3()
    if fault == "deleted":
        s3.delete_object(Bucket=bucket, Key=published)
    else:
        s3.put_object(Bucket=bucket, Key=published, Body=b"\x1f\x8b garbage")
    get_store.cache_clear()
    function = load_function("recommendations")

    status, content_type, body = _answer(function, event)
    assert (status, content_type) == (503, PROBLEM)
    assert body["status"] == 503 and detail in body["detail"], body
    alias = load_event("recommendations_alias")
    assert _answer(function, alias)[:2] == (503, PROBLEM)
    assert _query_answers() == queries_before
    assert all(status == 200 for status, _, _ in queries_before.values()), queries_before
