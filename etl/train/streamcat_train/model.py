"""The recommender: one similarity blending content, co-rating structure and a quality prior,
turned into every title's top neighbours."""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streamcat_train.catalog import CatalogTitles
from streamcat_train.collaborative import RatingsModel, ratings_embedding
from streamcat_train.content import ContentModel, content_embedding
from streamcat_train.interactions import Ratings
from streamcat_train.neighbours import top_neighbours

NEIGHBOURS = 10
CONTENT_DIMS = 48
RATINGS_DIMS = 48
CONTENT_WEIGHT = 1.0
RATINGS_WEIGHT = 1.0
QUALITY_WEIGHT = 0.05
"""A one-standard-deviation better title gains what 0.05 of cosine similarity is worth."""
PRIOR_VOTES = 25.0
"""A title's score counts as much as this many votes of the catalog's mean (Bayesian shrinkage)."""
SEED = 0


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


def train(catalog: CatalogTitles, ratings: Ratings) -> TrainedModel:
    n = len(catalog)
    content, content_model = content_embedding(catalog, CONTENT_DIMS, SEED)
    rated, confidence, ratings_model = ratings_embedding(ratings, n, RATINGS_DIMS, SEED)
    embedding = np.hstack(
        [CONTENT_WEIGHT * content, RATINGS_WEIGHT * np.sqrt(confidence)[:, None] * rated]
    ).astype(np.float32)
    bonus = QUALITY_WEIGHT * quality_prior(catalog.scores, catalog.votes)
    neighbours = top_neighbours(embedding, bonus, families(catalog.titles), min(NEIGHBOURS, n - 1))
    return TrainedModel(catalog, neighbours, content_model, ratings_model, len(ratings.user))
