"""SPEC 3.10: redelivered, duplicated, late and out-of-order notifications change nothing;
keys arrive form-encoded."""

import json

import pytest

from local.notifications import Upload, s3_record, sqs_event
from streamcat.storage import s3_client
from tests.support.etl import Etl, titles_csv

NETFLIX = "raw/titles/netflix_titles.csv"


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    return Etl(database_url, bucket)


def test_same_event_twice_changes_nothing(etl: Etl) -> None:
    upload = etl.put(NETFLIX, titles_csv("s1"))
    etl.load(upload)
    loads_before = etl.rows("SELECT count(*) FROM etl.loads")

    again = etl.load(upload)

    assert not again["swapped"] and again["catalog_version"] == 1
    assert etl.version() == 1
    assert etl.rows("SELECT count(*) FROM etl.loads") == loads_before


def test_same_file_uploaded_twice_changes_nothing(etl: Etl) -> None:
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


def test_a_deleted_object_is_skipped_not_an_error(etl: Etl) -> None:
    upload = etl.put(NETFLIX, titles_csv("s1"))
    s3_client().delete_object(Bucket=etl.bucket, Key=NETFLIX)

    result = etl.load(upload)

    assert not result["swapped"] and etl.version() is None


@pytest.mark.parametrize("versioned", [False, True], ids=["unversioned", "versioned"])
def test_an_event_naming_only_the_key_loads_the_current_object_once(
    etl: Etl, versioned: bool
) -> None:
    """A hand-written event (events/etl_raw_*.json) cannot know the ETag, version or sequencer
    of the user's upload: they come from HeadObject, so invoking it again changes nothing and a
    new upload is loaded."""
    if versioned:
        etl.enable_versioning()
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
