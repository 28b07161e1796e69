"""The training input: a manifest naming each ratings file's training part and Parquet and
their number of ratings; the parts read one at a time and matched to the catalog's order, the
ratings of ids the catalog lacks dropped."""

import io
import json

import numpy as np
import pyarrow as pa
import pytest

from streamcat.training_input import (
    InteractionsError,
    TrainingManifest,
    manifest_bytes,
    part_bytes,
    read_manifest,
    read_training_ratings,
    version_of,
)
from streamcat_etl.ratings import encode_movies, rating_halves, rating_stats


def _part(*rows: tuple[int, float, str]) -> bytes:
    """A part as the ETL writes it."""
    users, ratings, movies = zip(*rows, strict=True)
    table = pa.table(
        {
            "userId": pa.array(users, pa.int32()),
            "rating": pa.array(ratings, pa.float32()),
            "timestamp": pa.array([0] * len(rows), pa.int64()),
            "movieId": pa.array(movies, pa.string()),
        }
    )
    encoded, halves = encode_movies(table), rating_halves(table)
    counts = rating_stats(encoded, halves)["votes"].to_numpy()
    users = table["userId"].to_numpy()
    return part_bytes(encoded.ids.to_pylist(), encoded.index, counts, users, halves)


def test_every_part_maps_to_catalog_order_and_unknown_ids_drop() -> None:
    files = {
        "a": _part((1, 4.5, "ns2"), (2, 1.0, "gone"), (4, 0.5, "ns2")),
        "b": _part((3, 2.0, "ds1")),
    }

    ratings = read_training_ratings(["a", "b"], files.__getitem__, ["ds1", "ns2"])

    triples = zip(
        ratings.user.tolist(), ratings.item.tolist(), ratings.rating.tolist(), strict=True
    )
    assert sorted(triples) == [(1, 1, 4.5), (3, 0, 2.0), (4, 1, 0.5)]


def test_the_manifest_reads_back_as_written_and_its_key_names_the_version() -> None:
    written = manifest_bytes("load-1", ["t/1.npz", "t/2.npz"], ["r/1.parquet", "r/2.parquet"], 7)

    assert read_manifest(written) == TrainingManifest(
        "load-1", ["t/1.npz", "t/2.npz"], ["r/1.parquet", "r/2.parquet"], 7
    )
    assert version_of("curated/interactions/v4.json") == 4


_GOOD = {"load_id": "l", "training": ["t/1.npz"], "parquet": ["r/1.parquet"], "ratings": 3}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({k: v for k, v in _GOOD.items() if k != "parquet"}, "lacks parquet"),
        ({k: v for k, v in _GOOD.items() if k != "ratings"}, "lacks ratings"),
        ({**_GOOD, "load_id": 5}, "`load_id` must be a string"),
        ({**_GOOD, "training": "t/1.npz"}, "`training` must be a list of keys"),
        ({**_GOOD, "training": [1]}, "`training` must be a list of keys"),
        ({**_GOOD, "parquet": [None]}, "`parquet` must be a list of keys"),
        ({**_GOOD, "parquet": []}, "one file per training part"),
        ({**_GOOD, "ratings": -1}, "`ratings` must be a count"),
        ({**_GOOD, "ratings": 2.5}, "`ratings` must be a count"),
        ({**_GOOD, "ratings": True}, "`ratings` must be a count"),
        ([_GOOD], "must be a JSON object"),
    ],
)
def test_a_malformed_manifest_is_an_interactions_error_saying_what(
    fields: object, message: str
) -> None:
    with pytest.raises(InteractionsError, match=message):
        read_manifest(json.dumps(fields).encode())


def test_a_manifest_that_is_not_json_is_an_interactions_error() -> None:
    with pytest.raises(InteractionsError, match="unreadable interactions manifest"):
        read_manifest(b"not json")


def test_a_part_that_is_not_one_is_named_in_the_error() -> None:
    with pytest.raises(InteractionsError, match=r"broken\.npz"):
        read_training_ratings(["broken.npz"], lambda _: b"nope", ["ns1"])


def test_a_part_whose_counts_do_not_add_up_is_refused() -> None:
    buffer = io.BytesIO()
    np.savez(
        buffer,
        movie_ids=np.array(["ns1"]),
        counts=np.array([3]),
        user=np.array([1], np.int32),
        rating2=np.array([8], np.uint8),
    )
    with pytest.raises(InteractionsError, match="one value per counted rating"):
        read_training_ratings(["p"], lambda _: buffer.getvalue(), ["ns1"])
