"""What the ratings say about a title: its row of a TruncatedSVD of the user-mean-centred
user x title matrix, so titles the same users rate alike point the same way."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd

from streamcat_train.interactions import Ratings

CONFIDENCE_VOTES = 20.0
"""A title with this many ratings gets half the weight of a title with very many."""


@dataclass(frozen=True)
class RatingsModel:
    """Singular values and item factors, kept beside the model for inspection."""

    singular_values: npt.NDArray[np.float32]
    item_factors: npt.NDArray[np.float32]


def _dense_rows(user: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Row numbers for user ids: the ids themselves when they are small (userIds count up from
    1, and a sort of 11 million ids costs seconds), else their rank."""
    if user.max() < 4 * len(user) + 1_000_000:
        return user
    rows: npt.NDArray[np.int64] = np.unique(user, return_inverse=True)[1]
    return rows


def ratings_embedding(
    ratings: Ratings, n_items: int, dims: int, seed: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], RatingsModel]:
    """Unit rows (zero for unrated titles) and each title's confidence in [0, 1)."""
    votes = np.bincount(ratings.item, minlength=n_items).astype(np.float32)
    confidence = votes / (votes + CONFIDENCE_VOTES)
    if len(ratings.user) == 0:
        empty = np.zeros((n_items, 0), dtype=np.float32)
        return empty, confidence, RatingsModel(np.zeros(0, dtype=np.float32), empty)
    user_row = _dense_rows(ratings.user)
    sums = np.bincount(user_row, weights=ratings.rating)
    counts = np.maximum(np.bincount(user_row), 1)
    centred = ratings.rating - (sums / counts).astype(np.float32)[user_row]
    matrix = sp.csr_matrix(
        (centred, (user_row, ratings.item)), shape=(len(counts), n_items), dtype=np.float32
    )
    rank = max(1, min(dims, min(matrix.shape) - 1))
    _, singular, vt = randomized_svd(
        matrix,
        rank,
        n_oversamples=8,
        n_iter=2,
        power_iteration_normalizer="none",
        random_state=seed,
    )
    factors = (vt.T * singular).astype(np.float32)
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    unit = np.divide(factors, norms, out=np.zeros_like(factors), where=norms > 0)
    return unit, confidence, RatingsModel(singular.astype(np.float32), factors)
