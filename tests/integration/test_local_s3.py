"""Local S3: moto started as the stack starts it, provisioned from the template, and the
events it queues corrected into the exact shape S3 sends."""

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus

import pytest

from local.cloud import LocalCloud, provision
from local.iam import client
from local.s3 import (
    GenuineS3Events,
    LocalS3Error,
    MotoServer,
    s3_event_key,
    start_moto,
    version_lookup,
)
from local.template import load_template
from tests.support.local import UNUSED_LOGIN, provisioned_cloud, receive_all

BUCKET = "streamcat-local"
REGION = "us-east-1"
KEY = "raw/titles/my file+1 (copy)=2.csv"


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    """A new moto server with the template's resources (each test sees S3's test events)."""
    with provisioned_cloud() as provisioned:
        yield provisioned


def _clients(cloud: LocalCloud) -> tuple[Any, Any]:
    return (
        client("s3", cloud.endpoint_url, REGION, cloud.deployer),
        client("sqs", cloud.endpoint_url, REGION, cloud.deployer),
    )


def _queue(cloud: LocalCloud, name: str) -> str:
    return cloud.resources[name]["Ref"]


def _bodies(cloud: LocalCloud, queue: str) -> list[dict[str, Any]]:
    s3, sqs = _clients(cloud)
    normalise = GenuineS3Events(version_lookup(s3))
    return [
        json.loads(normalise(m["MessageId"], m["Body"]))
        for m in receive_all(sqs, _queue(cloud, queue))
    ]


def test_put_under_raw_queues_the_event_s3_sends(cloud: LocalCloud) -> None:
    s3, _ = _clients(cloud)
    put = s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"show_id\n")
    etag = put["ETag"].strip('"')

    test_event, put_event = _bodies(cloud, "RawUploadsQueue")

    assert test_event["Event"] == "s3:TestEvent"
    assert test_event["Bucket"] == BUCKET
    assert {"Service", "Time", "RequestId", "HostId"} <= test_event.keys()
    (record,) = put_event["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == REGION
    assert {"userIdentity", "requestParameters", "responseElements"} <= record.keys()
    assert record["s3"]["bucket"]["name"] == BUCKET
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{BUCKET}"
    obj = record["s3"]["object"]
    assert obj["key"] == "raw/titles/my+file%2B1+%28copy%29%3D2.csv"
    assert unquote_plus(obj["key"]) == KEY
    assert obj["eTag"] == etag
    assert obj["size"] == len(b"show_id\n")
    assert int(obj["sequencer"], 16) > 0
    assert obj["versionId"] == put["VersionId"]  # the bucket is versioned, as the template says


def test_interactions_prefix_has_its_own_queue_and_other_prefixes_none(
    cloud: LocalCloud,
) -> None:
    s3, sqs = _clients(cloud)
    receive_all(sqs, _queue(cloud, "RawUploadsQueue"))
    receive_all(sqs, _queue(cloud, "InteractionsQueue"))  # the test events
    s3.put_object(Bucket=BUCKET, Key="curated/interactions/v7.json", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="curated/ratings/source=1/part-0.parquet", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key="quarantine/raw/ratings/1.csv", Body=b"x")

    (event,) = _bodies(cloud, "InteractionsQueue")
    assert event["Records"][0]["s3"]["object"]["key"] == "curated/interactions/v7.json"
    assert receive_all(sqs, _queue(cloud, "RawUploadsQueue")) == []


def test_refuses_to_provision_a_remote_endpoint() -> None:
    with pytest.raises(LocalS3Error, match="not a loopback endpoint"):
        provision(load_template(), "https://s3.us-east-1.amazonaws.com", REGION, UNUSED_LOGIN)


def test_taken_port_is_a_clear_error() -> None:
    server: MotoServer = start_moto()
    try:
        with pytest.raises(LocalS3Error, match=f"127.0.0.1:{server.port}: Address already in use"):
            start_moto(server.port)
    finally:
        server.stop()


def test_sequencer_is_kept_on_redelivery_and_grows_with_arrival() -> None:
    normalise = GenuineS3Events()
    body = _moto_body("raw%2Fratings%2F1.csv")

    first_body = normalise("message-1", body)
    assert normalise("message-1", body) == first_body
    first = json.loads(first_body)["Records"][0]["s3"]["object"]
    later = json.loads(normalise("message-2", body))["Records"][0]["s3"]["object"]

    assert first["key"] == "raw/ratings/1.csv"
    assert int(later["sequencer"], 16) > int(first["sequencer"], 16)
    assert len(later["sequencer"]) == len(first["sequencer"])


def test_genuine_events_and_other_bodies_pass_unchanged() -> None:
    normalise = GenuineS3Events()
    genuine = normalise("m", _moto_body("raw%2Fa+b.csv"))

    assert normalise("m2", genuine) == genuine
    assert normalise("n1", "not json") == "not json"
    assert normalise("n2", '{"Records": [{"eventSource": "aws:sns"}]}') == (
        '{"Records": [{"eventSource": "aws:sns"}]}'
    )


def test_s3_event_key_encodes_like_s3() -> None:
    assert s3_event_key("raw/titles/a b+c.csv") == "raw/titles/a+b%2Bc.csv"
    assert s3_event_key("raw/ratings/ñ.csv") == "raw/ratings/%C3%B1.csv"


def _moto_body(key: str) -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": REGION,
                    "eventTime": "2024-01-01T00:00:00.000Z",
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "raw-uploads",
                        "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                        "object": {"key": key, "size": 1, "eTag": "abc"},
                    },
                }
            ]
        }
    )
