"""The training input written by the ETL: `curated/interactions/v<version>.json`, a manifest
naming the catalog version and, for each of its ratings files, that file's training part
(`curated/training/source=<n>/part-0.npz`: the ratings grouped by movie, `counts` per entry of
the part's own `movie_ids`, then each rating's `user` and `rating2` (half stars)).

The parts are read one at a time, and each is mapped onto the catalog's order through its few
thousand ids, so memory holds the compact arrays and one file's part. numpy alone reads them:
pyarrow, which the ratings Parquet needs, does not fit beside scikit-learn and SciPy in the
function's 250 MB."""

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

_KEY = re.compile(r"interactions/v(\d{1,18})\.json")
PART_ARRAYS = ("movie_ids", "counts", "user", "rating2")


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


def part_keys(manifest: bytes) -> list[str]:
    """The training parts a manifest names."""
    try:
        document = json.loads(manifest)
        keys = document["training"]
    except (ValueError, KeyError, TypeError) as error:
        raise InteractionsError(f"unreadable interactions manifest: {error}") from error
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise InteractionsError("the manifest's `training` must be a list of keys")
    return keys


def read_ratings(
    keys: Iterable[str], read: Callable[[str], bytes], catalog_ids: list[str]
) -> Ratings:
    """Every named part's ratings over the catalog's order (`read` fetches one part's bytes);
    ratings of ids the catalog lacks are dropped."""
    position = {title_id: i for i, title_id in enumerate(catalog_ids)}
    parts = [_part(read(key), key, position) for key in keys]
    if not parts:
        return Ratings(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32))
    return Ratings(
        user=np.concatenate([p.user for p in parts]),
        item=np.concatenate([p.item for p in parts]),
        rating=np.concatenate([p.rating for p in parts]),
    )


def _part(data: bytes, key: str, position: dict[str, int]) -> Ratings:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as part:
            movie_ids, counts, user, rating2 = (part[name] for name in PART_ARRAYS)
    except (KeyError, ValueError, OSError) as error:
        raise InteractionsError(f"{key}: unreadable training part: {error}") from error
    if len(counts) != len(movie_ids) or (len(counts) and counts.min() < 0):
        raise InteractionsError(f"{key}: counts must give each of movie_ids a number of ratings")
    if not (int(counts.sum()) == len(user) == len(rating2)) or user.ndim != 1:
        raise InteractionsError(f"{key}: user and rating2 must hold one value per counted rating")
    if len(user) and user.min() < 0:
        raise InteractionsError(f"{key}: users must be >= 0")
    to_catalog = np.array([position.get(str(m), -1) for m in movie_ids], dtype=np.int64)
    item = np.repeat(to_catalog, counts)
    known = item >= 0
    return Ratings(
        user=user[known].astype(np.int64),
        item=item[known],
        rating=rating2[known].astype(np.float32) / 2,
    )
