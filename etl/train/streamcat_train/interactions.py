"""The training input written by the ETL: `curated/interactions/v<version>.npz` with `item_ids`
(catalog ids), `user` (userId), `item` (index into item_ids) and `rating2` (rating * 2)."""

import re
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

_KEY = re.compile(r"interactions/v(\d{1,18})\.npz")


@dataclass(frozen=True)
class Ratings:
    """Ratings over the catalog's title indexes (unknown ids dropped)."""

    user: npt.NDArray[np.int64]
    item: npt.NDArray[np.int64]
    rating: npt.NDArray[np.float32]


class InteractionsError(ValueError):
    """The interactions object is not what the ETL writes."""


def version_of(key: str) -> int:
    """The catalog version in an interactions key, e.g. 7 for `curated/interactions/v7.npz`."""
    found = _KEY.search(key)
    if found is None or not key.endswith(found.group(0)):
        raise InteractionsError(f"{key!r} is not an interactions key (…interactions/v<n>.npz)")
    return int(found.group(1))


def read_ratings(file: BinaryIO, catalog_ids: list[str]) -> Ratings:
    """Map the file's item indexes onto the catalog's order; ids the catalog lacks are dropped."""
    try:
        with np.load(file, allow_pickle=False) as data:
            item_ids, user, item, rating2 = (
                data[name] for name in ("item_ids", "user", "item", "rating2")
            )
    except (KeyError, ValueError, OSError) as error:
        raise InteractionsError(f"unreadable interactions file: {error}") from error
    if not (len(user) == len(item) == len(rating2)) or user.ndim != 1:
        raise InteractionsError("user, item and rating2 must be 1-d arrays of one length")
    if len(item) and (item.min() < 0 or item.max() >= len(item_ids) or user.min() < 0):
        raise InteractionsError("item indexes must point into item_ids and users be >= 0")
    position = {title_id: i for i, title_id in enumerate(catalog_ids)}
    to_catalog = np.array([position.get(str(t), -1) for t in item_ids], dtype=np.int64)
    mapped = to_catalog[item]
    known = mapped >= 0
    return Ratings(
        user=user[known].astype(np.int64),
        item=mapped[known],
        rating=rating2[known].astype(np.float32) / 2,
    )
