"""The baselines the served recommender is judged against, each as per-title lists: row i holds
the k titles recommended for title i, best first, never i itself (nor, where the method can
tell, a copy of i on another platform).

- `seed_kmeans_lists`: the seed API's KMeans on (score, type).
- `popularity_lists`: the most rated titles, whatever the query.
- `item_knn_lists`: item-item cosine of the training co-ratings, shrunk by how many users
  rated both titles.
- `svd_only_lists` and `content_only_lists`: the served blend's co-rating SVD alone (the
  cosine of its title factors) and its content part alone (same signals, the other parts
  weighted 0).
- `svd_boosted_lists`: the blend's co-rating term exactly as served, alone: that cosine times
  the candidate's damped factor length (gamma), which leans towards much-rated titles.
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.cluster import KMeans

from streamcat.training_input import Ratings
from streamcat_train.catalog_titles import CatalogTitles
from streamcat_train.model import DEFAULT_WEIGHTS, BlendWeights, Signals, blend, families
from streamcat_train.neighbours import CHUNK, _block_top

Lists = npt.NDArray[np.int64]
Rows = npt.NDArray[np.int64] | None

SHRINKAGE = 100.0
"""Item-kNN: a pair co-rated by n users keeps n / (n + SHRINKAGE) of its cosine (the
evaluation picks its own on the validation split, from `SHRINKAGES`)."""
SHRINKAGES = (100.0, 400.0, 1600.0, 6400.0, 25600.0)
KNN_BLOCK = 256
"""Item-kNN: titles whose similarity rows are computed at once (256 x titles floats)."""

SVD_ONLY = BlendWeights(content=0.0, ratings=1.0, gamma=0.0, quality=0.0)
SVD_BOOSTED = BlendWeights(content=0.0, ratings=1.0, gamma=DEFAULT_WEIGHTS.gamma, quality=0.0)
CONTENT_ONLY = BlendWeights(content=1.0, ratings=0.0, quality=0.0)


def top_columns(scores: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int32]:
    """Per row of a score matrix (-inf for excluded columns), the k best columns, best first,
    by the chunk search the served model's neighbours use (streamcat_train.neighbours)."""
    rows, n = scores.shape
    if not 0 < k < n:
        raise ValueError(f"k must be between 1 and {n - 1}, got {k}")
    n_chunks = -(-n // CHUNK)
    padded = np.full((rows, n_chunks * CHUNK), -np.inf, dtype=np.float32)
    padded[:, :n] = scores
    return _block_top(padded, k, n_chunks)


def seed_kmeans_lists(catalog: CatalogTitles, k: int, seed: int = 0) -> Lists:
    """The seed API's recommender: KMeans (3 clusters) on (score, type), then the best-scored
    titles of the query's cluster (the seed returned 5; `k` of them here, the query excluded).
    Unrated titles take the mean score, as the seed's fillna did."""
    scores = np.where(np.isnan(catalog.scores), np.nanmean(catalog.scores), catalog.scores)
    is_show = np.array([t == "tv show" for t in catalog.types], dtype=np.float64)
    labels = KMeans(n_clusters=3, n_init=10, random_state=seed).fit_predict(
        np.column_stack([scores, is_show])
    )
    lists = np.empty((len(scores), k), dtype=np.int64)
    for cluster in np.unique(labels):
        members = np.flatnonzero(labels == cluster)
        best = members[np.lexsort((members, -scores[members]))][: k + 1]
        for i in members:
            lists[i] = best[best != i][:k]
    return lists


def popularity_lists(catalog: CatalogTitles, k: int) -> Lists:
    """The most rated titles, the query and its copies excluded."""
    family = families(catalog.titles)
    order = np.lexsort((np.arange(len(catalog)), -catalog.votes))
    head = order[: k + 8]
    lists = np.empty((len(catalog), k), dtype=np.int64)
    for i in range(len(catalog)):
        lists[i] = head[family[head] != family[i]][:k]
    return lists


def svd_only_lists(parts: Signals, k: int, rows: Rows = None) -> Lists:
    """The classic SVD item-item baseline: the cosine of the titles' factors of the shifted
    user x title matrix; no content, no quality prior, no popularity boost."""
    return blend(parts, SVD_ONLY, k, rows).astype(np.int64)


def svd_boosted_lists(parts: Signals, k: int, rows: Rows = None) -> Lists:
    """The blend's co-rating term as served, alone: the cosine times the candidate's factor
    length to the power gamma (how much it is rated and liked)."""
    return blend(parts, SVD_BOOSTED, k, rows).astype(np.int64)


def content_only_lists(parts: Signals, k: int, rows: Rows = None) -> Lists:
    """The blend's content term alone: cosine of the TF-IDF/SVD content vectors."""
    return blend(parts, CONTENT_ONLY, k, rows).astype(np.int64)


def item_knn_lists(
    ratings: Ratings,
    titles: list[str],
    k: int,
    shrinkage: float = SHRINKAGE,
    rows: Rows = None,
) -> Lists:
    """Item-item cosine of the columns of the user x title matrix, times n_ij / (n_ij +
    shrinkage) with n_ij the number of users who rated both, top k per title (see
    `item_knn_lists_by_shrinkage`)."""
    return item_knn_lists_by_shrinkage(ratings, titles, k, [shrinkage], rows)[shrinkage]


def item_knn_lists_by_shrinkage(
    ratings: Ratings,
    titles: list[str],
    k: int,
    shrinkages: Sequence[float],
    rows: Rows = None,
    block: int = KNN_BLOCK,
) -> dict[float, Lists]:
    """Item-kNN lists for each shrinkage, from one pass over who rated what (the classic
    implicit-feedback item-kNN: the cosine's product also counts the co-ratings; the shifted
    ratings, as the SVD sees them, need a second product and scored within 0.005 hit rate@5 at
    2 million ratings). Similarity rows are computed a block of titles at a time, so memory
    stays at a few blocks whatever the number of titles. Ties go to the most rated."""
    n = len(titles)
    family = families(titles)
    user = np.unique(ratings.user, return_inverse=True)[1]
    shape = (int(user.max()) + 1, n)
    ones = np.ones(len(user), dtype=np.float32)
    by_user = sp.csr_matrix((ones, (user, ratings.item)), shape=shape)
    by_title = by_user.T.tocsr()
    norms = np.sqrt(np.asarray(by_user.multiply(by_user).sum(axis=0)).ravel()).astype(np.float32)
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    votes = np.asarray(by_user.sum(axis=0)).ravel()
    tie_break = (votes / (votes.max() + 1.0) * 1e-6).astype(np.float32)
    index = np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
    lists = {s: np.empty((len(index), k), dtype=np.int64) for s in shrinkages}
    for start in range(0, len(index), block):
        titles_block = index[start : start + block]
        cosine = (by_title[titles_block] @ by_user).toarray()
        together = cosine.copy()  # binary values: the product counts the co-ratings
        cosine *= inverse[titles_block, None]
        cosine *= inverse[None, :]
        excluded = family[titles_block][:, None] == family[None, :]
        for shrinkage in shrinkages:
            kept = np.divide(
                together,
                together + np.float32(shrinkage),
                out=np.zeros_like(together),
                where=together > 0,
            )
            similarity = cosine * kept
            similarity += tie_break[None, :]
            similarity[excluded] = -np.inf
            top = top_columns(similarity.astype(np.float32, copy=False), k)
            lists[shrinkage][start : start + len(titles_block)] = top
    return lists
