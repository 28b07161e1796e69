"""The recommendations Lambda with its events, its model in the template's bucket (moto over
HTTP, read with the function's role): answers, aliases, 404 with suggestions, 503 for a missing
or corrupt model, a newer model picked up."""

import gzip
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from local.handlers import load_event, load_function
from local.lambda_context import LocalLambdaContext
from streamcat.recommend.s3_reader import ObjectMissing, S3Reader, StoreError
from streamcat.recommend.store import ModelStore, get_store
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from tests.support.cloud import act_as, deployer_s3
from tests.support.recommend import SAMPLE_TITLES as TITLES
from tests.support.recommend import model_document, publish


@pytest.fixture
def function(bucket: str) -> Iterator[ModuleType]:
    get_store.cache_clear()
    publish(model_document(TITLES))
    act_as("RecommendationsFunction")
    yield load_function("recommendations")
    get_store.cache_clear()


def call(function: ModuleType, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = function.handler(event, LocalLambdaContext())
    return response["statusCode"], json.loads(response["body"])


def query(function: ModuleType, **params: str) -> tuple[int, dict[str, Any]]:
    event = load_event("recommendations")
    event["queryStringParameters"] = params
    event["rawQueryString"] = "&".join(f"{k}={v.replace(' ', '%20')}" for k, v in params.items())
    return call(function, event)


def test_event_answers_five_recommendations_for_the_most_voted_copy(function: ModuleType) -> None:
    status, body = call(function, load_event("recommendations"))
    assert status == 200
    assert body["id"] == "ds1" and body["title"] == "the lion king"
    assert [r["id"] for r in body["recommendations"]] == ["ds2", "ns3", "hs4", "ns5", "ds6"]
    assert body["recommendations"][0] == {
        "id": "ds2",
        "title": "toy story",
        "platform": "disney",
        "score": 3.5,
    }


def test_alias_event_and_id_parameter(function: ModuleType) -> None:
    status, body = call(function, load_event("recommendations_alias"))
    assert status == 200 and body["id"] == "ds2"
    status, body = query(function, id="AS5")
    assert status == 200 and body["id"] == "as5"
    assert "ds1" not in [r["id"] for r in body["recommendations"]]


def test_unknown_title_is_a_404_with_suggestions(function: ModuleType) -> None:
    status, body = query(function, title="The Lion Kng")
    assert status == 404
    assert body["parameter"] == "title"
    assert body["suggestions"][0] == "the lion king"
    assert "the lion king" in body["detail"]
    status, body = query(function, id="ns404")
    assert status == 404 and body["parameter"] == "id"


@pytest.mark.parametrize("params", [{}, {"title": "dune", "id": "as7"}, {"title": " "}])
def test_title_or_id_exactly_once(function: ModuleType, params: dict[str, str]) -> None:
    status, body = query(function, **params)
    assert status == 422
    assert body["parameter"] == "title"


def test_missing_model_is_a_503_saying_so(bucket: str) -> None:
    get_store.cache_clear()
    act_as("RecommendationsFunction")
    function = load_function("recommendations")
    status, body = call(function, load_event("recommendations"))
    assert status == 503
    assert "no recommendation model has been published" in body["detail"]
    get_store.cache_clear()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not gzip at all", "corrupt"),
        (gzip.compress(b'{"format": 1, "ids": []}'), "corrupt"),
        (gzip.compress(b'{"truncated'), "corrupt"),
    ],
)
def test_corrupt_model_is_a_503_saying_so(bucket: str, body: bytes, reason: str) -> None:
    get_store.cache_clear()
    publish(body)
    act_as("RecommendationsFunction")
    function = load_function("recommendations")
    status, answer = call(function, load_event("recommendations"))
    assert status == 503
    assert reason in answer["detail"]
    assert answer["title"] == "Recommendations unavailable"
    get_store.cache_clear()


def test_newer_model_is_picked_up_and_a_bad_one_keeps_the_current(bucket: str) -> None:
    now, deployer = [0.0], deployer_s3()
    act_as("RecommendationsFunction")
    store = ModelStore(
        S3Reader(get_settings()), bucket, S3Layout.of(get_settings()), clock=lambda: now[0]
    )
    publish(model_document(TITLES, version=1), version=1, s3=deployer)
    assert store.current().version == 1
    publish(model_document(TITLES[::-1], version=2), version=2, s3=deployer)
    now[0] = 30.0
    assert store.current().version == 1, "not checked again before the refresh interval"
    now[0] = 61.0
    assert store.current().version == 2
    publish(b"garbage", version=3, s3=deployer)
    now[0] = 200.0
    assert store.current().version == 2


def test_signed_reads_match_boto3_and_missing_objects_are_told_apart(bucket: str) -> None:
    deployer_s3().put_object(Bucket=bucket, Key="models/a b+c.json", Body=b"{}")
    act_as("RecommendationsFunction")
    signed = S3Reader(get_settings())
    unsigned = S3Reader(get_settings().model_copy(update={"aws_access_key_id": None}))
    for reader in (signed, unsigned):
        found = reader.get(bucket, "models/a b+c.json")
        assert found.body == b"{}"
        assert found.etag == reader.etag(bucket, "models/a b+c.json") != ""
        with pytest.raises(ObjectMissing):
            reader.get(bucket, "models/none.json")
    wrong = get_settings().model_copy(update={"aws_endpoint_url": "http://127.0.0.1:9"})
    with pytest.raises(StoreError, match="unreachable"):
        S3Reader(wrong).etag(bucket, "models/a b+c.json")
