"""Which objects an event announces, in which order, and what their names make of them."""

import json

import pytest

from local.notifications import Upload, s3_record, sqs_event
from streamcat.platforms import Platform
from streamcat.s3_events import batch_item_failures, is_older, object_events
from streamcat_etl.raw_files import RatingsFile, TitlesFile, recognise


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("0055AED6DCD90281E5", "0055AED6DCD90281E6"),
        ("0062E9A5B7C1", "0062E9A5B7C10001"),
        ("0062e9a5b7c0ff", "0062E9A5B7C1"),
    ],
)
def test_sequencers_compare_as_right_padded_hex(older: str, newer: str) -> None:
    assert is_older(older, newer) and not is_older(newer, older)


def test_unknown_sequencers_order_nothing() -> None:
    assert not is_older(None, "01") and not is_older("01", None)
    assert not is_older("0A", "0a")


def test_sqs_bodies_are_decoded_keys_unquoted_and_the_newest_per_key_kept() -> None:
    old = Upload("raw/a b/x+y.csv", "e1", "0A")
    new = Upload("raw/a b/x+y.csv", "e2", "0B")
    event = sqs_event("bkt", new, old, Upload("raw/ratings/1.csv", "e3", "01"))

    found = object_events(event)

    assert [(o.key, o.etag) for o in found] == [
        ("raw/a b/x+y.csv", "e2"),
        ("raw/ratings/1.csv", "e3"),
    ]


def test_test_events_junk_bodies_and_removals_are_ignored() -> None:
    removed = s3_record(Upload("raw/ratings/1.csv", "e", "01"), "bkt")
    removed["eventName"] = "ObjectRemoved:Delete"
    event = {
        "Records": [
            {"eventSource": "aws:sqs", "body": json.dumps({"Event": "s3:TestEvent"})},
            {"eventSource": "aws:sqs", "body": "not json"},
            {"eventSource": "aws:sqs", "body": json.dumps({"Records": [removed]})},
            "garbage",
        ]
    }
    assert object_events(event) == []


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("raw/titles/netflix_titles.csv", TitlesFile(Platform.NETFLIX)),
        ("raw/amazon_prime_titles.csv", TitlesFile(Platform.AMAZON)),
        ("raw/x/y/ratings/8.csv", RatingsFile(8)),
        ("raw/ratings/12.csv", RatingsFile(12)),
        ("raw/ratings/0.csv", None),
        ("raw/ratings/1.csv.bak", None),
        ("raw/ratings/../1.csv", None),
        ("raw/titles/Netflix_titles.csv", None),
        ("raw/myratings/1.csv", None),
    ],
)
def test_files_are_recognised_by_name(key: str, expected: object) -> None:
    assert recognise(key, "raw/") == expected


def test_each_object_keeps_the_ids_of_every_message_that_announced_it() -> None:
    old = Upload("raw/ratings/1.csv", "e1", "0A")
    new = Upload("raw/ratings/1.csv", "e2", "0B")
    titles = Upload("raw/titles/netflix_titles.csv", "e3", "01")
    event = sqs_event("bkt", new, titles, old, new)

    found = {o.key: o for o in object_events(event)}

    assert found["raw/ratings/1.csv"].etag == "e2"
    assert found["raw/ratings/1.csv"].message_ids == ("m0", "m2", "m3")
    assert found["raw/titles/netflix_titles.csv"].message_ids == ("m1",)


def test_one_message_announcing_several_objects_is_named_by_each() -> None:
    records = [s3_record(Upload(f"raw/ratings/{n}.csv", "e", "01"), "bkt") for n in (1, 2)]
    body = json.dumps({"Records": records})
    event = {"Records": [{"eventSource": "aws:sqs", "messageId": "both", "body": body}]}

    assert [o.message_ids for o in object_events(event)] == [("both",), ("both",)]


def test_plain_s3_events_carry_no_message_ids() -> None:
    event = {"Records": [s3_record(Upload("raw/ratings/1.csv", "e", "01"), "bkt")]}
    assert [o.message_ids for o in object_events(event)] == [()]


def test_batch_item_failures_name_each_message_of_the_failed_objects_once() -> None:
    event = sqs_event(
        "bkt",
        Upload("raw/ratings/1.csv", "e1", "0A"),
        Upload("raw/ratings/2.csv", "e2", "0A"),
        Upload("raw/ratings/1.csv", "e1", "0A"),
    )
    failed = [o for o in object_events(event) if o.key == "raw/ratings/1.csv"]

    assert batch_item_failures(failed) == [{"itemIdentifier": "m0"}, {"itemIdentifier": "m2"}]
    assert batch_item_failures([]) == []
