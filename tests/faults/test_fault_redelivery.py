"""S3 notifications delivered twice, late and out of order, for a whole mixed batch (titles,
ratings, a rejected file): nothing changes, neither the catalog nor anything in S3. The bucket
is versioned, so a late notification still finds its (old) object: only the sequencer tells
it is stale."""

import itertools

import pytest

from local.notifications import Upload
from tests.support.etl import Etl, ratings_csv, titles_csv

NETFLIX = "raw/titles/netflix_titles.csv"
RATINGS = "raw/ratings/2.csv"
BAD = "raw/titles/hulu_titles.csv"


_sequencers = itertools.count(0x0062F000000000000000)


@pytest.fixture
def etl(database_url: str, bucket: str) -> Etl:
    return Etl(database_url, bucket)


def _put(etl: Etl, key: str, data: bytes) -> Upload:
    response = etl.s3.put_object(Bucket=etl.bucket, Key=key, Body=data)
    etag, version = response["ETag"].strip('"'), response["VersionId"]
    return Upload(key, etag, f"{next(_sequencers):020X}", version)


def _everything(etl: Etl) -> tuple[object, ...]:
    """The catalog, the ledger, the loads and every S3 object with its ETag."""
    listed = etl.s3.list_objects_v2(Bucket=etl.bucket).get("Contents", [])
    return (
        etl.version(),
        etl.rows("SELECT id, score, votes FROM catalog.titles ORDER BY id"),
        etl.rows("SELECT key, etag, sequencer FROM etl.loaded_objects ORDER BY key"),
        etl.rows("SELECT load_id, catalog_version FROM etl.loads ORDER BY load_id"),
        sorted((obj["Key"], obj["ETag"]) for obj in listed),
        len(etl.s3.list_object_versions(Bucket=etl.bucket).get("Versions", [])),
    )


def test_a_batch_redelivered_reversed_after_newer_uploads_changes_nothing(etl: Etl) -> None:
    first = (
        _put(etl, NETFLIX, titles_csv("s1", "s2")),
        _put(etl, RATINGS, ratings_csv((1, 4.0, "ns1"))),
        _put(etl, BAD, b"junk\n"),
    )
    etl.load(*first)
    newer = (
        _put(etl, NETFLIX, titles_csv("s1", "s2", "s3")),
        _put(etl, RATINGS, ratings_csv((1, 2.0, "ns1"), (2, 5.0, "ns3"))),
    )
    etl.load(*newer)
    settled = _everything(etl)

    results = [
        etl.load(*reversed(first)),
        etl.load(*first, *newer),
        etl.load(*reversed(newer)),
    ]

    assert [r["swapped"] for r in results] == [False] * 3
    assert _everything(etl) == settled
    assert settled[1] == [("ns1", 2.0, 1), ("ns2", None, 0), ("ns3", 5.0, 1)]
