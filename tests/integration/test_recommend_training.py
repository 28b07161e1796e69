"""The training Lambda on real PostgreSQL and the template's bucket over HTTP (the training's
role, IAM enforced): interactions in, a model out that the API's store loads; stale or repeated
uploads change nothing."""

import gzip
import json
from pathlib import Path
from typing import Any, cast

import pytest

from local.catalog_fixtures import RatedCatalog, create_catalog, generated_rated_catalog
from local.lambda_context import LocalLambdaContext
from streamcat.recommend.artifact import validate_document
from streamcat.recommend.s3_reader import S3Reader
from streamcat.recommend.store import ModelStore
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from streamcat.training_input import manifest_bytes
from streamcat_train.handler import lambda_handler
from streamcat_train.train import StaleCatalogError, train_and_publish
from tests.support.cloud import act_as, deployer_s3
from tests.support.memory import BIG_MB, call_in_child, resident
from tests.support.recommend import subset_titles_dir

VERSION = 3
CONTEXT = cast(Any, LocalLambdaContext())


@pytest.fixture(scope="module")
def data(titles_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> RatedCatalog:
    titles = subset_titles_dir(titles_dir, tmp_path_factory.mktemp("titles"), 300)
    return generated_rated_catalog(titles, tmp_path_factory.mktemp("ratings"), 40_000, seed=3)


@pytest.fixture
def uploaded(database_url: str, bucket: str, data: RatedCatalog) -> str:
    create_catalog(database_url, data.catalog_rows(), version=VERSION)
    layout = S3Layout.of(get_settings())
    part = layout.training_part(1)
    s3 = deployer_s3()
    s3.put_object(Bucket=bucket, Key=part, Body=data.training_part_bytes())
    key = layout.training_manifest(VERSION)
    manifest = manifest_bytes("test", [part], [layout.ratings_parquet(1)], len(data.ratings.user))
    s3.put_object(Bucket=bucket, Key=key, Body=manifest)
    act_as("TrainFunction")
    return key


def _sqs_event(bucket: str, key: str) -> dict[str, object]:
    notification = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key, "sequencer": "0A"}},
            }
        ]
    }
    return {
        "Records": [{"eventSource": "aws:sqs", "messageId": "1", "body": json.dumps(notification)}]
    }


def test_publishes_model_and_fitted_objects_then_the_pointer(
    uploaded: str, bucket: str, data: RatedCatalog
) -> None:
    info = train_and_publish(uploaded)
    layout = S3Layout.of(get_settings())
    assert info["status"] == "published" and info["version"] == VERSION
    assert info["titles"] == len(data.catalog) and info["ratings"] == len(data.ratings.user)
    s3 = deployer_s3()
    pointer = json.loads(s3.get_object(Bucket=bucket, Key=layout.latest_model)["Body"].read())
    assert pointer["key"] == layout.model(VERSION) and pointer["version"] == VERSION
    for name in ("content.joblib", "ratings.joblib"):
        s3.head_object(Bucket=bucket, Key=layout.fitted(VERSION, name))
    raw = s3.get_object(Bucket=bucket, Key=pointer["key"])["Body"].read()
    document = validate_document(json.loads(gzip.decompress(raw)))
    assert document["ids"] == data.catalog.ids
    per_title = document["neighbours_per_title"]
    assert per_title == 5
    for i in range(len(document["ids"])):
        row = document["neighbours"][i * per_title : (i + 1) * per_title]
        assert all(document["titles"][j] != document["titles"][i] for j in row)

    served = ModelStore(S3Reader(get_settings()), bucket, layout).current()
    popular = max(range(len(document["ids"])), key=lambda i: document["votes"][i])
    index = served.find_title(document["titles"][popular].upper())
    assert index is not None and len(served.recommend(index)) == 5


def test_the_reported_peak_is_the_trainings_own_memory(uploaded: str, bucket: str) -> None:
    """As the ETL's: a known allocation of the training's own shows in full, its parent's
    high-water mark not at all (a process started by fork and exec inherits ru_maxrss)."""
    _parent_ballast = resident(BIG_MB)
    own = call_in_child("streamcat_train.train:train_and_publish", uploaded)
    deployer_s3().delete_object(Bucket=bucket, Key=S3Layout.of(get_settings()).latest_model)
    allocating = call_in_child("streamcat_train.train:train_and_publish", uploaded, BIG_MB)

    assert own["status"] == allocating["status"] == "published"
    small, big = own["peak_rss_mb"], allocating["peak_rss_mb"]
    assert small < BIG_MB, f"{small} MB: the parent's high-water mark, not the training's"
    assert big - small == pytest.approx(BIG_MB, abs=BIG_MB / 4), "the known allocation, in MiB"


def test_handler_trains_from_an_sqs_notification(uploaded: str, bucket: str) -> None:
    result = lambda_handler(_sqs_event(bucket, uploaded), CONTEXT)
    assert result["status"] == "published"
    again = lambda_handler(_sqs_event(bucket, uploaded), CONTEXT)
    assert again == {"status": "skipped", "reason": "already published", "version": VERSION}


def test_interactions_of_an_older_catalog_are_skipped(uploaded: str, bucket: str) -> None:
    older = uploaded.replace(f"v{VERSION}.json", f"v{VERSION - 1}.json")
    assert train_and_publish(older)["reason"] == "newer catalog loaded"
    assert "Contents" not in deployer_s3().list_objects_v2(Bucket=bucket, Prefix="models/")


def test_interactions_ahead_of_the_catalog_fail_loudly(uploaded: str) -> None:
    ahead = uploaded.replace(f"v{VERSION}.json", f"v{VERSION + 1}.json")
    with pytest.raises(StaleCatalogError, match="database holds 3"):
        train_and_publish(ahead)
