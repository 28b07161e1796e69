"""Which interactions uploads a training event announces, and which of them the handler trains."""

import json
from typing import Any, cast

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from local.lambda_context import LocalLambdaContext
from streamcat.training_input import InteractionsError, version_of
from streamcat_train import handler


def _s3(key: str, name: str = "ObjectCreated:Put") -> dict[str, Any]:
    return {
        "eventSource": "aws:s3",
        "eventName": name,
        "s3": {"bucket": {"name": "streamcat-data"}, "object": {"key": key}},
    }


def _sqs(*records: dict[str, Any]) -> dict[str, Any]:
    return {"eventSource": "aws:sqs", "body": json.dumps({"Records": list(records)})}


CONTEXT = cast(LambdaContext, LocalLambdaContext())
EVENT = {
    "Records": [
        _sqs(_s3("curated/interactions/v10.json"), _s3("curated/interactions/v9.json")),
        _sqs(_s3("my+folder/curated/interactions/v11.json")),
        _sqs(_s3("curated/interactions/v12.json", "ObjectRemoved:Delete")),
        _sqs(_s3("curated/ratings/source%3D1/part-0.parquet")),
        {"eventSource": "aws:sqs", "body": "not json"},
        {"eventSource": "aws:sqs", "body": json.dumps({"Event": "s3:TestEvent"})},
        _s3("curated/interactions/v2.json"),
    ]
}


def test_uploads_are_decoded_filtered_and_ordered_by_version() -> None:
    assert [upload.key for upload in handler.interactions_uploads(EVENT)] == [
        "curated/interactions/v2.json",
        "curated/interactions/v9.json",
        "curated/interactions/v10.json",
        "my folder/curated/interactions/v11.json",
    ]


def test_the_handler_trains_the_newest_upload_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    trained: list[str] = []

    def train_and_publish(key: str) -> dict[str, Any]:
        trained.append(key)
        return {"status": "trained", "key": key}

    monkeypatch.setattr(handler, "train_and_publish", train_and_publish)

    result = handler.lambda_handler(EVENT, CONTEXT)

    assert trained == ["my folder/curated/interactions/v11.json"]
    assert result == {"status": "trained", "key": "my folder/curated/interactions/v11.json"}


def test_an_event_without_interactions_uploads_trains_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(handler, "train_and_publish", pytest.fail)
    event = {"Records": [_s3("curated/ratings/source%3D1/part-0.parquet")]}

    assert handler.lambda_handler(event, CONTEXT)["status"] == "ignored"


@pytest.mark.parametrize(
    "key", ["curated/interactions/v1.json.bak", "curated/interactions/vx.json", "v1.json", ""]
)
def test_other_keys_are_not_interactions(key: str) -> None:
    with pytest.raises(InteractionsError):
        version_of(key)
