"""The training input: a manifest naming each ratings file's training part, read one part at a
time and matched to the catalog's order; ratings of ids the catalog lacks are dropped."""

import io
import json

import numpy as np
import pyarrow as pa
import pytest

from streamcat.training_input import (
    InteractionsError,
    part_bytes,
    part_keys,
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


def test_the_manifest_names_the_parts_and_its_key_the_version() -> None:
    manifest = json.dumps({"training": ["x/1.npz"]}).encode()
    assert part_keys(manifest) == ["x/1.npz"]
    assert version_of("curated/interactions/v4.json") == 4


@pytest.mark.parametrize(
    "manifest", [b"not json", b"{}", b'{"training": "x"}', b'{"training": [1]}']
)
def test_a_broken_manifest_is_an_interactions_error(manifest: bytes) -> None:
    with pytest.raises(InteractionsError):
        part_keys(manifest)


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
