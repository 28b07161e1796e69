"""What the ratings say about a title: its row of a TruncatedSVD of the user x title matrix of
ratings shifted by `RATING_SHIFT` (a 5 counts 3, a 2 counts 0, a 0.5 counts against), so titles
the same users rate and like point the same way, and a title's length grows with how much it
is rated and liked (which the similarity uses, damped, as "users who liked this also liked")."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd

from streamcat.training_input import Ratings

RATING_SHIFT = 2.0
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


def ratings_factors(ratings: Ratings, n_items: int, dims: int, seed: int) -> RatingsModel:
    """Item factors (singular vectors times singular values; zero rows for unrated titles)."""
    if len(ratings.user) == 0:
        return RatingsModel(np.zeros(0, np.float32), np.zeros((n_items, 0), np.float32))
    rows = _dense_rows(ratings.user)
    matrix = sp.csr_matrix(
        (ratings.rating - np.float32(RATING_SHIFT), (rows, ratings.item)),
        shape=(int(rows.max()) + 1, n_items),
        dtype=np.float32,
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
    return RatingsModel(singular.astype(np.float32), (vt.T * singular).astype(np.float32))


def confidence(
    votes: npt.NDArray[np.int64], trust_votes: float = CONFIDENCE_VOTES
) -> npt.NDArray[np.float32]:
    """How far a title's ratings can be trusted, in [0, 1): votes / (votes + trust_votes)."""
    counted = votes.astype(np.float32)
    trust: npt.NDArray[np.float32] = counted / (counted + np.float32(trust_votes))
    return trust
