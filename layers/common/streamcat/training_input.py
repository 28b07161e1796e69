"""The training input, written by the ETL and read by the trainer: per ratings file a part
(`.npz`, plain numpy arrays: the file's `movie_ids`, the `counts` of ratings of each, then every
rating's `user` and `rating2` (half stars) grouped by movie in that order, 5 bytes a rating),
and per catalog version a manifest whose upload triggers training: the parts of its ratings
files, the same files' curated Parquet (what a Spark job reads instead), and their number of
ratings (which decides where training runs). numpy alone reads the parts: pyarrow does not fit
beside scikit-learn and SciPy in the trainer's 250 MB. Parts are read one at a time and mapped
onto the catalog's order through their few thousand ids, so memory holds the compact arrays and
one part."""

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streamcat.s3_layout import S3Layout

PART_ARRAYS = ("movie_ids", "counts", "user", "rating2")


class InteractionsError(ValueError):
    """The manifest or a part it names is not what the ETL writes."""


@dataclass(frozen=True)
class Ratings:
    """Ratings over the catalog's title indexes (unknown ids dropped)."""

    user: npt.NDArray[np.int64]
    item: npt.NDArray[np.int64]
    rating: npt.NDArray[np.float32]


def part_bytes(
    movie_ids: list[str],
    movie_index: npt.NDArray[np.int32],
    counts: npt.NDArray[np.int64],
    user: npt.NDArray[np.int32],
    rating2: npt.NDArray[np.uint8],
) -> bytes:
    """One ratings file's part, uncompressed so the trainer loads it at disk speed. Per rating
    its `movie_index` into `movie_ids`, its `user` and `rating2`; `counts[i]`: the ratings of
    `movie_ids[i]`."""
    if len(movie_ids) <= np.iinfo(np.uint16).max:
        movie_index = movie_index.astype(np.uint16)  # a stable sort of 16-bit keys is a radix sort
    order = np.argsort(movie_index, kind="stable")
    part = io.BytesIO()
    np.savez(
        part,
        movie_ids=np.array(movie_ids, dtype=str),
        counts=counts,
        user=user[order],
        rating2=rating2[order],
    )
    return part.getvalue()


@dataclass(frozen=True)
class TrainingManifest:
    """One catalog version's training input: per ratings file its part and its Parquet, in the
    same order, and the ratings the ETL counted in all of them (unmatched movieIds included)."""

    load_id: str
    parts: list[str]
    parquet: list[str]
    ratings: int


def manifest_bytes(load_id: str, parts: list[str], parquet: list[str], ratings: int) -> bytes:
    return json.dumps(
        {"load_id": load_id, "training": parts, "parquet": parquet, "ratings": ratings}
    ).encode()


def version_of(key: str) -> int:
    """The catalog version a manifest key names."""
    version = S3Layout.manifest_version(key)
    if version is None:
        raise InteractionsError(f"{key!r} is not an interactions key (…interactions/v<n>.json)")
    return version


def read_manifest(data: bytes) -> TrainingManifest:
    """Raises InteractionsError naming what is missing or wrong."""
    try:
        fields = json.loads(data)
    except ValueError as error:
        raise InteractionsError(f"unreadable interactions manifest: {error}") from error
    if not isinstance(fields, dict):
        raise InteractionsError("the interactions manifest must be a JSON object")
    missing = [name for name in ("load_id", "training", "parquet", "ratings") if name not in fields]
    if missing:
        raise InteractionsError(f"the interactions manifest lacks {', '.join(missing)}")
    load_id, parts, parquet, ratings = (
        fields[name] for name in ("load_id", "training", "parquet", "ratings")
    )
    if not isinstance(load_id, str):
        raise InteractionsError("the manifest's `load_id` must be a string")
    for name, keys in (("training", parts), ("parquet", parquet)):
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise InteractionsError(f"the manifest's `{name}` must be a list of keys")
    if len(parquet) != len(parts):
        raise InteractionsError("the manifest's `parquet` must name one file per training part")
    if isinstance(ratings, bool) or not isinstance(ratings, int) or ratings < 0:
        raise InteractionsError("the manifest's `ratings` must be a count (an integer >= 0)")
    return TrainingManifest(load_id, parts, parquet, ratings)


def read_training_ratings(
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
