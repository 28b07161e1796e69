"""The training input: every loaded, matched rating as three compact arrays over the catalog's
ids, written as `curated/interactions/v<version>.npz` (its upload triggers training)."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from streamcat_etl.ratings import match_catalog


@dataclass(frozen=True)
class Interactions:
    user: npt.NDArray[np.int32]
    item: npt.NDArray[np.int32]
    rating2: npt.NDArray[np.uint8]
    """The rating in half stars (rating * 2): exact, one byte."""


def from_matched(table: pa.Table, item: pa.Array) -> Interactions:
    halves = pc.cast(pc.multiply(table["rating"], pa.scalar(2.0, pa.float32())), pa.uint8())
    return Interactions(
        user=table["userId"].to_numpy().astype(np.int32, copy=False),
        item=item.to_numpy(zero_copy_only=False).astype(np.int32, copy=False),
        rating2=halves.to_numpy().astype(np.uint8, copy=False),
    )


def from_curated(path: Path, item_ids: pa.Array) -> Interactions:
    """A published ratings Parquet, matched again: the catalog may have changed since."""
    table = pq.read_table(path, columns=["userId", "rating", "movieId"])
    matched = match_catalog(table, item_ids)
    return from_matched(matched.table, matched.item)


def write_npz(path: Path, item_ids: pa.Array, parts: list[Interactions]) -> int:
    """Uncompressed, so the trainer loads it at disk speed; returns the number of ratings."""
    user = np.concatenate([p.user for p in parts])
    item = np.concatenate([p.item for p in parts])
    rating2 = np.concatenate([p.rating2 for p in parts])
    ids = np.array(item_ids.to_pylist(), dtype=str)
    with path.open("wb") as file:
        np.savez(file, item_ids=ids, user=user, item=item, rating2=rating2)
    return len(user)
