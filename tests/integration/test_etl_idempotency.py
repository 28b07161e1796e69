"""docs/etl.md, idempotency: redelivered, duplicated, late and out-of-order notifications change
nothing; keys arrive form-encoded."""

import json
from collections.abc import Iterator

import pytest

from local.cloud import LocalCloud
from local.notifications import Upload, s3_record, sqs_event
from local.template import load_template
from tests.support.cloud import template_bucket
from tests.support.etl import Etl, titles_csv
from tests.support.local import provisioned_cloud

NETFLIX = "raw/titles/netflix_titles.csv"


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    return Etl(database_url, bucket)


@pytest.fixture(scope="module")
def unversioned_cloud() -> Iterator[LocalCloud]:
    """A copy of the template whose bucket keeps no versions, in a cloud of its own: what
    `make invoke` reads outside the stack may be such a bucket, and only there does a delete
    remove what a notification announced."""
    template = load_template()
    del template["Resources"]["DataBucket"]["Properties"]["VersioningConfiguration"]
    with provisioned_cloud(template) as cloud:
        yield cloud


@pytest.fixture
def unversioned_bucket(unversioned_cloud: LocalCloud) -> Iterator[str]:
    with template_bucket(unversioned_cloud) as name:
        yield name


def test_same_event_twice_changes_nothing(etl: Etl) -> None:
    upload = etl.put(NETFLIX, titles_csv("s1"))
    etl.load(upload)
    loads_before = etl.rows("SELECT count(*) FROM etl.loads")

    again = etl.load(upload)

    assert not again["swapped"] and again["catalog_version"] == 1
    assert etl.version() == 1
    assert etl.rows("SELECT count(*) FROM etl.loads") == loads_before


@pytest.mark.parametrize(
    "bucket_of",
    [
        "bucket",
        "unversioned_bucket",
    ],
)
def test_same_file_uploaded_twice_changes_nothing(
    database_url: str, request: pytest.FixtureRequest, bucket_of: str
) -> None:
    etl = Etl(database_url, request.getfixturevalue(bucket_of))
    etl.load(etl.put(NETFLIX, titles_csv("s1")))

    etl.load(etl.put(NETFLIX, titles_csv("s1")))

    assert etl.version() == 1


def test_a_late_older_notification_is_ignored(etl: Etl) -> None:
    old = etl.put(NETFLIX, titles_csv("s1"))
    new = etl.put(NETFLIX, titles_csv("s2"))
    etl.load(new)

    etl.load(old)

    assert etl.ids() == ["ns2"] and etl.version() == 1


def test_an_older_notification_in_the_same_batch_is_ignored(etl: Etl) -> None:
    first = etl.put(NETFLIX, titles_csv("s1"))
    second = etl.put(NETFLIX, titles_csv("s2"))

    etl.load(second, first)

    assert etl.ids() == ["ns2"]


def test_sequencers_of_different_lengths_compare_right_padded(etl: Etl) -> None:
    loaded = etl.put(NETFLIX, titles_csv("s1"))
    etl.load(Upload(loaded.key, loaded.etag, "0062E9A5B7C1"))
    replaced = etl.put(NETFLIX, titles_csv("s2"))

    etl.load(Upload(replaced.key, replaced.etag, "0062E9A5B7C0FF"))

    assert etl.ids() == ["ns1"]


def test_form_encoded_keys_with_spaces_and_plus_signs_are_decoded(etl: Etl) -> None:
    key = "raw/my uploads/a+b/netflix_titles.csv"
    upload = etl.put(key, titles_csv("s9"))
    record = s3_record(upload, etl.bucket)
    assert record["s3"]["object"]["key"] == "raw/my+uploads/a%2Bb/netflix_titles.csv"

    etl.load(upload)

    assert etl.ids() == ["ns9"]
    assert etl.rows("SELECT key FROM etl.loaded_objects") == [(key,)]


def test_s3_test_event_and_plain_s3_events_are_understood(etl: Etl) -> None:
    test_message = sqs_event(etl.bucket)
    test_message["Records"] = [
        {"eventSource": "aws:sqs", "messageId": "t", "body": json.dumps({"Event": "s3:TestEvent"})}
    ]
    assert etl.invoke(test_message) == {"batchItemFailures": []}

    upload = etl.put(NETFLIX, titles_csv("s4"))
    result = etl.invoke({"Records": [s3_record(upload, etl.bucket)]})

    assert result["catalog_version"] == 1 and etl.ids() == ["ns4"]


def test_a_deleted_object_is_skipped_not_an_error(
    database_url: str, unversioned_bucket: str
) -> None:
    """Unversioned: in the template's bucket a delete only hides the announced version behind a
    marker, and that version loads (a deleted version fails: test_etl_batch_failures.py)."""
    etl = Etl(database_url, unversioned_bucket)
    upload = etl.put(NETFLIX, titles_csv("s1"))
    etl.s3.delete_object(Bucket=etl.bucket, Key=NETFLIX)

    result = etl.load(upload)

    assert result["batchItemFailures"] == []
    assert not result["swapped"] and etl.version() is None


@pytest.mark.parametrize("bucket_of", ["bucket", "unversioned_bucket"])
def test_an_event_naming_only_the_key_loads_the_current_object_once(
    database_url: str, request: pytest.FixtureRequest, bucket_of: str
) -> None:
    """A hand-written event (events/etl_raw_*.json) cannot know the ETag, version or sequencer
    of the user's upload: they come from HeadObject, so invoking it again changes nothing and a
    new upload is loaded."""
    etl = Etl(database_url, request.getfixturevalue(bucket_of))
    event = sqs_event(etl.bucket, Upload(NETFLIX, etag="", sequencer=""))
    first = etl.put(NETFLIX, titles_csv("s1"))

    loaded = etl.invoke(event)
    again = etl.invoke(event)

    assert loaded["swapped"] and not again["swapped"] and etl.version() == 1
    assert etl.rows("SELECT etag, version_id, sequencer FROM etl.loaded_objects") == [
        (first.etag, first.version_id, None)
    ]
    etl.put(NETFLIX, titles_csv("s2"))
    assert etl.invoke(event)["swapped"] and etl.ids() == ["ns2"]
