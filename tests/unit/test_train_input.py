"""The training input: a manifest naming ratings Parquet files, read one file at a time and
matched to the catalog's order; ratings of ids the catalog lacks are dropped."""

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from streamcat_train.interactions import (
    InteractionsError,
    parquet_keys,
    read_ratings,
    version_of,
)


def _parquet(*rows: tuple[int, float, str]) -> bytes:
    users, ratings, movies = zip(*rows, strict=True)
    table = pa.table(
        {
            "userId": pa.array(users, pa.int32()),
            "rating": pa.array(ratings, pa.float32()),
            "timestamp": pa.array([0] * len(rows), pa.int64()),
            "movieId": pa.array(movies, pa.string()),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_ratings_of_every_file_map_to_catalog_order_and_unknown_ids_drop() -> None:
    files = {
        "a": _parquet((1, 4.5, "ns2"), (2, 1.0, "gone")),
        "b": _parquet((3, 2.0, "ds1")),
    }

    ratings = read_ratings(["a", "b"], files.__getitem__, ["ds1", "ns2"])

    assert ratings.user.tolist() == [1, 3]
    assert ratings.item.tolist() == [1, 0]
    assert ratings.rating.tolist() == [4.5, 2.0]


def test_the_manifest_names_the_files_and_its_key_the_version() -> None:
    manifest = json.dumps({"catalog_version": 4, "ratings": ["x/1.parquet"]}).encode()
    assert parquet_keys(manifest) == ["x/1.parquet"]
    assert version_of("curated/interactions/v4.json") == 4


@pytest.mark.parametrize("manifest", [b"not json", b"{}", b'{"ratings": "x"}', b'{"ratings": [1]}'])
def test_a_broken_manifest_is_an_interactions_error(manifest: bytes) -> None:
    with pytest.raises(InteractionsError):
        parquet_keys(manifest)


def test_a_file_that_is_not_parquet_is_named_in_the_error() -> None:
    with pytest.raises(InteractionsError, match=r"broken\.parquet"):
        read_ratings(["broken.parquet"], lambda _: b"nope", ["ns1"])
