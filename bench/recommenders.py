"""The baselines the served recommender is judged against, each as per-title lists: row i holds
the k titles recommended for title i, best first, never i itself (nor, where the method can
tell, a copy of i on another platform): the seed API's KMeans, the most rated titles, item-kNN
of the co-ratings, and parts of the served blend alone (`BLENDS`).
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.cluster import KMeans

from streamcat.training_input import Ratings
from streamcat_train.catalog_titles import CatalogTitles
from streamcat_train.model import DEFAULT_WEIGHTS, BlendWeights, families
from streamcat_train.neighbours import CHUNK, _block_top

Lists = npt.NDArray[np.int64]

SHRINKAGES = (100.0, 400.0, 1600.0, 6400.0, 25600.0)
"""Item-kNN: a pair co-rated by n users keeps n / (n + shrinkage) of its cosine; the evaluation
picks the shrinkage on its validation split."""
BLENDS = {
    "svd_only": BlendWeights(content=0.0, ratings=1.0, gamma=0.0, quality=0.0),
    "svd_boosted": BlendWeights(content=0.0, ratings=1.0, gamma=DEFAULT_WEIGHTS.gamma, quality=0.0),
    "content_only": BlendWeights(content=1.0, ratings=0.0, quality=0.0),
}
"""The classic SVD item-item baseline (the cosine of the titles' factors of the shifted user x
title matrix); the blend's co-rating term as served, that cosine times the candidate's factor
length to the power gamma, which leans towards much-rated titles; its content term alone."""


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


def item_knn_lists(
    ratings: Ratings,
    titles: list[str],
    k: int,
    shrinkages: Sequence[float],
    rows: npt.NDArray[np.int64] | None = None,
    block: int = 256,
) -> dict[float, Lists]:
    """Item-kNN lists for each shrinkage, from one pass over who rated what (the classic
    implicit-feedback item-kNN: the cosine's product also counts the co-ratings; the shifted
    ratings, as the SVD sees them, need a second product and scored within 0.005 hit rate@5 at
    2 million ratings). Similarity rows are computed a block of titles at a time, so memory
    stays at a few blocks whatever the number of titles. Ties go to the most rated; the top k
    by the chunk search the served model's neighbours use."""
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
    if not 0 < k < n:
        raise ValueError(f"k must be between 1 and {n - 1}, got {k}")
    n_chunks = -(-n // CHUNK)
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
            padded = np.full((len(similarity), n_chunks * CHUNK), -np.inf, dtype=np.float32)
            padded[:, :n] = similarity
            top = _block_top(padded, k, n_chunks)
            lists[shrinkage][start : start + len(titles_block)] = top
    return lists
