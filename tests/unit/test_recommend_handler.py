"""Which interactions uploads a training event announces."""

import json
from typing import Any

import pytest

from streamcat.training_input import InteractionsError, version_of
from streamcat_train.handler import interactions_keys


def _s3(key: str, name: str = "ObjectCreated:Put") -> dict[str, Any]:
    return {
        "eventSource": "aws:s3",
        "eventName": name,
        "s3": {"bucket": {"name": "streamcat-data"}, "object": {"key": key}},
    }


def _sqs(*records: dict[str, Any]) -> dict[str, Any]:
    return {"eventSource": "aws:sqs", "body": json.dumps({"Records": list(records)})}


def test_keys_are_decoded_filtered_and_ordered_by_version() -> None:
    event = {
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
    assert interactions_keys(event) == [
        "curated/interactions/v2.json",
        "curated/interactions/v9.json",
        "curated/interactions/v10.json",
        "my folder/curated/interactions/v11.json",
    ]


@pytest.mark.parametrize(
    "key", ["curated/interactions/v1.json.bak", "curated/interactions/vx.json", "v1.json", ""]
)
def test_other_keys_are_not_interactions(key: str) -> None:
    with pytest.raises(InteractionsError):
        version_of(key)
