"""The recommender: one similarity blending content, co-rating structure and a quality prior,
turned into every title's top neighbours.

For a query title i and a candidate j:

    sim(i, j) = W_c^2 cos_content(i, j)
              + conf_i cos_ratings(i, j) (|r_j| / |r|_99)^GAMMA
              + W_q quality_j

The ratings term is asymmetric on purpose: the candidate's factor length (how much it is rated
and liked), damped by GAMMA, makes "users who liked i also liked j" favour titles people
actually watch, without collapsing every list onto the same few hits (GAMMA = 1 nearly does,
GAMMA = 0 ignores it). A title nobody rated is matched on content alone.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streamcat_train.catalog import CatalogTitles
from streamcat_train.collaborative import RatingsModel, confidence, ratings_factors
from streamcat_train.content import ContentModel, content_embedding
from streamcat_train.interactions import Ratings
from streamcat_train.neighbours import top_neighbours

NEIGHBOURS = 10
CONTENT_DIMS = 40
RATINGS_DIMS = 40
CONTENT_WEIGHT = 0.8
GAMMA = 0.5
QUALITY_WEIGHT = 0.05
"""A one-standard-deviation better title gains what 0.05 of cosine similarity is worth."""
PRIOR_VOTES = 25.0
"""A title's score counts as much as this many votes of the catalog's mean (Bayesian shrinkage)."""
SEED = 0

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TrainedModel:
    catalog: CatalogTitles
    neighbours: npt.NDArray[np.int32]
    content: ContentModel
    ratings: RatingsModel
    n_ratings: int


def quality_prior(
    scores: npt.NDArray[np.float64], votes: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Standardised shrunk scores: a title with few votes stays near the mean, unrated is 0."""
    rated = ~np.isnan(scores) & (votes > 0)
    if not rated.any():
        return np.zeros(len(scores), dtype=np.float32)
    mean = float(np.average(scores[rated], weights=votes[rated]))
    shrunk = np.full(len(scores), mean)
    shrunk[rated] = (votes[rated] * scores[rated] + PRIOR_VOTES * mean) / (
        votes[rated] + PRIOR_VOTES
    )
    spread = float(shrunk[rated].std()) or 1.0
    return np.clip((shrunk - mean) / spread, -3, 3).astype(np.float32)


def families(titles: list[str]) -> npt.NDArray[np.int64]:
    """One number per distinct normalised title text: copies of a title share it."""
    normalised = [" ".join(t.lower().split()) for t in titles]
    index: dict[str, int] = {}
    return np.array([index.setdefault(t, len(index)) for t in normalised], dtype=np.int64)


def ratings_sides(factors: Matrix, trust: Matrix) -> tuple[Matrix, Matrix]:
    """Query side: unit factors weighted by confidence (a rarely rated title leans on its
    content); candidate side: unit factors times their damped relative length."""
    norms = np.linalg.norm(factors, axis=1, keepdims=True)
    unit = np.divide(factors, norms, out=np.zeros_like(factors), where=norms > 0)
    rated = norms[norms > 0]
    scale = float(np.percentile(rated, 99)) if len(rated) else 1.0
    length = (norms / scale) ** GAMMA
    return unit * trust[:, None], unit * length


def train(catalog: CatalogTitles, ratings: Ratings) -> TrainedModel:
    n = len(catalog)
    content, content_model = content_embedding(catalog, CONTENT_DIMS, SEED)
    ratings_model = ratings_factors(ratings, n, RATINGS_DIMS, SEED)
    query_side, candidate_side = ratings_sides(ratings_model.item_factors, confidence(ratings, n))
    queries = np.hstack([CONTENT_WEIGHT * content, query_side]).astype(np.float32)
    keys = np.hstack([CONTENT_WEIGHT * content, candidate_side]).astype(np.float32)
    bonus = QUALITY_WEIGHT * quality_prior(catalog.scores, catalog.votes)
    neighbours = top_neighbours(queries, keys, bonus, families(catalog.titles), NEIGHBOURS)
    return TrainedModel(catalog, neighbours, content_model, ratings_model, len(ratings.user))
