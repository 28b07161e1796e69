"""ReportBatchItemFailures: an object that cannot be read (its version gone, the ETL's role denied
it, its transfer broken off) fails only the SQS messages that carried it, and the rest of the
batch loads; a failed load fails every message (the handler raises); a failed training fails the
messages of the upload it trained on."""

import json
from collections.abc import Iterator
from typing import Any, cast

import boto3
import psycopg2
import pytest

from local.catalog_fixtures import CatalogTitle, create_catalog
from local.cloud import LocalCloud
from local.iam import client
from local.lambda_context import LocalLambdaContext
from local.notifications import Upload, s3_record, sqs_event
from local.template import LOCAL_STACK_NAME, load_template
from streamcat.s3_layout import S3Layout
from streamcat.settings import get_settings
from streamcat_etl import catalog_store, handler
from streamcat_train.handler import lambda_handler as train_handler
from tests.support.cloud import act_as, deployer_s3, template_bucket
from tests.support.etl import Etl, ratings_csv, titles_csv
from tests.support.faults import after, breaking_off, terminate_backend
from tests.support.local import provisioned_cloud

NETFLIX = "raw/titles/netflix_titles.csv"
DISNEY = "raw/titles/disney_plus_titles.csv"
RATINGS = "raw/ratings/1.csv"
LOADED_IDS = ["ns1", "ns2"]


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    return Etl(database_url, bucket)


def _batch(etl: Etl) -> tuple[Upload, Upload, Upload]:
    """Messages m0 (Netflix titles), m1 (ratings) and m2 (Disney titles)."""
    return (
        etl.put(NETFLIX, titles_csv("s1", "s2")),
        etl.put(RATINGS, ratings_csv((1, 4.0, "ns1"), (2, 2.0, "ns2"))),
        etl.put(DISNEY, titles_csv("s7")),
    )


def _delete_version(etl: Etl, upload: Upload) -> None:
    assert upload.version_id, "the bucket is versioned: the notification names the version"
    etl.s3.delete_object(Bucket=etl.bucket, Key=upload.key, VersionId=upload.version_id)


def _loaded_keys(etl: Etl) -> list[str]:
    """The ledger's keys (none before a load first commits it)."""
    if etl.rows("SELECT to_regclass('etl.loaded_objects')") == [(None,)]:
        return []
    return [row[0] for row in etl.rows("SELECT key FROM etl.loaded_objects ORDER BY key")]


def _assert_all_but_disney_loaded(etl: Etl, result: dict[str, Any]) -> None:
    assert result["swapped"] and etl.ids() == LOADED_IDS
    assert etl.rows("SELECT id, score, votes FROM catalog.titles ORDER BY id") == [
        ("ns1", 4.0, 1),
        ("ns2", 2.0, 1),
    ]
    assert _loaded_keys(etl) == [RATINGS, NETFLIX]
    files = {f["key"]: f for f in etl.report(result["load_id"])["files"]}
    assert [files[k]["status"] for k in (NETFLIX, RATINGS, DISNEY)] == [
        "loaded",
        "loaded",
        "failed",
    ]
    assert "NoSuchVersion" in files[DISNEY]["reason"]


def test_an_object_whose_version_is_gone_fails_only_its_message(etl: Etl) -> None:
    netflix, ratings, disney = _batch(etl)
    _delete_version(etl, disney)

    result = etl.load(netflix, ratings, disney)

    assert result["batchItemFailures"] == [{"itemIdentifier": "m2"}]
    _assert_all_but_disney_loaded(etl, result)
    retried = etl.invoke(sqs_event(etl.bucket, disney))
    assert retried["batchItemFailures"] == [{"itemIdentifier": "m0"}], "fails until the DLQ"
    assert not retried["swapped"] and etl.ids() == LOADED_IDS


def test_a_plain_s3_event_has_no_message_to_report_so_an_unreadable_object_raises(
    etl: Etl,
) -> None:
    """`sam local invoke -e` with an S3 event, or an S3 trigger invoking directly: raising
    is what makes Lambda retry; the readable objects are loaded (and skipped by the retry)."""
    netflix, ratings, disney = _batch(etl)
    _delete_version(etl, disney)
    event = {"Records": [s3_record(u, etl.bucket) for u in (netflix, ratings, disney)]}

    with pytest.raises(handler.ObjectReadError, match=DISNEY):
        etl.invoke(event)

    assert etl.ids() == LOADED_IDS and _loaded_keys(etl) == [RATINGS, NETFLIX]


DENY_THE_RATINGS = {
    "Statement": [
        {
            "Sid": "DenyTheRatingsUpload",
            "Effect": "Deny",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": {"Fn::Sub": f"${{DataBucket.Arn}}/{RATINGS}"},
        }
    ]
}


@pytest.fixture
def denied_cloud() -> Iterator[LocalCloud]:
    """A copy of the template whose ETL role is denied the ratings upload, in a cloud of its
    own."""
    template = load_template()
    template["Resources"]["EtlFunction"]["Properties"]["Policies"].append(DENY_THE_RATINGS)
    with provisioned_cloud(template) as cloud:
        yield cloud


def _lift_the_deny(cloud: LocalCloud) -> None:
    """What an operator's fix of the role does: its policy denying the ratings goes."""
    iam = client("iam", cloud.endpoint_url, cloud.region, cloud.deployer)
    role = f"{LOCAL_STACK_NAME}-EtlFunctionRole"
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        if "DenyTheRatingsUpload" in json.dumps(document):
            iam.delete_role_policy(RoleName=role, PolicyName=name)


def _assert_only_the_ratings_failed_then_load(etl: Etl, result: dict[str, Any]) -> None:
    assert result["batchItemFailures"] == [{"itemIdentifier": "m1"}]
    assert etl.ids() == ["ds7", *LOADED_IDS] and _loaded_keys(etl) == [DISNEY, NETFLIX]
    assert etl.rows("SELECT count(*) FROM catalog.titles WHERE votes > 0") == [(0,)]


def _assert_the_retry_loads_the_ratings(etl: Etl, ratings: Upload) -> None:
    retried = etl.load(ratings)
    assert retried["batchItemFailures"] == [] and retried["swapped"]
    assert etl.rows("SELECT id, votes FROM catalog.titles WHERE votes > 0 ORDER BY id") == [
        ("ns1", 1),
        ("ns2", 1),
    ]


def test_an_object_the_role_may_not_read_fails_only_its_message_and_its_retry_loads_it(
    database_url: str, denied_cloud: LocalCloud
) -> None:
    """S3 answers AccessDenied because IAM denies it: the role's policy, not a stand-in."""
    with template_bucket(denied_cloud) as bucket:
        etl = Etl(database_url, bucket)
        netflix, ratings, disney = _batch(etl)

        result = etl.load(netflix, ratings, disney)

        _assert_only_the_ratings_failed_then_load(etl, result)
        files = {f["key"]: f for f in etl.report(result["load_id"])["files"]}
        assert "AccessDenied" in files[RATINGS]["reason"]
        _lift_the_deny(denied_cloud)
        _assert_the_retry_loads_the_ratings(etl, ratings)


def test_an_object_whose_transfer_breaks_off_fails_only_its_message_and_its_retry_loads_it(
    etl: Etl, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load's S3 calls pass through a proxy that cuts the ratings' body halfway."""
    netflix, ratings, disney = _batch(etl)
    settings = get_settings()
    assert settings.aws_endpoint_url is not None

    with breaking_off(settings.aws_endpoint_url, RATINGS) as proxy, monkeypatch.context() as patch:
        cut = boto3.client("s3", region_name=settings.aws_region, endpoint_url=proxy)
        patch.setattr(handler, "s3_client", lambda: cut)
        result = etl.load(netflix, ratings, disney)

    _assert_only_the_ratings_failed_then_load(etl, result)
    _assert_the_retry_loads_the_ratings(etl, ratings)


def test_a_failed_load_fails_every_message_and_the_redelivery_loads_the_good_ones(
    etl: Etl, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handler raises, which Lambda takes as every message of the batch failed; the
    redelivered batch then loads and fails only the message of the unreadable object."""
    batch = _batch(etl)
    _delete_version(etl, batch[2])

    def kill_session(cursor: psycopg2.extensions.cursor, *_: object) -> None:
        terminate_backend(etl.database_url, cursor.connection.get_backend_pid())

    with monkeypatch.context() as patch:
        fired = after(patch, catalog_store, "make_staging_live", kill_session)
        with pytest.raises((psycopg2.OperationalError, psycopg2.InterfaceError)):
            etl.load(*batch)
    assert fired
    assert etl.version() is None and _loaded_keys(etl) == []

    redelivered = etl.load(*batch)

    assert redelivered["batchItemFailures"] == [{"itemIdentifier": "m2"}]
    _assert_all_but_disney_loaded(etl, redelivered)


def _interactions_message(message_id: str, bucket: str, key: str) -> dict[str, Any]:
    notification = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key, "eTag": "e"}},
            }
        ]
    }
    return {"eventSource": "aws:sqs", "messageId": message_id, "body": json.dumps(notification)}


def test_a_failed_training_fails_the_messages_of_the_newest_upload_only(
    database_url: str, bucket: str
) -> None:
    create_catalog(database_url, [CatalogTitle(f"ns{n}") for n in range(1, 13)], version=2)
    layout = S3Layout.of(get_settings())
    newest, older = layout.training_manifest(2), layout.training_manifest(1)
    s3 = deployer_s3()
    s3.put_object(Bucket=bucket, Key=newest, Body=b"not a manifest")
    act_as("TrainFunction")
    event = {
        "Records": [
            _interactions_message("new", bucket, newest),
            _interactions_message("old", bucket, older),
            _interactions_message("new-again", bucket, newest),
        ]
    }

    result = train_handler(event, cast(Any, LocalLambdaContext("train")))

    assert result["batchItemFailures"] == [
        {"itemIdentifier": "new"},
        {"itemIdentifier": "new-again"},
    ]
    assert result["status"] == "failed" and "InteractionsError" in result["error"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=get_settings().models_prefix)
    assert "Contents" not in listed, "nothing published"
