"""The training input written by the ETL: `curated/interactions/v<version>.json`, a manifest
naming the catalog version and the ratings Parquet of each of its ratings files
(`curated/ratings/source=<n>/part-0.parquet`: userId, rating, timestamp, movieId).

The Parquet files are read one at a time and only their three useful columns, so memory holds
the compact arrays and one file's columns, never a whole table of strings."""

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_KEY = re.compile(r"interactions/v(\d{1,18})\.json")
COLUMNS = ["userId", "rating", "movieId"]


@dataclass(frozen=True)
class Ratings:
    """Ratings over the catalog's title indexes (unknown ids dropped)."""

    user: npt.NDArray[np.int64]
    item: npt.NDArray[np.int64]
    rating: npt.NDArray[np.float32]


class InteractionsError(ValueError):
    """The manifest or a file it names is not what the ETL writes."""


def version_of(key: str) -> int:
    """The catalog version in a manifest key, e.g. 7 for `curated/interactions/v7.json`."""
    found = _KEY.search(key)
    if found is None or not key.endswith(found.group(0)):
        raise InteractionsError(f"{key!r} is not an interactions key (…interactions/v<n>.json)")
    return int(found.group(1))


def parquet_keys(manifest: bytes) -> list[str]:
    try:
        document = json.loads(manifest)
        keys = document["ratings"]
    except (ValueError, KeyError, TypeError) as error:
        raise InteractionsError(f"unreadable interactions manifest: {error}") from error
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise InteractionsError("the manifest's `ratings` must be a list of keys")
    return keys


def read_ratings(
    keys: Iterable[str], read: Callable[[str], bytes], catalog_ids: list[str]
) -> Ratings:
    """Every named Parquet file's ratings over the catalog's order (`read` fetches one file's
    bytes); ratings of ids the catalog lacks are dropped."""
    catalog = pa.array(catalog_ids, pa.string())
    parts = [_part(read(key), key, catalog) for key in keys]
    if not parts:
        return Ratings(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
    return Ratings(
        user=np.concatenate([p.user for p in parts]),
        item=np.concatenate([p.item for p in parts]),
        rating=np.concatenate([p.rating for p in parts]),
    )


def _part(data: bytes, key: str, catalog: pa.Array) -> Ratings:
    try:
        table = pq.read_table(io.BytesIO(data), columns=COLUMNS)
    except (pa.ArrowException, OSError) as error:
        raise InteractionsError(f"{key}: unreadable ratings Parquet: {error}") from error
    if table["userId"].null_count or table["rating"].null_count:
        raise InteractionsError(f"{key}: userId and rating must have no missing values")
    item = pc.index_in(table["movieId"], value_set=catalog)
    known = pc.is_valid(item)
    user = pc.filter(table["userId"], known).to_numpy().astype(np.int64)
    if len(user) and user.min() < 0:
        raise InteractionsError(f"{key}: userId must be >= 0")
    return Ratings(
        user=user,
        item=pc.filter(item, known).to_numpy().astype(np.int64),
        rating=pc.filter(table["rating"], known).to_numpy().astype(np.float32),
    )
